from django.apps import AppConfig


class KamengConfig(AppConfig):
    """The project package as an app: platform-wide commands (kameng/management) and
    deployment checks that belong to no single domain."""

    name = "kameng"
    verbose_name = "Kameng"

    def ready(self) -> None:
        from kameng import checks  # noqa: F401  (registers the deploy checks)
