"""The velocity store: sliding-window counts, distinct counts, first-seen times and
running amount profiles, behind one interface (`run(at, ops)`), so that scoring one
order is one batch of operations — one round trip to Redis.

Three implementations of the same operations:

- `RedisStore` (production, REDIS_URL set): one Lua script call per batch; every key
  has a TTL and every set is trimmed to its horizon and capped, so memory is bounded.
- `LocalStore` (embedded default): this process's dicts, thread-safe, bounded (at most
  `max_keys` keys; expired keys swept, the soonest-expiring dropped beyond the bound).
- `replay_store()`: a LocalStore of its own for `kameng risk replay`.

Time always comes from the caller (`at`, the order's time), never from a clock here, so
replaying a file gives the counts that live scoring gave.

Operations (tuples; results in the same order, None for writes):

- ("event", key, member, horizon, ref, max_age): add `member` at `at` to the sorted set
  `key` (drop members older than `horizon` s, keep at most CAP); with ref ≥ 0 only if
  result[ref] (a first-seen time) is younger than max_age s.
- ("mark", key, member, horizon, ref): add `member` with score result[ref] unless present.
- ("first", key, ttl): the first time `key` was seen (set to `at` if new), kept `ttl` s.
- ("count", key, since): members with a score ≥ since.
- ("profile", key, amount, alpha, ttl): the running mean (EWMA) and count before this
  amount, then update them with it.
- ("bucket", key, slot, ttl): one more in hash field `slot` (hourly counts).
- ("buckets", key, first_slot, last_slot): the sum of fields first_slot..last_slot.
"""

import bisect
import json
import threading
from functools import cache
from typing import Any, Protocol

import redis
from django.conf import settings

CAP = 5000  # members kept per sorted set: counts above it saturate (far above any rule)
Op = tuple
SWEEP_STEP = 32  # keys checked for expiry per batch (LocalStore)


class VelocityStore(Protocol):
    def run(self, at: float, ops: list[Op]) -> list[Any]: ...


class _Sorted:
    """A sorted set: member → score, and (score, member) kept in score order."""

    __slots__ = ("members", "order")

    def __init__(self) -> None:
        self.members: dict[str, float] = {}
        self.order: list[tuple[float, str]] = []

    def add(self, member: str, score: float, *, nx: bool = False) -> None:
        old = self.members.get(member)
        if old is not None:
            if nx or old == score:
                return
            del self.order[bisect.bisect_left(self.order, (old, member))]
        self.members[member] = score
        if not self.order or self.order[-1] <= (score, member):
            self.order.append((score, member))
        else:
            bisect.insort(self.order, (score, member))

    def trim(self, oldest: float) -> None:
        cut = bisect.bisect_left(self.order, (oldest, ""))
        excess = len(self.order) - CAP
        cut = max(cut, excess)
        if cut > 0:
            for _, member in self.order[:cut]:
                del self.members[member]
            del self.order[:cut]

    def count(self, since: float) -> int:
        return len(self.order) - bisect.bisect_left(self.order, (since, ""))


class LocalStore:
    """This process's store (and replay's). Thread-safe; at most `max_keys` keys."""

    def __init__(self, max_keys: int = 200_000) -> None:
        self._lock = threading.Lock()
        self._data: dict[str, Any] = {}
        self._expiry: dict[str, float] = {}
        self._max_keys = max_keys
        self._next_sweep = 0.0
        self._sweep_keys: list[str] = []
        # Each operation's method, looked up once (run() is on every order's path).
        self._handlers = {
            name: getattr(self, "_" + name)
            for name in ("event", "mark", "first", "count", "profile", "bucket", "buckets")
        }

    def run(self, at: float, ops: list[Op]) -> list[Any]:
        handlers = self._handlers
        with self._lock:
            self._sweep(at)
            results: list[Any] = []
            for name, *args in ops:
                results.append(handlers[name](at, results, *args))
            return results

    def __len__(self) -> int:
        return len(self._data)

    def _live(self, key: str, at: float) -> Any:
        if self._expiry.get(key, at + 1) <= at:
            self._data.pop(key, None)
            self._expiry.pop(key, None)
        return self._data.get(key)

    def _sorted(self, key: str, at: float, ttl: float) -> _Sorted:
        found = self._live(key, at)
        if found is None:
            found = self._data[key] = _Sorted()
        self._expiry[key] = max(self._expiry.get(key, 0), at + ttl)
        return found

    def _event(self, at, results, key, member, horizon, ref=-1, max_age=0) -> None:
        if ref >= 0 and not (results[ref] is not None and at - results[ref] < max_age):
            return None
        found = self._sorted(key, at, horizon)
        found.add(member, at)
        found.trim(at - horizon)
        return None

    def _mark(self, at, results, key, member, horizon, ref) -> None:
        first = results[ref]
        if first is None or at - first >= horizon:
            return None
        found = self._sorted(key, at, horizon)
        found.add(member, first, nx=True)
        found.trim(at - horizon)
        return None

    def _first(self, at, results, key, ttl) -> float:
        found = self._live(key, at)
        if found is None:
            found = self._data[key] = at
        self._expiry[key] = at + ttl
        return found

    def _count(self, at, results, key, since) -> int:
        found = self._live(key, at)
        return found.count(since) if isinstance(found, _Sorted) else 0

    def _profile(self, at, results, key, amount, alpha, ttl) -> tuple[float, int]:
        mean, n = self._live(key, at) or (0.0, 0)
        new_mean = amount if n == 0 else mean + alpha * (amount - mean)
        self._data[key] = (new_mean, n + 1)
        self._expiry[key] = at + ttl
        return mean, n

    def _bucket(self, at, results, key, slot, ttl) -> None:
        found = self._live(key, at)
        if found is None:
            found = self._data[key] = {}
        found[slot] = found.get(slot, 0) + 1
        for old in [s for s in found if s < slot - 48]:
            del found[old]
        self._expiry[key] = at + ttl
        return None

    def _buckets(self, at, results, key, first_slot, last_slot) -> int:
        found = self._live(key, at) or {}
        return sum(n for slot, n in found.items() if first_slot <= slot <= last_slot)

    def _sweep(self, at: float) -> None:
        """Drop expired keys a few at a time (SWEEP_STEP per batch, so no order pays for
        a sweep of the whole store); beyond max_keys, the soonest to expire at once."""
        if not self._sweep_keys and at < self._next_sweep and len(self._data) <= self._max_keys:
            return
        for _ in range(SWEEP_STEP):
            if not self._sweep_keys:
                if at < self._next_sweep:
                    break
                self._next_sweep = at + 60
                self._sweep_keys = list(self._expiry)
                if not self._sweep_keys:
                    break
            key = self._sweep_keys.pop()
            if self._expiry.get(key, at + 1) <= at:
                self._data.pop(key, None)
                del self._expiry[key]
        if len(self._data) > self._max_keys:
            excess = len(self._data) - int(self._max_keys * 0.9)
            for key in sorted(self._expiry, key=self._expiry.__getitem__)[:excess]:
                self._data.pop(key, None)
                del self._expiry[key]


