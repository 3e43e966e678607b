from django.apps import AppConfig


class SupplyConfig(AppConfig):
    name = "kameng.supply"
    verbose_name = "货源"
