from django.apps import AppConfig


class SuppliersConfig(AppConfig):
    name = "kameng.suppliers"
    verbose_name = "供应商"
