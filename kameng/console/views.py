"""The consoles' shared pages: log-in (password, then the TOTP code for those who set
one up), log-out, password change and reset, and /console/ itself, which sends each
person to the console of their role. Each role's pages are in kameng/console/<role>/.
"""

import hashlib
import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from kameng import guards
from kameng.clientip import client_ip
from kameng.console import otp, roles
from kameng.console.access import not_found, public, signed_in
from kameng.console.forms import CodeForm, LoginForm

log = logging.getLogger(__name__)


def _next_url(request: HttpRequest) -> str:
    """Where to go after the log-in: ?next= (or the form's) if it is a page of this
    site, else ""."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return ""


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


@signed_in
def home(request: HttpRequest) -> HttpResponse:
    """/console/: the person's console; a chooser for someone with several roles; a
    page saying so for someone with none."""
    held = request.console.roles
    if len(held) == 1:
        return redirect(f"console:{roles.NAMESPACES[held[0]]}:home")
    if not held:
        return render(request, "console/no_role.html")
    return render(request, "console/choose.html")


@public
@sensitive_post_parameters()
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """Username and password (django-axes counts every failure and may answer with the
    lockout page instead); a person with a TOTP device goes on to its code."""
    next_url = _next_url(request)
    if request.user.is_authenticated:
        if otp.code_needed(request):
            return redirect(_with_next(reverse("console:login_code"), next_url))
        return redirect(next_url or reverse("console:home"))
    form = LoginForm(request, data=request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            user = form.get_user()
            if otp.confirmed_device(user) is not None:
                otp.start_pending(request, user, next_url)
                return redirect("console:login_code")
            auth_login(request, user)
            return redirect(next_url or reverse("console:home"))
        status = 400
    context = {"form": form, "next": next_url}
    return render(request, "console/login.html", context, status=status)


@public
@sensitive_post_parameters()
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step: the code of the person whose password was right a moment ago
    (or of a signed-in person whose session still lacks it)."""
    waiting = otp.pending(request)
    if waiting is not None:
        user, backend, next_url = waiting
    elif otp.code_needed(request):
        user, backend, next_url = request.user, "", _next_url(request)
    else:
        otp.end_pending(request)
        if request.user.is_authenticated:
            return redirect(_next_url(request) or reverse("console:home"))
        return redirect("console:login")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            device, why = otp.check_code(request, user, form.cleaned_data["code"])
            if device is not None:
                if not request.user.is_authenticated:
                    auth_login(request, user, backend=backend or None)
                otp.end_pending(request)
                otp.remember_verified(request, device)
                return redirect(next_url or reverse("console:home"))
            form.add_error("code", why)
    context = {"form": form, "person": user, "signed_in": request.user.is_authenticated}
    return render(request, "console/login_code.html", context, status=status)


class LogoutView(auth_views.LogoutView):
    """POST only (Django's): back to the log-in page, the pending log-in forgotten."""

    next_page = reverse_lazy("console:login")


logout = public(LogoutView.as_view())


@signed_in
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """The person's own password (the old one, the new one twice; Django's validators).
    The session stays signed in; others of the same person are signed out."""
    form = PasswordChangeForm(request.user, request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            user = form.save()
            update_session_auth_hash(request, user)
            messages.success(request, gettext("密码已修改"))
            return redirect("console:home")
        status = 400
    return render(request, "console/password_change.html", {"form": form}, status=status)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's: an email with a one-time link to every active account with that
    address, and the same "sent" page whether or not there is one. Emails are limited
    per address asked for and per client address (KAMENG_CONSOLE_PASSWORD_RESETS):
    over it, the page says the same and nothing is sent."""

    template_name = "console/password_reset.html"
    email_template_name = "console/email/password_reset.txt"
    subject_template_name = "console/email/password_reset_subject.txt"
    success_url = reverse_lazy("console:password_reset_sent")

    def form_valid(self, form):
        count, window = settings.KAMENG_CONSOLE_PASSWORD_RESETS
        email = form.cleaned_data["email"].strip().lower()
        digest = hashlib.sha256(email.encode()).hexdigest()[:32]
        store = guards.store()
        by_email, _ = store.count(f"console:reset:email:{digest}", window)
        by_client, _ = store.count(f"console:reset:ip:{client_ip(self.request)}", window)
        if by_email > count or by_client > count:
            log.warning("password reset emails over the limit: not sent")
            return HttpResponseRedirect(self.get_success_url())
        self.extra_email_context = {"site_url": settings.KAMENG_PUBLIC_URL}
        return super().form_valid(form)


password_reset = public(PasswordResetView.as_view())
password_reset_sent = public(
    auth_views.PasswordResetDoneView.as_view(template_name="console/password_reset_sent.html")
)
password_reset_confirm = public(
    auth_views.PasswordResetConfirmView.as_view(
        template_name="console/password_reset_confirm.html",
        success_url=reverse_lazy("console:password_reset_complete"),
    )
)
password_reset_complete = public(
    auth_views.PasswordResetCompleteView.as_view(
        template_name="console/password_reset_complete.html"
    )
)


@public
def unknown(request: HttpRequest, path: str = "") -> HttpResponse:
    """Any other path under /console/: the console's 404."""
    return not_found(request)
