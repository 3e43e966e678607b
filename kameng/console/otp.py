"""Operators' second factor: one TOTP device (django-otp) per person, optional. Once a
device is confirmed, the person's sessions count only after its code: the console's
log-in asks for it after the password (kameng.console.views.login_code) and the admin's
log-in form asks for it beside the password (kameng.console.forms.AdminLoginForm).

A wrong code counts as a failed log-in for django-axes (the same lockout as wrong
passwords, per account and per address); the device also slows down guesses itself
(django-otp's throttling: a growing wait after each wrong code).
"""

import time
from base64 import b32encode

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

# The name of the device a person sets up in the console (one each).
DEVICE_NAME = "console"
# The log-in waiting for its code: {"user": pk, "backend": path, "at": epoch, "next": url}.
PENDING_KEY = "console_login_pending"
PENDING_SECONDS = 300


def confirmed_device(user: AbstractBaseUser) -> TOTPDevice | None:
    """The person's TOTP device, once set up (confirmed by a first code)."""
    if user.pk is None:  # AnonymousUser
        return None
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).order_by("pk").first()


def code_needed(request: HttpRequest) -> bool:
    """Signed in with a password, but the session's code is still missing (the device
    was set up after this session began, or elsewhere)."""
    user = request.user
    if not user.is_authenticated:
        return False
    verified = getattr(user, "is_verified", None)  # django_otp's middleware sets it
    if verified is not None and verified():
        return False
    return confirmed_device(user) is not None


def check_code(
    request: HttpRequest, user: AbstractBaseUser, code: str
) -> tuple[TOTPDevice | None, str]:
    """(the device, "") when `code` is the person's current code; (None, why) if not,
    counting the failure for django-axes (which may lock the account and address out:
    its middleware then answers with the lockout page)."""
    code = "".join(str(code or "").split())
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user_id=user.pk, confirmed=True)
            .order_by("pk")
            .first()
        )
        if device is None:
            return None, gettext("此账号没有启用两步验证")
        allowed, extra = device.verify_is_allowed()
        if not allowed:
            wait = _seconds_left(extra)
            why = gettext("验证码错误次数过多，请 %(seconds)s 秒后再试") % {"seconds": wait}
        elif code.isdigit() and device.verify_token(code):
            return device, ""
        else:
            why = gettext("验证码不正确或已过期，请输入身份验证器上当前的 6 位数字")
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username()}, request=request
    )
    return None, why


def _seconds_left(extra: dict | None) -> int:
    until = (extra or {}).get("locked_until")
    if until is None:
        return 1
    return max(1, int(until.timestamp() - time.time()) + 1)


def remember_verified(request: HttpRequest, device: TOTPDevice) -> None:
    """The session (of the person the device belongs to) counts as verified."""
    otp_login(request, device)


# --- the log-in between its password and its code -----------------------------------


def start_pending(request: HttpRequest, user: AbstractBaseUser, next_url: str) -> None:
    """The password was right; remember whose code the next step asks for (nobody is
    signed in until it is given)."""
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": user.backend,
        "at": time.time(),
        "next": next_url,
    }


def pending(request: HttpRequest) -> tuple[AbstractBaseUser, str, str] | None:
    """(user, backend, next url) of a log-in waiting for its code, if it has not
    expired (PENDING_SECONDS) and the person may still sign in."""
    state = request.session.get(PENDING_KEY)
    if not isinstance(state, dict) or time.time() - float(state.get("at", 0)) > PENDING_SECONDS:
        return None
    user = get_user_model().objects.filter(pk=state.get("user"), is_active=True).first()
    if user is None:
        return None
    return user, str(state.get("backend", "")), str(state.get("next", ""))


def end_pending(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


# --- setting a device up ------------------------------------------------------------


def unconfirmed_device(user: AbstractBaseUser, *, fresh: bool = False) -> TOTPDevice:
    """The device being set up (its QR code on the page until a first code confirms
    it): the same one on every visit, so a code scanned earlier still works; `fresh`
    makes a new key (the old one was seen by someone else, or lost)."""
    devices = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False)
    if fresh:
        devices.delete()
    device = devices.order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The key as an authenticator app takes it typed in (base32, in groups of 4),
    for a phone that cannot scan the QR code."""
    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def confirm(
    request: HttpRequest, user: AbstractBaseUser, code: str
) -> tuple[TOTPDevice | None, str]:
    """The first code from the device being set up: right → the device counts from now
    on (and this session is verified); wrong → (None, why)."""
    code = "".join(str(code or "").split())
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user_id=user.pk, confirmed=False)
            .order_by("pk")
            .first()
        )
        if device is None:
            return None, gettext("请刷新页面后重新扫描二维码")
        allowed, extra = device.verify_is_allowed()
        if not allowed:
            return None, gettext("验证码错误次数过多，请 %(seconds)s 秒后再试") % {
                "seconds": _seconds_left(extra)
            }
        if not (code.isdigit() and device.verify_token(code)):
            return None, gettext("验证码不正确，请输入身份验证器上当前的 6 位数字")
        TOTPDevice.objects.filter(user_id=user.pk).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    remember_verified(request, device)
    return device, ""


def remove(user: AbstractBaseUser) -> int:
    """Turn the second factor off: every device of the person goes."""
    count, _ = TOTPDevice.objects.filter(user_id=user.pk).delete()
    return count
