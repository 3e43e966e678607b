from django.apps import AppConfig


class TopupConfig(AppConfig):
    name = "kameng.topup"
    verbose_name = "直充"
