"""`admin.site` (kameng.console.apps.OperatorAdminConfig makes it this class): Django's
admin, unchanged but for the second factor. An operator who set up TOTP in the console
is let in only with a session verified by its code; the admin's log-in form asks for it
beside the password. Operators without a device log in as before."""

from django.contrib.admin import AdminSite
from django.http import HttpRequest

from kameng.console import otp
from kameng.console.forms import AdminLoginForm


class OperatorAdminSite(AdminSite):
    login_form = AdminLoginForm
    login_template = "console/admin_login.html"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and not otp.code_needed(request)
