"""The operator's console (/console/o/), beside the Django admin: request.principal is
the staff user. Its own second factor (TOTP) is set up here."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from kameng.console import otp, roles
from kameng.console.access import role_required
from kameng.console.forms import CodeForm


@role_required(roles.OPERATOR)
def home(request: HttpRequest) -> HttpResponse:
    """The platform's dashboard (reporting.dashboards.platform_dashboard)."""
    context = {"otp_on": otp.confirmed_device(request.user) is not None}
    return render(request, "console/operator/home.html", context)


@role_required(roles.OPERATOR)
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def otp_settings(request: HttpRequest) -> HttpResponse:
    """Two-step verification: set up (the QR code of a new key, confirmed by a first
    code before it counts), or, once on, turned off with a current code. POST
    `action`: confirm | renew (a new key) | remove."""
    user = request.user
    device = otp.confirmed_device(user)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form = CodeForm(request.POST or None) if action in ("confirm", "remove") else CodeForm()
    status = 200
    if action == "renew" and device is None:
        otp.unconfirmed_device(user, fresh=True)
        return redirect("console:o:otp")
    if action == "confirm" and device is None:
        if form.is_valid():
            confirmed, why = otp.confirm(request, user, form.cleaned_data["code"])
            if confirmed is not None:
                messages.success(
                    request, gettext("两步验证已启用：以后登录（含 Django 管理后台）都需要验证码")
                )
                return redirect("console:o:otp")
            form.add_error("code", why)
        status = 400
    if action == "remove" and device is not None:
        if form.is_valid():
            checked, why = otp.check_code(request, user, form.cleaned_data["code"])
            if checked is not None:
                otp.remove(user)
                messages.success(request, gettext("两步验证已关闭"))
                return redirect("console:o:otp")
            form.add_error("code", why)
        status = 400
    form.fields["code"].widget.attrs.pop("autofocus", None)  # the QR code first, on a phone
    context = {"device": device, "form": form}
    if device is None:
        setup = otp.unconfirmed_device(user)
        context.update(setup=setup, secret=otp.secret_text(setup))
    return render(request, "console/operator/otp.html", context, status=status)
