from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "kameng.reporting"
    verbose_name = "对账"
