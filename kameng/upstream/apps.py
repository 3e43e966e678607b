from django.apps import AppConfig


class UpstreamConfig(AppConfig):
    name = "kameng.upstream"
    verbose_name = "上游对接"
