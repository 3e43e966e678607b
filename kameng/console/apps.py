from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ConsoleConfig(AppConfig):
    """The consoles: the pages where distributors, suppliers and the operator work
    (/console/), their one log-in page, and the guards on every log-in (the Django
    admin's too): django-axes' lockout and, for operators who set it up, TOTP."""

    name = "kameng.console"
    label = "console"
    verbose_name = "管理后台"


class OperatorAdminConfig(admin_apps.AdminConfig):
    """The Django admin with kameng.console.adminsite.OperatorAdminSite as `admin.site`
    (Django's documented way to replace the default site): an operator who set up
    TOTP must give the code there too. Named in INSTALLED_APPS instead of
    "django.contrib.admin"; never picked for "kameng.console" itself (default=False)."""

    default = False
    default_site = "kameng.console.adminsite.OperatorAdminSite"
