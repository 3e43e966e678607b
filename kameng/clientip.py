"""The address a request came from, for per-IP limits (storefront holds, lookups,
captchas; callback and notify failure counts).

Without a proxy in front, it is the socket's address (REMOTE_ADDR). Behind N reverse
proxies (KAMENG_TRUSTED_PROXIES=N), each appends the address it saw to
X-Forwarded-For, so the client is the N-th entry from the right: anything further left
was written by the client itself and proves nothing. A missing or malformed header falls
back to REMOTE_ADDR.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.KAMENG_TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(hops) < proxies:
        return remote
    candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
