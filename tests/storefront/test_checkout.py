"""Checkout: everything checked on the server, the open-order bound, and nothing left
behind by a refusal."""

import inspect
from decimal import Decimal

import pytest
from django.contrib.auth.hashers import check_password

from kameng.agents.errors import AgentInactive
from kameng.agents.services import set_active
from kameng.catalog.errors import OutOfStock
from kameng.errors import InvalidInput
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.orders.states import Status
from kameng.payments.errors import GatewayNotConfigured, PaymentTypeNotOffered
from kameng.stock.models import Card
from kameng.storefront import services
from kameng.storefront.errors import (
    AccountsDoNotMatch,
    CouponUsedUp,
    InvalidContact,
    InvalidPaymentType,
    InvalidRechargeAccount,
    StorefrontNotFound,
    TooManyOpenOrders,
)
from kameng.storefront.models import Checkout, Coupon
from tests import factories
from tests.orders.helpers import assert_books_sound
from tests.storefront.conftest import buy, fresh_ip

pytestmark = pytest.mark.django_db

D = Decimal


def _nothing_created() -> None:
    assert Order.objects.count() == 0
    assert Checkout.objects.count() == 0
    assert Card.objects.exclude(status=Card.Status.AVAILABLE).count() == 0
    assert all(c.used_count == 0 for c in Coupon.objects.all())


def test_a_checkout_holds_the_goods_and_records_the_buyer(world, shop):
    order = buy(
        shop,
        world.sku,
        quantity=2,
        contact=" Buyer@Example.COM ",
        query_password="s3cret!",
        buyer_ip="203.0.113.7",
        payment_type="wxpay",
    )
    assert (order.status, order.channel, order.agent_id) == ("created", "storefront", world.a3.pk)
    assert (order.amount, order.buyer_contact) == (D("200.00"), "buyer@example.com")
    assert Card.objects.filter(order=order, status=Card.Status.RESERVED).count() == 2
    checkout = Checkout.objects.get(order=order)
    assert (checkout.storefront, checkout.contact, checkout.contact_kind) == (
        shop,
        "buyer@example.com",
        "email",
    )
    assert (checkout.buyer_ip, checkout.payment_type, checkout.discount) == (
        "203.0.113.7",
        "wxpay",
        D("0.00"),
    )
    assert checkout.query_password != "s3cret!"
    assert check_password("s3cret!", checkout.query_password)


def test_checkout_takes_no_price_and_charges_the_servers(world, shop):
    parameters = inspect.signature(services.checkout).parameters
    assert not {"price", "amount", "unit_price", "total", "discount"} & set(parameters)
    with pytest.raises(TypeError):
        buy(shop, world.sku, amount=D("0.01"))
    services.set_price_tier(world.a3, world.sku, min_quantity=3, unit_price="99.00")
    order = buy(shop, world.sku, quantity=3)
    assert order.amount == services.price(shop, world.sku.pk, 3).total == D("297.00")


def test_a_mobile_number_is_a_contact_too(world, shop):
    order = buy(shop, world.sku, contact="+86 138-0013-8000")
    assert order.checkout.contact == "13800138000"
    assert order.checkout.contact_kind == "phone"


@pytest.mark.parametrize(
    "contact", ["", "   ", "not-an-email", "a@b", "12345678901", "1380013800", "23800138000", 7]
)
def test_an_invalid_contact_is_refused_and_nothing_is_created(world, shop, contact):
    with pytest.raises(InvalidContact):
        buy(shop, world.sku, contact=contact)
    _nothing_created()


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"quantity": 0}, InvalidInput),
        ({"quantity": 101}, InvalidInput),
        ({"quantity": "1"}, InvalidInput),
        ({"quantity": 21}, OutOfStock),  # 20 in stock
        ({"payment_type": ""}, InvalidPaymentType),
        ({"payment_type": "Ali Pay"}, InvalidPaymentType),
        ({"payment_type": "qqpay"}, PaymentTypeNotOffered),  # not the gateway's
        ({"buyer_ip": "nobody"}, InvalidInput),
        ({"query_password": "abc"}, InvalidInput),
        ({"recharge_account": "13800138000"}, InvalidRechargeAccount),  # a card SKU
    ],
)
def test_bad_input_is_refused_and_nothing_is_created(world, shop, fields, error):
    services.create_coupon(world.a3, code="ANY", kind="fixed", value="1")
    with pytest.raises(error):
        buy(shop, world.sku, coupon_code="ANY", **fields)
    _nothing_created()


