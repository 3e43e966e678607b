"""Shared pieces for risk's tests: facts at a given time, a fresh velocity store."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from kameng.risk import services
from kameng.risk.store import LocalStore, forget_store, store
from kameng.risk.verdicts import STOREFRONT, OrderFacts, Origin

T0 = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


def facts(
    at: datetime | float = 0,
    *,
    amount: str = "30.00",
    seller_id: int = 7,
    channel: str = STOREFRONT,
    quantity: int = 1,
    order_no: str = "",
    **origin: str,
) -> OrderFacts:
    """An order `at` seconds after T0 (or at a datetime)."""
    when = at if isinstance(at, datetime) else T0 + timedelta(seconds=at)
    return OrderFacts(
        origin=Origin(channel=channel, **origin),
        seller_id=seller_id,
        seller=f"agent{seller_id}",
        sku_id=1,
        quantity=quantity,
        amount=Decimal(amount),
        at=when,
        order_no=order_no,
    )


@pytest.fixture(autouse=True)
def _fresh_risk_state(settings):
    """Counters start empty (Redis too, when the run has REDIS_URL)."""
    forget_store()
    services.forget_scenario()
    if settings.REDIS_URL:
        store().flush()
    yield
    forget_store()
    services.forget_scenario()


@pytest.fixture
def velocity() -> LocalStore:
    return LocalStore()
