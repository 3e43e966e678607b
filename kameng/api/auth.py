"""Request authentication: app key + HMAC-SHA256 signature, timestamp window, nonce.

Checked in this order, each failure a 401 with its own code, before anything else
runs: headers present, key known and not revoked, timestamp within the window,
signature right, nonce new. Then the agent must be active (403) and the key within
its rate limit (429).
"""

import hmac
import time
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyHeader

from kameng.agents.credentials import find_key
from kameng.agents.errors import AgentInactive
from kameng.agents.models import ApiKey
from kameng.api import guards
from kameng.api.errors import RateLimited, Unauthenticated
from kameng.client import (
    HEADER_KEY,
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    request_signature,
)
from kameng.text import is_printable

LAST_USED_RESOLUTION = timedelta(minutes=1)


class SignedRequest(APIKeyHeader):
    """Shown in the OpenAPI document as the X-Kameng-Key header; the other three
    headers and the signature rule are in its description."""

    param_name = HEADER_KEY
    openapi_description = (
        "Every request also carries X-Kameng-Timestamp (unix seconds), X-Kameng-Nonce "
        "(unique, 1–64 characters) and X-Kameng-Signature: lowercase hex "
        "HMAC-SHA256(secret, METHOD\\nPATH_WITH_QUERY\\nTIMESTAMP\\nNONCE\\nhex(sha256(BODY)))."
    )

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKey:
        return authenticate(request)


def authenticate(request: HttpRequest) -> ApiKey:
    headers = request.headers
    app_key = headers.get(HEADER_KEY, "")
    timestamp = headers.get(HEADER_TIMESTAMP, "")
    nonce = headers.get(HEADER_NONCE, "")
    signature = headers.get(HEADER_SIGNATURE, "")
    missing = [
        name
        for name, value in [
            (HEADER_KEY, app_key),
            (HEADER_TIMESTAMP, timestamp),
            (HEADER_NONCE, nonce),
            (HEADER_SIGNATURE, signature),
        ]
        if not value
    ]
    if missing:
        raise Unauthenticated("missing_credentials", f"missing headers: {', '.join(missing)}")
    found = find_key(app_key) if is_printable(app_key, limit=40) else None
    if found is None:
        raise Unauthenticated("unknown_key", "no such API key")
    key, secret = found
    if key.revoked_at is not None:
        raise Unauthenticated("key_revoked", "this API key was revoked")
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        raise Unauthenticated("invalid_timestamp", "X-Kameng-Timestamp must be unix seconds")
    skew = settings.KAMENG_API_CLOCK_SKEW
    if abs(time.time() - int(timestamp)) > skew:
        raise Unauthenticated(
            "timestamp_out_of_window", f"X-Kameng-Timestamp is more than {skew} s off"
        )
    if not is_printable(nonce):
        raise Unauthenticated("invalid_nonce", "X-Kameng-Nonce must be 1–64 printable characters")
    if not any(
        hmac.compare_digest(
            request_signature(
                secret, request.method or "", path, timestamp, nonce, request.body
            ).encode(),
            signature.lower().encode(),
        )
        for path in _paths_as_sent(request)
    ):
        raise Unauthenticated("invalid_signature", "the signature does not match this request")
    admission = guards.admit(app_key, nonce)
    if not admission.first_use_of_nonce:
        raise Unauthenticated("nonce_reused", "this nonce was already used")
    if not key.agent.active:
        raise AgentInactive("this agent account is disabled")
    if admission.retry_after:
        raise RateLimited(admission.retry_after)
    _note_use(key)
    return key


def _paths_as_sent(request: HttpRequest) -> list[str]:
    """The path with query as the client wrote it: gunicorn and uWSGI keep the raw
    request line; Django's own rebuilt form covers servers that do not (it re-escapes
    the decoded path, so `%2C` comes back as `,`)."""
    paths = [request.get_full_path()]
    for raw in (request.META.get("RAW_URI"), request.META.get("REQUEST_URI")):
        if raw and raw not in paths:
            paths.append(raw)
    return paths


def _note_use(key: ApiKey) -> None:
    """last_used_at, written at most once a minute per key (this runs on every call)."""
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
