"""Per-key nonces (replay protection) and request counts (rate limits).

Production (REDIS_URL set): kept in Redis, so every web process sees the same nonces
and counts. Embedded default: kept in this process, which is the only web process.
"""

import math
import threading
import time
from functools import cache

import redis
from django.conf import settings


class LocalStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._expiry: dict[str, float] = {}
        self._counts: dict[str, int] = {}
        self._next_sweep = 0.0

    def claim(self, key: str, ttl: int) -> bool:
        """True the first time `key` is claimed within `ttl` seconds."""
        now = time.monotonic()
        with self._lock:
            self._sweep(now)
            if self._expiry.get(key, 0) > now:
                return False
            self._expiry[key] = now + ttl
            return True

    def hit(self, key: str, window: int) -> tuple[int, float]:
        """Count a request in the current fixed window: (count so far, seconds left)."""
        now = time.time()
        start = int(now // window * window)
        bucket = f"{key}:{start}"
        with self._lock:
            self._sweep(time.monotonic())
            count = self._counts.get(bucket, 0) + 1
            self._counts[bucket] = count
            self._expiry.setdefault(bucket, time.monotonic() + window + 1)
        return count, start + window - now

    def _sweep(self, now: float) -> None:
        if now < self._next_sweep:
            return
        self._next_sweep = now + 10
        for key in [k for k, expires in self._expiry.items() if expires <= now]:
            del self._expiry[key]
            self._counts.pop(key, None)


class RedisStore:
    def __init__(self, url: str) -> None:
        self._redis = redis.Redis.from_url(url)

    def claim(self, key: str, ttl: int) -> bool:
        return bool(self._redis.set(key, 1, nx=True, ex=ttl))

    def hit(self, key: str, window: int) -> tuple[int, float]:
        now = time.time()
        start = int(now // window * window)
        bucket = f"{key}:{start}"
        pipe = self._redis.pipeline()
        pipe.incr(bucket)
        pipe.expire(bucket, window + 1)
        count, _ = pipe.execute()
        return int(count), start + window - now


@cache
def _store(redis_url: str) -> LocalStore | RedisStore:
    return RedisStore(redis_url) if redis_url else LocalStore()


def first_use_of_nonce(app_key: str, nonce: str) -> bool:
    """Claim the nonce for this key; False if it was used within the replay window."""
    return _store(settings.REDIS_URL).claim(
        f"kameng:api:nonce:{app_key}:{nonce}", 2 * settings.KAMENG_API_CLOCK_SKEW
    )


def seconds_until_allowed(app_key: str) -> int:
    """0 if this request is within the key's rate limit, else how long to wait."""
    limit, window = settings.KAMENG_API_RATE_LIMIT
    count, left = _store(settings.REDIS_URL).hit(f"kameng:api:rate:{app_key}", window)
    return 0 if count <= limit else max(1, math.ceil(left))
