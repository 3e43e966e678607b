"""Prices from the database only: tiers, coupons, and the floor at the owner's cost."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kameng.agents.services import set_price
from kameng.ledger import services as ledger
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.storefront import services
from kameng.storefront.errors import (
    CouponExpired,
    CouponNotApplicable,
    CouponNotFound,
    CouponUsedUp,
    TierPriceOutOfBounds,
)
from kameng.storefront.models import Coupon
from tests import factories
from tests.orders.helpers import assert_books_sound
from tests.storefront.conftest import buy

pytestmark = pytest.mark.django_db

D = Decimal


def _price(shop, world, quantity, code=""):
    p = services.price(shop, world.sku.pk, quantity, code)
    return (p.unit_list_price, p.unit_price, p.subtotal, p.discount, p.total)


def test_the_lowest_tier_reached_by_the_quantity_applies(world, shop):
    services.set_price_tier(world.a3, world.sku, min_quantity=5, unit_price="99.00")
    services.set_price_tier(world.a3, world.sku, min_quantity=10, unit_price="98.80")
    assert _price(shop, world, 4) == (D("100.00"), D("100.00"), D("400.00"), D("0"), D("400.00"))
    assert _price(shop, world, 5) == (D("100.00"), D("99.00"), D("495.00"), D("0"), D("495.00"))
    assert _price(shop, world, 10)[1:] == (D("98.80"), D("988.00"), D("0"), D("988.00"))
    assert _price(shop, world, 12)[1] == D("98.80")
    # Setting the same tier again changes its price.
    services.set_price_tier(world.a3, world.sku, min_quantity=5, unit_price="99.50")
    assert _price(shop, world, 5)[1] == D("99.50")
    services.remove_price_tier(world.a3, world.sku, min_quantity=10)
    assert _price(shop, world, 12)[1] == D("99.50")


@pytest.mark.parametrize("unit_price", ["98.49", "100.01"])
def test_a_tier_below_the_owners_cost_or_above_its_retail_price_is_refused(world, unit_price):
    with pytest.raises(TierPriceOutOfBounds) as refused:
        services.set_price_tier(world.a3, world.sku, min_quantity=2, unit_price=unit_price)
    assert refused.value.details == {"min": "98.50", "max": "100.00"}


def test_a_tier_is_bounded_by_the_owners_own_retail_price(world, shop):
    set_price(world.a3, world.sku, retail_price="99.50")
    with pytest.raises(TierPriceOutOfBounds):
        services.set_price_tier(world.a3, world.sku, min_quantity=2, unit_price="99.60")
    services.set_price_tier(world.a3, world.sku, min_quantity=2, unit_price="99.00")
    assert _price(shop, world, 2)[:3] == (D("99.50"), D("99.00"), D("198.00"))


def test_a_tier_that_fell_below_the_owners_cost_is_ignored_when_priced(world, shop):
    services.set_price_tier(world.a3, world.sku, min_quantity=2, unit_price="98.60")
    set_price(world.a2, world.sku, sub_agent_price="98.70")  # agent3's cost rises
    assert _price(shop, world, 2)[1] == D("100.00")


def test_a_fixed_coupon_applies_from_its_minimum(world, shop2):
    services.create_coupon(world.a2, code="five", kind="fixed", value="5", min_amount="200")
    with pytest.raises(CouponNotApplicable):
        _price(shop2, world, 1, "FIVE")
    assert _price(shop2, world, 2, " Five ") == (
        D("100.00"),
        D("100.00"),
        D("200.00"),
        D("5.00"),
        D("195.00"),
    )


def test_a_percent_coupon_is_rounded_down_to_the_cent(world, shop2):
    services.set_price_tier(world.a2, world.sku, min_quantity=2, unit_price="99.99")
    services.create_coupon(world.a2, code="HALF-PC", kind="percent", value="0.5")
    # 0.5 % of 299.97 is 1.49985: 1.49 off, not 1.50.
    assert _price(shop2, world, 3, "half-pc")[2:] == (D("299.97"), D("1.49"), D("298.48"))


def test_a_coupon_never_takes_the_total_below_the_owners_cost(world, shop2):
    services.create_coupon(world.a2, code="TEN", kind="fixed", value="10")
    assert _price(shop2, world, 1, "TEN")[3:] == (D("3.00"), D("97.00"))


def test_a_coupon_for_other_skus_does_not_apply(world, shop2):
    other = factories.sku("50.00")
    services.create_coupon(world.a2, code="OTHER", kind="fixed", value="1", sku_ids=[other.pk])
    services.create_coupon(world.a2, code="THIS", kind="fixed", value="1", sku_ids=[world.sku.pk])
    with pytest.raises(CouponNotApplicable):
        _price(shop2, world, 1, "OTHER")
    assert _price(shop2, world, 1, "THIS")[4] == D("99.00")


def test_unknown_switched_off_expired_and_used_up_coupons_are_refused(world, shop2):
    with pytest.raises(CouponNotFound):
        _price(shop2, world, 1, "NOPE")
    services.create_coupon(world.a3, code="THEIRS", kind="fixed", value="1")  # another shop's
    with pytest.raises(CouponNotFound):
        _price(shop2, world, 1, "THEIRS")
    services.create_coupon(world.a2, code="OFF", kind="fixed", value="1")
    services.deactivate_coupon(world.a2, "off")
    with pytest.raises(CouponNotFound):
        _price(shop2, world, 1, "OFF")
    services.create_coupon(
        world.a2,
        code="OLD",
        kind="fixed",
        value="1",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    Coupon.objects.filter(code="OLD").update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(CouponExpired):
        _price(shop2, world, 1, "OLD")
    services.create_coupon(world.a2, code="ONCE", kind="fixed", value="1", usage_limit=1)
    buy(shop2, world.sku, coupon_code="ONCE")
    with pytest.raises(CouponUsedUp):
        _price(shop2, world, 1, "ONCE")
    with pytest.raises(CouponUsedUp):
        buy(shop2, world.sku, coupon_code="ONCE")
    assert Order.objects.count() == 1


def test_a_full_coupon_charges_the_owners_cost_and_only_its_spread_is_given_up(world, shop):
    """agent3 pays 98.50 and sells at 100.00; a 100 % coupon on two units: the buyer
    pays 197.00, agent3 earns nothing, agent2 and agent1 their usual spreads."""
    services.create_coupon(world.a3, code="FREE", kind="percent", value="100")
    order = buy(shop, world.sku, quantity=2, coupon_code="free")
    assert (order.unit_price, order.amount) == (D("100.00"), D("197.00"))
    assert order.checkout.discount == D("3.00")
    assert order.spreads == [
        [world.a1.wallet_id, "4.00"],  # (97.00 - 95.00) × 2
        [world.a2.wallet_id, "3.00"],  # (98.50 - 97.00) × 2
    ]
    orders.record_payment(order_no=order.order_no, amount=D("197.00"), payment_ref="pay-free")
    orders.confirm_receipt(Order.objects.get(pk=order.pk))
    assert factories.wallet(world.a1) == D("10004.00")
    assert factories.wallet(world.a2) == D("5003.00")
    assert factories.wallet(world.a3) == D("2000.00")  # its spread went to the buyer
    assert ledger.balance(world.supplier.payable_id) == D("180.00")
    assert ledger.balance(ledger.system_account_id(ledger.REVENUE)) == D("10.00")
    assert_books_sound()


def test_a_tier_and_a_coupon_come_out_of_the_owners_spread_only(world, shop2):
    services.set_price_tier(world.a2, world.sku, min_quantity=3, unit_price="99.00")
    services.create_coupon(world.a2, code="TWO", kind="fixed", value="2")
    order = buy(shop2, world.sku, quantity=3, coupon_code="TWO")
    assert (order.unit_price, order.amount) == (D("99.00"), D("295.00"))
    assert order.spreads == [
        [world.a1.wallet_id, "6.00"],  # (97.00 - 95.00) × 3, as ever
        [world.a2.wallet_id, "4.00"],  # 295.00 - 3 × 97.00
    ]
    orders.record_payment(order_no=order.order_no, amount=D("295.00"), payment_ref="pay-two")
    orders.confirm_receipt(Order.objects.get(pk=order.pk))
    assert factories.wallet(world.a1) == D("10006.00")
    assert factories.wallet(world.a2) == D("5004.00")
    assert ledger.balance(world.supplier.payable_id) == D("270.00")
    assert_books_sound()
