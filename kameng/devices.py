"""The browser's device id: a long-lived random cookie (`kmd`) that risk control counts
orders by (orders per device, recharge accounts per device), as it counts them by
address. Set on the storefront's pages and the consoles' buying page when missing;
HttpOnly (no script reads it), SameSite=Lax, Secure when the site is https (as the
session cookie), one year. It identifies a browser, never a person: it holds nothing but
random characters, and a buyer who clears it simply gets a new one.

A platform module: it imports no app.
"""

import re
import secrets
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse

COOKIE = "kmd"
MAX_AGE = 365 * 24 * 3600
_VALID = re.compile(r"[A-Za-z0-9_-]{16,64}")


def device_id(request: HttpRequest) -> str:
    """The browser's device id: its cookie, or (none, or not one of ours) a new one that
    `remember_device` sets on the response."""
    known = getattr(request, "_kameng_device", None)
    if known is None:
        sent = request.COOKIES.get(COOKIE, "")
        fresh = not _VALID.fullmatch(sent)
        known = secrets.token_urlsafe(18) if fresh else sent
        request._kameng_device = known  # type: ignore[attr-defined]
        request._kameng_device_fresh = fresh  # type: ignore[attr-defined]
    return known


def remember_device(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A view whose page gives the browser a device id when it has none."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        value = device_id(request)
        if getattr(request, "_kameng_device_fresh", False):
            response.set_cookie(
                COOKIE,
                value,
                max_age=MAX_AGE,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response

    return wrapped
