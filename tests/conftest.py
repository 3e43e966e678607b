import pytest
from django.db import connection

from kameng.ledger.services import forget_system_accounts
from tests import factories
from tests.distributor import Distributor, distributor_for

pytest_plugins = ["tests.live", "tests.browser", "tests.sites"]


@pytest.fixture(autouse=True)
def _fresh_system_accounts():
    # Transactional tests empty the tables; forget system-account ids between tests.
    forget_system_accounts()
    yield
    forget_system_accounts()


@pytest.fixture(autouse=True)
def _fresh_risk_counts():
    """Risk control's velocity counts and compiled rules start empty in every test: one
    test's orders must not make another's look like a burst (the process store and the
    Redis one are emptied; a scenario published by a test was rolled back with it)."""
    from tests.risk.flow_helpers import _clean

    _clean()
    yield
    _clean()


@pytest.fixture(autouse=True)
def _webhooks_to_this_machine(settings):
    """Test receivers listen on 127.0.0.1, as in a single-machine setup; the SSRF
    tests (tests/webhooks/test_targets.py) turn this off again."""
    settings.KAMENG_WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def world(db):
    """Levels 95% / 97% / 98.5%, an approved supplier with stock, agent1 → agent2 → agent3."""
    return factories.World.build()


def pytest_collection_modifyitems(config, items):
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def shop(world) -> Distributor:
    """agent3 (bottom of the chain) with an API key."""
    return distributor_for(world.a3)


@pytest.fixture
def rival(world) -> Distributor:
    """agent2 with its own key: must never see agent3's orders."""
    return distributor_for(world.a2)