def test_a_phone_top_up_takes_a_mobile_number_typed_twice(world, gateway):
    sku = factories.direct_sku("50.00", category="手机话费")
    factories.api_offer(sku)
    shop = factories.storefront(world.a3)
    for account, again, error in [
        ("", "", InvalidRechargeAccount),
        ("player_one", "player_one", InvalidRechargeAccount),
        ("1380013800", "1380013800", InvalidRechargeAccount),
        ("13800138000", "13800138001", AccountsDoNotMatch),
        ("13800138000", "", AccountsDoNotMatch),
    ]:
        with pytest.raises(error):
            buy(shop, sku, recharge_account=account, recharge_account_again=again)
    _nothing_created()
    order = buy(shop, sku, recharge_account="138 0013 8000", recharge_account_again="13800138000")
    assert (order.recharge_account, order.amount) == ("13800138000", D("50.00"))


def test_a_game_top_up_takes_an_account_typed_twice(world, gateway):
    sku = factories.direct_sku("30.00", category="游戏直充")
    factories.api_offer(sku, cost="25.00")
    shop = factories.storefront(world.a3)
    for account in ["ab", "x" * 65, "有中文", "a b c"]:
        with pytest.raises(InvalidRechargeAccount):
            buy(shop, sku, recharge_account=account, recharge_account_again=account)
    with pytest.raises(AccountsDoNotMatch):
        buy(shop, sku, recharge_account="player_one", recharge_account_again="player_0ne")
    _nothing_created()
    order = buy(shop, sku, recharge_account="player_one", recharge_account_again="player_one")
    assert order.recharge_account == "player_one"


def test_one_contact_holds_at_most_three_unpaid_orders(world, shop):
    placed = [buy(shop, world.sku, contact="Same@example.com") for _ in range(3)]
    with pytest.raises(TooManyOpenOrders):
        buy(shop, world.sku, contact="same@EXAMPLE.com")
    assert Order.objects.count() == 3
    # Paid, an order holds nothing: there is room again.
    first = placed[0]
    orders.record_payment(order_no=first.order_no, amount=first.amount, payment_ref="p-1")
    buy(shop, world.sku, contact="same@example.com")
    # Closed unpaid, too.
    with pytest.raises(TooManyOpenOrders):
        buy(shop, world.sku, contact="same@example.com")
    # Closed unpaid, too.
    orders.expire_unpaid(now=placed[2].payment_deadline)
    assert Order.objects.filter(status=Status.EXPIRED).count() == 2
    buy(shop, world.sku, contact="same@example.com")
    buy(shop, world.sku, contact="same@example.com")


def test_one_address_holds_at_most_three_unpaid_orders(world, shop, settings):
    ip = fresh_ip()
    for _ in range(3):
        buy(shop, world.sku, buyer_ip=ip)
    with pytest.raises(TooManyOpenOrders):
        buy(shop, world.sku, buyer_ip=ip)
    settings.KAMENG_STOREFRONT_MAX_OPEN_ORDERS = 4
    buy(shop, world.sku, buyer_ip=ip)
    assert Checkout.objects.filter(buyer_ip=ip).count() == 4


def test_no_checkout_while_no_gateway_can_take_the_money(world):
    shop = factories.storefront(world.a3)
    with pytest.raises(GatewayNotConfigured):
        buy(shop, world.sku)
    _nothing_created()


def test_no_pay_link_while_no_gateway_can_take_the_money(world):
    with pytest.raises(GatewayNotConfigured):
        services.create_pay_link(world.a3, world.sku.pk)
    _nothing_created()


