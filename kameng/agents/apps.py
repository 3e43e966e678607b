from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "kameng.agents"
    verbose_name = "分销代理"
