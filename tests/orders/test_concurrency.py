"""Real threads, real PostgreSQL row locks: released together, then the invariants."""

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kameng.agents.services import top_up
from kameng.errors import DomainError
from kameng.ledger import services as ledger
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.stock.models import Card
from tests import factories
from tests.concurrency import race
from tests.orders.helpers import assert_books_sound

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _unscored(settings):
    """Fifty orders released in the same instant are a burst risk control holds for
    review (tests/risk); here the row locks are tested."""
    settings.KAMENG_RISK_ENABLED = False


def _codes(result) -> str:
    return result.code if isinstance(result, DomainError) else type(result).__name__


def test_fifty_buyers_for_thirty_codes_sell_exactly_thirty(world_30):
    world = world_30
    results = race(
        50,
        lambda i: orders.place_order(
            agent=world.a3, sku_id=world.sku.pk, quantity=1, out_trade_no=f"race-{i}"
        ),
    )
    placed = [r for r in results if isinstance(r, orders.Placed)]
    failures = Counter(_codes(r) for r in results if not isinstance(r, orders.Placed))
    assert len(placed) == 30, failures
    assert failures == {"out_of_stock": 20}
    sold = Card.objects.filter(status=Card.Status.SOLD)
    assert sold.count() == 30
    assert sold.values("order").distinct().count() == 30  # one code per order, none shared
    assert Card.objects.filter(status=Card.Status.AVAILABLE).count() == 0
    assert factories.wallet(world.a3) == Decimal("10000.00") - 30 * Decimal("98.50")
    assert_books_sound()


def test_the_same_request_racing_with_itself_makes_one_order(world_30):
    world = world_30
    results = race(
        20,
        lambda i: orders.place_order(
            agent=world.a3, sku_id=world.sku.pk, quantity=2, out_trade_no="same"
        ),
    )
    assert all(isinstance(r, orders.Placed) for r in results), results
    assert {r.order.pk for r in results} == {Order.objects.get().pk}
    assert sum(r.created for r in results) == 1
    assert Card.objects.filter(status=Card.Status.SOLD).count() == 2
    assert factories.wallet(world.a3) == Decimal("10000.00") - Decimal("197.00")
    assert_books_sound()


def test_a_balance_is_never_overdrawn_under_concurrency(world_30):
    world = world_30
    buyer = factories.agent("tight", parent=world.a2)
    top_up(buyer, Decimal("492.50"))  # exactly five codes at 98.50
    results = race(
        20,
        lambda i: orders.place_order(
            agent=buyer, sku_id=world.sku.pk, quantity=1, out_trade_no=f"t-{i}"
        ),
    )
    failures = Counter(_codes(r) for r in results if not isinstance(r, orders.Placed))
    assert failures == {"insufficient_balance": 15}
    assert factories.wallet(buyer) == Decimal("0.00")
    assert Card.objects.filter(status=Card.Status.SOLD).count() == 5
    assert_books_sound()


def test_confirm_and_auto_release_racing_settle_once(world_30):
    world = world_30
    order = orders.place_order(
        agent=world.a3, sku_id=world.sku.pk, quantity=1, out_trade_no="x"
    ).order
    later = timezone.now() + timedelta(days=4)

    def work(i):
        if i % 2:
            return orders.release_due_escrow(now=later)
        return orders.confirm_receipt(Order.objects.get(pk=order.pk))

    race(10, work)
    assert ledger.balance(world.supplier.payable_id) == Decimal("90.00")
    assert_books_sound()


@pytest.fixture
def world_30(transactional_db):
    world = factories.World.build(cards=30)
    top_up(world.a3, Decimal("8000.00"))  # 10000.00 in all
    return world
