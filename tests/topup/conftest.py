import pytest
import redis
from django.conf import settings

from kameng import guards
from kameng.topup.services import FAILED_CALLBACKS_KEY


@pytest.fixture(autouse=True)
def _no_failed_callbacks_counted():
    """Every test's callbacks come from 127.0.0.1, and failed ones are counted per
    address for a minute: each test starts with none counted from earlier tests."""
    if settings.REDIS_URL:
        client = redis.Redis.from_url(settings.REDIS_URL)
        stale = list(client.scan_iter(f"{FAILED_CALLBACKS_KEY}*"))
        if stale:
            client.delete(*stale)
    else:
        guards._store.cache_clear()  # a fresh in-process store
