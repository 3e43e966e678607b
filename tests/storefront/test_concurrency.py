"""Real threads, real PostgreSQL row locks: a coupon's limit and the open-order bound
hold when checkouts race."""

from collections import Counter
from decimal import Decimal

import pytest

from kameng.errors import DomainError
from kameng.orders.models import Order
from kameng.stock.models import Card
from kameng.storefront import services
from kameng.storefront.models import Checkout
from tests import factories
from tests.concurrency import race
from tests.orders.helpers import assert_books_sound
from tests.storefront.conftest import buy, fresh_ip

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _outcome(result) -> str:
    if isinstance(result, Order):
        return "ordered"
    return result.code if isinstance(result, DomainError) else repr(result)


@pytest.fixture
def racing_shop(transactional_db, gateway):
    world = factories.World.build(cards=30)
    return world, factories.storefront(world.a3, slug="race")


def test_twenty_buyers_racing_for_five_coupon_uses_get_exactly_five(racing_shop):
    world, shop = racing_shop
    coupon = services.create_coupon(world.a3, code="FIVE", kind="fixed", value="1", usage_limit=5)
    results = race(20, lambda i: buy(shop, world.sku, coupon_code="FIVE"))
    outcomes = Counter(_outcome(r) for r in results)
    assert outcomes == {"ordered": 5, "coupon_used_up": 15}, outcomes
    coupon.refresh_from_db()
    assert coupon.used_count == 5
    assert Checkout.objects.filter(coupon=coupon, coupon_counted=True).count() == 5
    assert set(Order.objects.values_list("amount", flat=True)) == {Decimal("99.00")}
    # The losers left nothing: no order, no code held.
    assert Order.objects.count() == 5
    assert Card.objects.filter(status=Card.Status.RESERVED).count() == 5
    assert_books_sound()


def test_one_contact_racing_with_itself_holds_at_most_three_orders(racing_shop):
    world, shop = racing_shop
    results = race(10, lambda i: buy(shop, world.sku, contact="same@example.com"))
    outcomes = Counter(_outcome(r) for r in results)
    assert outcomes == {"ordered": 3, "too_many_open_orders": 7}, outcomes


def test_one_address_racing_with_itself_holds_at_most_three_orders(racing_shop):
    world, shop = racing_shop
    ip = fresh_ip()
    results = race(10, lambda i: buy(shop, world.sku, buyer_ip=ip))
    outcomes = Counter(_outcome(r) for r in results)
    assert outcomes == {"ordered": 3, "too_many_open_orders": 7}, outcomes
