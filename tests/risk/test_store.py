"""The velocity store's operations give the same answers on both backends: this
process's and a real Redis (database 13)."""

import os

import pytest
import redis

from kameng.risk.store import CAP, LocalStore, RedisStore

REDIS_URL = os.environ.get("KAMENG_TEST_RISK_REDIS", "redis://127.0.0.1:6379/13")


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["local", "redis"])
def store(request):
    if request.param == "local":
        yield LocalStore()
        return
    if not _redis_up():
        pytest.skip(f"no Redis at {REDIS_URL}")
    found = RedisStore(REDIS_URL)
    found.flush()
    yield found
    found.flush()


T = 1_700_000_000.0


def test_sliding_window_counts(store):
    for i in range(5):
        store.run(T + i * 100, [("event", "k", f"o{i}", 86400, -1, 0)])
    assert store.run(T + 450, [("count", "k", T + 450 - 300)]) == [3]  # 200, 300, 400
    assert store.run(T + 450, [("count", "k", T - 1)]) == [5]
    assert store.run(T + 450, [("count", "nothing", T)]) == [0]


def test_events_older_than_the_horizon_are_dropped(store):
    store.run(T, [("event", "k", "a", 600, -1, 0)])
    store.run(T + 700, [("event", "k", "b", 600, -1, 0)])
    assert store.run(T + 700, [("count", "k", 0)]) == [1]


def test_distinct_values_count_once(store):
    for i, value in enumerate(["a", "b", "a", "c", "a"]):
        store.run(T + i, [("event", "d", value, 86400, -1, 0)])
    assert store.run(T + 10, [("count", "d", T)]) == [3]


def test_first_seen_and_marks(store):
    assert store.run(T, [("first", "f:c", 3600)]) == [T]
    first, _, count = store.run(
        T + 50, [("first", "f:c", 3600), ("mark", "n:ip", "c", 86400, 0), ("count", "n:ip", T)]
    )
    assert first == T
    assert count == 1
    # a contact first seen long ago is not marked
    store.run(T, [("first", "f:old", 10**7)])
    results = store.run(
        T + 90000,
        [("first", "f:old", 10**7), ("mark", "n:x", "old", 86400, 0), ("count", "n:x", 0)],
    )
    assert results[2] == 0


def test_conditional_events(store):
    """An event counted only while the referenced first-seen time is young."""
    store.run(T, [("first", "f:a", 10**7)])
    ops = [("first", "f:a", 10**7), ("event", "c", "a", 86400, 0, 3600), ("count", "c", 0)]
    assert store.run(T + 60, ops)[2] == 1
    ops = [("first", "f:a", 10**7), ("event", "c", "b", 86400, 0, 3600), ("count", "c", 0)]
    assert store.run(T + 7200, ops)[2] == 1  # too old now: not counted


def test_profiles_are_running_means(store):
    assert store.run(T, [("profile", "p", 10.0, 0.5, 3600)]) == [(0.0, 0)]
    assert store.run(T, [("profile", "p", 20.0, 0.5, 3600)]) == [(10.0, 1)]
    assert store.run(T, [("profile", "p", 0.0, 0.5, 3600)]) == [(15.0, 2)]


def test_hourly_buckets(store):
    for hour in (100, 100, 101, 130):
        store.run(T, [("bucket", "h", hour, 3 * 86400)])
    assert store.run(T, [("buckets", "h", 100, 101)]) == [3]
    assert store.run(T, [("buckets", "h", 102, 129)]) == [0]


def test_sets_are_capped(store):
    ops = [("event", "big", f"m{i}", 86400, -1, 0) for i in range(CAP + 50)]
    store.run(T, ops)
    assert store.run(T, [("count", "big", 0)]) == [CAP]


def test_local_store_is_bounded():
    store = LocalStore(max_keys=100)
    for i in range(1000):
        store.run(T + i, [("event", f"k{i}", "x", 86400, -1, 0)])
    assert len(store) <= 100


def test_local_store_forgets_expired_keys():
    store = LocalStore()
    store.run(T, [("event", "k", "x", 600, -1, 0)])
    store.run(T + 10_000, [("count", "other", 0)])
    assert len(store) == 0
