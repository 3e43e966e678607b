from django.apps import AppConfig


class SupplyConfig(AppConfig):
    """The old `supply` app, now only its historical migrations: databases created before
    the split have them applied, and other apps' migrations depend on them. Its models
    moved to kameng.suppliers and kameng.stock (same tables); its last migration drops
    them from this app's state."""

    name = "kameng.supply"
    verbose_name = "货源 (历史迁移)"