# One call per order. Scores are the order's time in seconds (float); results go back as
# one JSON string (Lua numbers would come back truncated to integers).
_SCRIPT = """
local at = tonumber(ARGV[1])
local ops = cjson.decode(ARGV[2])
local cap = tonumber(ARGV[3])
local results = {}
local function trim(key, horizon)
    redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (at - horizon))
    local n = redis.call('ZCARD', key)
    if n > cap then redis.call('ZREMRANGEBYRANK', key, 0, n - cap - 1) end
    redis.call('EXPIRE', key, math.ceil(horizon) + 60)
end
for i, op in ipairs(ops) do
    local kind, key = op[1], op[2]
    local result = false
    if kind == 'event' then
        local ref = op[5]
        local ok = true
        if ref and ref >= 0 then
            local first = results[ref + 1]
            ok = first ~= false and (at - first) < op[6]
        end
        if ok then
            redis.call('ZADD', key, at, op[3])
            trim(key, op[4])
        end
    elseif kind == 'mark' then
        local first = results[op[5] + 1]
        if first ~= false and (at - first) < op[4] then
            redis.call('ZADD', key, 'NX', first, op[3])
            trim(key, op[4])
        end
    elseif kind == 'first' then
        redis.call('SET', key, at, 'NX')
        result = tonumber(redis.call('GET', key))
        redis.call('EXPIRE', key, op[3])
    elseif kind == 'count' then
        result = redis.call('ZCOUNT', key, op[3], '+inf')
    elseif kind == 'profile' then
        local old = redis.call('HMGET', key, 'm', 'n')
        local mean, n = tonumber(old[1]) or 0, tonumber(old[2]) or 0
        local new = op[3]
        if n > 0 then new = mean + op[4] * (op[3] - mean) end
        redis.call('HSET', key, 'm', new, 'n', n + 1)
        redis.call('EXPIRE', key, op[5])
        result = {mean, n}
    elseif kind == 'bucket' then
        redis.call('HINCRBY', key, op[3], 1)
        redis.call('HDEL', key, op[3] - 49)
        redis.call('EXPIRE', key, op[4])
    elseif kind == 'buckets' then
        local fields = {}
        for slot = op[3], op[4] do fields[#fields + 1] = slot end
        local total = 0
        if #fields > 0 then
            for _, v in ipairs(redis.call('HMGET', key, unpack(fields))) do
                total = total + (tonumber(v) or 0)
            end
        end
        result = total
    end
    results[i] = result
end
return cjson.encode(results)
"""


class RedisStore:
    """Shared by every web process. One EVALSHA per batch."""

    def __init__(self, url: str) -> None:
        self._redis = redis.Redis.from_url(url)
        self._script = self._redis.register_script(_SCRIPT)

    def run(self, at: float, ops: list[Op]) -> list[Any]:
        raw = self._script(keys=[], args=[repr(at), json.dumps(ops), CAP])
        results = json.loads(raw)
        out: list[Any] = []
        for op, result in zip(ops, results, strict=True):
            if result is False:
                out.append(None)
            elif op[0] == "profile":
                out.append((float(result[0]), int(result[1])))
            else:
                out.append(result)
        return out

    def flush(self) -> None:
        """Empty the database (tests)."""
        self._redis.flushdb()


@cache
def _store(redis_url: str) -> LocalStore | RedisStore:
    return RedisStore(redis_url) if redis_url else LocalStore()


def store() -> LocalStore | RedisStore:
    """The store for this deployment: Redis with REDIS_URL, else this process's (as
    kameng.guards chooses)."""
    return _store(settings.REDIS_URL)


def forget_store() -> None:
    """Start from an empty process store (tests; the Redis one is emptied with flush)."""
    _store.cache_clear()


def replay_store() -> LocalStore:
    """A fresh store of its own, for replaying a file in time order (no bound: a file is
    finite and replay must not forget what live scoring would have remembered)."""
    return LocalStore(max_keys=10**9)
