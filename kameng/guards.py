"""Short-lived counters shared by every web process: one-time nonces and counts per
time window, for the open API's replay protection and rate limits and for the supplier
callback endpoint's limit on failed callbacks.

Production (REDIS_URL set): kept in Redis, so every web process sees the same nonces
and counts. Embedded default: kept in this process, which is the only web process.
"""

import threading
import time
from functools import cache

import redis
from django.conf import settings


def _window(window: int) -> tuple[float, int]:
    """(now, start of the current fixed window of `window` seconds)."""
    wall = time.time()
    return wall, int(wall // window * window)


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
        now = time.monotonic()
        with self._lock:
            self._sweep(now)
            first_use = self._expiry.get(nonce_key, 0) <= now
            if first_use:
                self._expiry[nonce_key] = now + ttl
            count, left = self._count(rate_key, window, now)
        return first_use, count, left

    def count(self, key: str, window: int) -> tuple[int, float]:
        """Count one more event in the key's window, which opens with its first event and
        lasts `window` s: (count so far, seconds left in it)."""
        now = time.monotonic()
        with self._lock:
            self._sweep(now)
            if self._expiry.get(key, 0) <= now:
                self._expiry[key] = now + window
                self._counts[key] = 0
            self._counts[key] += 1
            return self._counts[key], self._expiry[key] - now

    def peek(self, key: str) -> int:
        """The key's count in its current `count` window, without counting."""
        with self._lock:
            if self._expiry.get(key, 0) <= time.monotonic():
                return 0
            return self._counts.get(key, 0)

    def _count(self, rate_key: str, window: int, now: float) -> tuple[int, float]:
        wall, start = _window(window)
        bucket = f"{rate_key}:{start}"
        count = self._counts.get(bucket, 0) + 1
        self._counts[bucket] = count
        self._expiry.setdefault(bucket, now + window + 1)
        return count, start + window - wall

    def _sweep(self, now: float) -> None:
        if now < self._next_sweep:
            return
        self._next_sweep = now + 10
        for key in [k for k, expires in self._expiry.items() if expires <= now]:
            del self._expiry[key]
            self._counts.pop(key, None)


# count(): INCR, and the window's expiry set by the event that opens it (atomic in Lua,
# so a key can never be left without one; EXPIRE NX would need Redis 7).
_COUNT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
    left = tonumber(ARGV[1])
end
return {count, left}
"""


class RedisStore:
    """One round trip per call: SET NX for a nonce with INCR + EXPIRE for its key's
    count (admit), or the count script (count)."""

    def __init__(self, url: str) -> None:
        self._redis = redis.Redis.from_url(url)
        self._count = self._redis.register_script(_COUNT_SCRIPT)

    def admit(
        self, nonce_key: str, ttl: int, rate_key: str, window: int
    ) -> tuple[bool, int, float]:
        wall, start = _window(window)
        bucket = f"{rate_key}:{start}"
        pipe = self._redis.pipeline(transaction=False)
        pipe.set(nonce_key, 1, nx=True, ex=ttl)
        pipe.incr(bucket)
        pipe.expire(bucket, window + 1)
        first_use, count, _ = pipe.execute()
        return bool(first_use), int(count), start + window - wall

    def count(self, key: str, window: int) -> tuple[int, float]:
        count, left_ms = self._count(keys=[key], args=[window * 1000])
        return int(count), int(left_ms) / 1000

    def peek(self, key: str) -> int:
        """The key's count in its current `count` window, without counting."""
        return int(self._redis.get(key) or 0)


@cache
def _store(redis_url: str) -> LocalStore | RedisStore:
    return RedisStore(redis_url) if redis_url else LocalStore()


def store() -> LocalStore | RedisStore:
    """The store for this deployment: Redis with REDIS_URL, else this process's."""
    return _store(settings.REDIS_URL)
