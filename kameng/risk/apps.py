from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "kameng.risk"
    label = "risk"
    verbose_name = "风控"
    default_auto_field = "django.db.models.BigAutoField"
