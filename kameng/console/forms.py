"""The consoles' log-in forms (and the admin's, which asks for the TOTP code too).
Forms check shapes; what a refusal says comes from the services through
kameng.refusals (add_refusal), as on the storefront's pages."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, UsernameField
from django.utils.translation import gettext_lazy as _

from kameng.console import otp

LOGIN_ERRORS = {
    "invalid_login": _("用户名或密码不正确（区分大小写）"),
    "inactive": _("此账号已停用"),
}


class LoginForm(AuthenticationForm):
    """The one log-in page's form (Django's, which asks every backend: django-axes'
    first, so a locked-out account or address is refused and every failure counted)."""

    username = UsernameField(
        label=_("用户名"),
        widget=forms.TextInput(attrs={"autofocus": True, "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {**AuthenticationForm.error_messages, **LOGIN_ERRORS}


class CodeForm(forms.Form):
    """The 6 digits of an authenticator app (TOTP)."""

    code = forms.CharField(
        label=_("验证码"),
        max_length=12,
        help_text=_("打开身份验证器 App（如 Google Authenticator），输入显示的 6 位数字"),
        widget=forms.TextInput(attrs={"autofocus": True, "pattern": "[0-9 ]*"}),
        error_messages={"required": _("请输入 6 位验证码")},
    )


class AdminLoginForm(AdminAuthenticationForm):
    """The Django admin's log-in with the operator's TOTP code beside the password
    (needed once the operator set a device up in the console; empty otherwise). A
    wrong code counts for django-axes like a wrong password."""

    otp_token = forms.CharField(
        label=_("两步验证码"),
        required=False,
        max_length=12,
        help_text=_("仅已启用两步验证的账号需要填写"),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
    )
    error_messages = {**AdminAuthenticationForm.error_messages, **LOGIN_ERRORS}

    def clean(self) -> dict:
        cleaned = super().clean()  # the password (and django-axes) first
        user = self.get_user()
        if user is None or otp.confirmed_device(user) is None:
            return cleaned
        code = cleaned.get("otp_token", "")
        if not code:
            raise forms.ValidationError(
                _("此账号已启用两步验证，请填写两步验证码"), code="otp_required"
            )
        device, why = otp.check_code(self.request, user, code)
        if device is None:
            raise forms.ValidationError(why, code="otp_invalid")
        user.otp_device = device  # django-otp keeps it in the session at login
        return cleaned


class DateRangeForm(forms.Form):
    """From and to (inclusive), as the browser's date pickers give them (GET): the
    statements' periods and the orders' filter."""

    start = forms.DateField(
        label=_("开始日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("结束日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