def test_a_closed_shop_and_a_disabled_owner_sell_nothing(world, shop):
    services.set_storefront_active(shop, False)
    with pytest.raises(StorefrontNotFound):
        buy(shop, world.sku)
    services.set_storefront_active(shop, True)
    set_active(world.a3, False)
    with pytest.raises(AgentInactive):
        buy(shop, world.sku)
    _nothing_created()


def test_a_refused_order_gives_no_coupon_use(world, shop):
    coupon = services.create_coupon(world.a3, code="ONE", kind="fixed", value="1", usage_limit=1)
    with pytest.raises(OutOfStock):
        buy(shop, world.sku, quantity=21, coupon_code="ONE")
    _nothing_created()
    order = buy(shop, world.sku, coupon_code="one")
    coupon.refresh_from_db()
    assert (coupon.used_count, order.amount, order.checkout.coupon) == (1, D("99.00"), coupon)


def test_an_expired_unpaid_order_gives_its_coupon_use_back(world, shop):
    coupon = services.create_coupon(world.a3, code="ONE", kind="fixed", value="1", usage_limit=1)
    order = buy(shop, world.sku, coupon_code="ONE")
    with pytest.raises(CouponUsedUp):
        buy(shop, world.sku, coupon_code="ONE")
    assert orders.expire_unpaid(now=order.payment_deadline) == 1
    coupon.refresh_from_db()
    assert coupon.used_count == 0
    assert not Checkout.objects.get(order=order).coupon_counted
    orders.expire_unpaid(now=order.payment_deadline)  # again: nothing more given back
    coupon.refresh_from_db()
    assert coupon.used_count == 0
    second = buy(shop, world.sku, coupon_code="ONE")
    coupon.refresh_from_db()
    assert coupon.used_count == 1
    # The first is paid late, at its coupon price: the limit is full, it is not counted.
    orders.record_payment(order_no=order.order_no, amount=D("99.00"), payment_ref="late")
    coupon.refresh_from_db()
    assert coupon.used_count == 1
    # The second closes: the late payer's use now fits and counts.
    orders.expire_unpaid(now=second.payment_deadline)
    coupon.refresh_from_db()
    assert coupon.used_count == 0
    assert_books_sound()


def test_a_late_payment_counts_its_coupon_again_when_there_is_room(world, shop):
    coupon = services.create_coupon(world.a3, code="TWO", kind="fixed", value="1", usage_limit=2)
    order = buy(shop, world.sku, coupon_code="TWO")
    orders.expire_unpaid(now=order.payment_deadline)
    coupon.refresh_from_db()
    assert coupon.used_count == 0
    orders.record_payment(order_no=order.order_no, amount=D("99.00"), payment_ref="late")
    coupon.refresh_from_db()
    assert coupon.used_count == 1
    assert Checkout.objects.get(order=order).coupon_counted


def test_a_pay_link_is_an_unpaid_order_in_the_sellers_shop(world, gateway, settings):
    settings.KAMENG_PUBLIC_URL = "https://shop.example.com"
    order, url = services.create_pay_link(world.a3, world.sku.pk, quantity=2, contact="13900139000")
    assert (order.status, order.amount, order.agent_id) == ("created", D("200.00"), world.a3.pk)
    token = services.order_access_token(order.order_no)
    assert url == f"https://shop.example.com/pay/{order.order_no}/?t={token}"
    assert services.check_access_token(order.order_no, token)
    checkout = order.checkout
    assert (checkout.storefront.slug, checkout.contact, checkout.buyer_ip) == (
        "agent3",  # opened for it, named after its username
        "13900139000",
        None,
    )
    anonymous, _ = services.create_pay_link(world.a3, world.sku.pk)
    assert anonymous.checkout.contact == ""
    assert anonymous.checkout.payment_type == ""  # chosen on the pay page
    with pytest.raises(InvalidContact):
        services.create_pay_link(world.a3, world.sku.pk, contact="nobody")
    assert Order.objects.count() == 2
