"""Per-key nonces (replay protection) and request counts (rate limits), kept in the
shared store (kameng.guards: Redis in production, in-process in the embedded default)."""

import math
from dataclasses import dataclass

from django.conf import settings

from kameng import guards


@dataclass(frozen=True)
class Admission:
    first_use_of_nonce: bool
    retry_after: int  # 0: within the key's rate limit; else seconds to wait


def admit(app_key: str, nonce: str) -> Admission:
    """Claim the request's nonce for this key and count it against the key's limit."""
    limit, window = settings.KAMENG_API_RATE_LIMIT
    first_use, count, left = guards.store().admit(
        f"kameng:api:nonce:{app_key}:{nonce}",
        2 * settings.KAMENG_API_CLOCK_SKEW,
        f"kameng:api:rate:{app_key}",
        window,
    )
    return Admission(first_use, 0 if count <= limit else max(1, math.ceil(left)))
