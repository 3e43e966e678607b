"""Per-key nonces (replay protection) and request counts (rate limits).

Production (REDIS_URL set): kept in Redis, so every web process sees the same nonces
and counts. Embedded default: kept in this process, which is the only web process.
"""

import math
import threading
import time
from dataclasses import dataclass
from functools import cache

import redis
from django.conf import settings

# (nonce used for the first time, requests so far in this window, seconds left in it)
Counted = tuple[bool, int, float]


class LocalStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._expiry: dict[str, float] = {}
        self._counts: dict[str, int] = {}
        self._next_sweep = 0.0

    def admit(
        self, nonce_key: str, ttl: int, rate_key: str, window: int
    ) -> tuple[bool, int, float]:
        """Claim the nonce (True the first time within `ttl` s) and count the request in
        the current fixed window: (first use, count so far, seconds left in the window)."""
        wall, now = time.time(), time.monotonic()
        start = int(wall // window * window)
        bucket = f"{rate_key}:{start}"
        with self._lock:
            self._sweep(now)
            first_use = self._expiry.get(nonce_key, 0) <= now
            if first_use:
                self._expiry[nonce_key] = now + ttl
            count = self._counts.get(bucket, 0) + 1
            self._counts[bucket] = count
            self._expiry.setdefault(bucket, now + window + 1)
        return first_use, count, start + window - wall

    def _sweep(self, now: float) -> None:
        if now < self._next_sweep:
            return
        self._next_sweep = now + 10
        for key in [k for k, expires in self._expiry.items() if expires <= now]:
            del self._expiry[key]
            self._counts.pop(key, None)


class RedisStore:
    """One round trip per request: SET NX for the nonce, INCR + EXPIRE for the count."""

    def __init__(self, url: str) -> None:
        self._redis = redis.Redis.from_url(url)

    def admit(
        self, nonce_key: str, ttl: int, rate_key: str, window: int
    ) -> tuple[bool, int, float]:
        wall = time.time()
        start = int(wall // window * window)
        bucket = f"{rate_key}:{start}"
        pipe = self._redis.pipeline(transaction=False)
        pipe.set(nonce_key, 1, nx=True, ex=ttl)
        pipe.incr(bucket)
        pipe.expire(bucket, window + 1)
        first_use, count, _ = pipe.execute()
        return bool(first_use), int(count), start + window - wall


@cache
def _store(redis_url: str) -> LocalStore | RedisStore:
    return RedisStore(redis_url) if redis_url else LocalStore()


@dataclass(frozen=True)
class Admission:
    first_use_of_nonce: bool
    retry_after: int  # 0: within the key's rate limit; else seconds to wait


def admit(app_key: str, nonce: str) -> Admission:
    """Claim the request's nonce for this key and count it against the key's limit."""
    limit, window = settings.KAMENG_API_RATE_LIMIT
    first_use, count, left = _store(settings.REDIS_URL).admit(
        f"kameng:api:nonce:{app_key}:{nonce}",
        2 * settings.KAMENG_API_CLOCK_SKEW,
        f"kameng:api:rate:{app_key}",
        window,
    )
    return Admission(first_use, 0 if count <= limit else max(1, math.ceil(left)))
