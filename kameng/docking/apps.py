from django.apps import AppConfig


class DockingConfig(AppConfig):
    name = "kameng.docking"
    label = "docking"
    verbose_name = "货源对接"
    default_auto_field = "django.db.models.BigAutoField"
