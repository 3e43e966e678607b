"""django-axes on every log-in (the console's and the Django admin's): after
AXES_FAILURE_LIMIT failures for one account, or from one address, further attempts are
refused for AXES_COOLOFF_TIME, with a page in Chinese (status 429). Settings: the
"Consoles" block of kameng/settings.py.
"""

import math

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse


class LoginGuardBackend(AxesStandaloneBackend):
    """Axes' backend (first in AUTHENTICATION_BACKENDS): refuses a locked-out account
    or address before the password is even checked. A call without a request is not a
    log-in from the web (the test client's login(), a shell): nothing to count and no
    address to count it for, so it is left to the next backend instead of failing."""

    def authenticate(self, request: HttpRequest | None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class LoginGuardHandler(AxesDatabaseHandler):
    """Axes' database handler, resetting less on a successful log-in: only the failures
    recorded for the account that signed in. Axes' own reset also deletes every
    failure from the address, so an attacker with an account of its own could sign in
    to it between guesses and guess another account's password for ever."""

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the page a locked-out log-in gets instead of its own (the
    console's or the admin's), status 429 with Retry-After."""
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 0
    response = render(
        request,
        "console/locked_out.html",
        {
            "minutes": math.ceil(seconds / 60),
            "admin": request.path.startswith(reverse("admin:index")),
        },
        status=429,
    )
    if seconds:
        response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    return response
