"""The payment stack for end-to-end tests: the simulated 易支付 provider over real HTTP,
the live Django server receiving its notifies, the Celery workers sending refunds and
running queries. Failed notifies are counted per address (every test's come from
127.0.0.1): each test starts with none counted."""

from collections.abc import Iterator

import pytest
import redis
from django.conf import settings

from kameng import guards
from kameng.payments.services import FAILED_NOTIFIES_KEY
from kameng.payments.simulator import SimPayConfig, SimulatedEpay
from tests.payments.helpers import configure


@pytest.fixture(autouse=True)
def _no_failed_notifies_counted():
    if settings.REDIS_URL:
        client = redis.Redis.from_url(settings.REDIS_URL)
        stale = list(client.scan_iter(f"{FAILED_NOTIFIES_KEY}*"))
        if stale:
            client.delete(*stale)
    else:
        guards._store.cache_clear()  # a fresh in-process store


@pytest.fixture
def sim() -> Iterator[SimulatedEpay]:
    """A simulated provider; its notifies retried quickly when not answered `success`."""
    provider = SimulatedEpay(
        SimPayConfig(retry_delays=(0.2,), notify_retries=3, notify_timeout=10.0, seed=7)
    ).start()
    yield provider
    provider.stop()


@pytest.fixture
def live_pay(worker, sim):
    """The live server (KAMENG_PUBLIC_URL points at it), the workers, and the `epay`
    gateway configured at the simulator."""
    configure(sim)
    return sim
