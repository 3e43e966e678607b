"""Risk control through the storefront, as a buyer meets it: the product page gives the
browser its device cookie, the checkout passes the buyer's address, device, contact and
coupon down to the scorer; allowed orders go on, held ones wait in `review` once paid
(approved: delivered; rejected: refunded through the gateway), blocked ones are a plain
message on the form and leave nothing behind. The net café: many honest buyers behind
one address are allowed."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from kameng.devices import COOKIE
from kameng.ledger import services as ledger
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.orders.states import Status
from kameng.payments import services as payments
from kameng.payments.models import Refund
from kameng.stock.models import Card
from kameng.storefront import services as storefront
from tests import factories
from tests.orders.helpers import assert_books_sound
from tests.risk.flow_helpers import (
    ALLOWED,
    BLOCKED,
    HELD,
    assessment_of,
    blocked_attempts,
    fresh_risk,  # noqa: F401 (a fixture)
    tight_scenario,
)
from tests.storefront.conftest import fresh_email, fresh_ip

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_risk")]

GATEWAY_KEY = "risk-flows-merchant-key-0123456789abcdef"


@pytest.fixture
def shop(world):
    payments.configure_gateway(
        "epay", url="https://pay.example.com", pid="1001", key=GATEWAY_KEY, types="alipay"
    )
    return factories.storefront(world.a3, slug="risk-shop")


@pytest.fixture
def operator(db):
    return get_user_model().objects.create_user(
        "risk-operator", "op@example.com", "x-Password-1", is_staff=True, is_superuser=True
    )


def _product_url(shop, sku) -> str:
    return f"/s/{shop.slug}/p/{sku.pk}/"


def _check_out(client: Client, shop, sku, quantity: int, **fields):
    data = {"quantity": str(quantity), "contact": fresh_email(), "payment_type": "alipay"}
    data.update(fields)
    return client.post(_product_url(shop, sku), data)


def _order_of(response) -> Order:
    assert response.status_code == 303, response.content.decode()[:2000]
    order_no = re.fullmatch(r"/pay/(K\w+)/\?t=\w{32}", response["Location"]).group(1)
    return Order.objects.get(order_no=order_no)


def _pay(order: Order, operator) -> Order:
    """The buyer paid through the gateway (a trade the operator saw; payments pays the
    order exactly as a notify would)."""
    payments.confirm_payment(
        order.order_no, trade_no=f"T{order.pk:08d}", operator=operator, reason="seen"
    )
    return Order.objects.get(pk=order.pk)


def _codes(order: Order) -> dict[str, list[int]]:
    cards = Card.objects.filter(order=order)
    return {
        status: sorted(cards.filter(status=status).values_list("pk", flat=True))
        for status in (Card.Status.RESERVED, Card.Status.SOLD)
    }


def test_the_shop_gives_the_browser_a_device_cookie_and_the_checkout_passes_it_down(world, shop):
    ip = fresh_ip()
    browser = Client(REMOTE_ADDR=ip)
    page = browser.get(_product_url(shop, world.sku))
    cookie = page.cookies[COOKIE]
    assert re.fullmatch(r"[A-Za-z0-9_-]{16,64}", cookie.value)
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 365 * 24 * 3600
    # Known now: the next page does not set it again.
    assert COOKIE not in browser.get(f"/s/{shop.slug}/").cookies

    order = _order_of(_check_out(browser, shop, world.sku, ALLOWED, contact="13812345678"))
    seen = assessment_of(order.order_no)
    assert (seen.channel, seen.ip, seen.device_id, seen.contact) == (
        "storefront",
        ip,
        cookie.value,
        "13812345678",
    )
    assert (seen.decision, order.held_for_review, order.status) == ("allow", False, "created")


def test_a_coupon_and_a_recharge_account_reach_the_scorer(world, shop):
    coupon = storefront.create_coupon(world.a3, code="SAVE1", kind="fixed", value=Decimal("1.00"))
    order = storefront.checkout(
        shop,
        sku_id=world.sku.pk,
        quantity=1,
        contact=fresh_email(),
        coupon_code="save1",
        payment_type="alipay",
        buyer_ip=fresh_ip(),
        device_id="device-abcdefghijklmnop",
    )
    seen = assessment_of(order.order_no)
    assert (seen.coupon, seen.device_id, seen.amount) == (
        coupon.code,
        "device-abcdefghijklmnop",
        Decimal("99.00"),
    )


def test_allowed_it_is_delivered_when_paid(world, shop, operator):
    tight_scenario()
    order = _order_of(_check_out(Client(REMOTE_ADDR=fresh_ip()), shop, world.sku, ALLOWED))
    order = _pay(order, operator)
    assert order.status == Status.DELIVERED
    assert assessment_of(order.order_no).decision == "allow"
    assert_books_sound()


def test_held_it_waits_for_review_once_paid_and_approval_delivers_its_own_codes(
    world, shop, operator
):
    tight_scenario()
    order = _order_of(_check_out(Client(REMOTE_ADDR=fresh_ip()), shop, world.sku, HELD))
    assert (order.status, order.held_for_review) == (Status.CREATED, True)
    reserved = _codes(order)[Card.Status.RESERVED]
    assert len(reserved) == HELD

    order = _pay(order, operator)
    assert order.status == Status.REVIEW
    assert _codes(order) == {Card.Status.RESERVED: reserved, Card.Status.SOLD: []}
    assert ledger.escrow_balance() == order.amount  # held with its money
    assert_books_sound()

    orders.approve_review(order, by="risk-operator", note="known buyer")
    order.refresh_from_db()
    assert order.status == Status.DELIVERED and order.confirm_deadline is not None
    assert _codes(order) == {Card.Status.RESERVED: [], Card.Status.SOLD: reserved}
    seen = assessment_of(order.order_no)
    assert (seen.decision, seen.label, seen.labelled_by) == ("review", "normal", "risk-operator")
    assert [r["rule"] for r in seen.reasons] == ["two_held"]
    assert_books_sound()


def test_held_and_rejected_the_buyer_is_refunded_through_the_gateway(world, shop, operator):
    tight_scenario()
    order = _pay(
        _order_of(_check_out(Client(REMOTE_ADDR=fresh_ip()), shop, world.sku, HELD)), operator
    )
    assert order.status == Status.REVIEW
    orders.reject_review(order, by="risk-operator", reason="stolen account pattern")
    order.refresh_from_db()
    assert order.status == Status.REFUNDED
    refund = Refund.objects.get(payment__order=order)
    assert (refund.trade_no, refund.amount) == (f"T{order.pk:08d}", order.amount)
    assert not Card.objects.filter(order=order).exists()  # its codes back on sale
    assert Card.objects.filter(status=Card.Status.AVAILABLE).count() == 20
    assert assessment_of(order.order_no).label == "fraud"
    assert_books_sound()


def test_blocked_the_form_says_so_without_a_reason_and_nothing_is_left(world, shop):
    tight_scenario()
    ip = fresh_ip()
    response = _check_out(Client(REMOTE_ADDR=ip), shop, world.sku, BLOCKED)
    assert response.status_code == 400
    page = response.content.decode()
    assert "订单未通过风控审核" in page
    assert "three_blocked" not in page and "数量达到" not in page
    assert not Order.objects.exists()
    assert Card.objects.filter(status=Card.Status.AVAILABLE).count() == 20
    [attempt] = blocked_attempts()
    assert (attempt.ip, attempt.quantity, attempt.channel) == (ip, BLOCKED, "storefront")
    assert_books_sound()


def test_a_late_payment_of_a_held_order_takes_codes_again_and_waits(world, shop, operator):
    tight_scenario()
    order = _order_of(_check_out(Client(REMOTE_ADDR=fresh_ip()), shop, world.sku, HELD))
    orders.expire_unpaid(now=timezone.now() + timedelta(days=1))
    order.refresh_from_db()
    assert order.status == Status.EXPIRED and not Card.objects.filter(order=order).exists()
    order = _pay(order, operator)
    assert order.status == Status.REVIEW
    assert len(_codes(order)[Card.Status.RESERVED]) == HELD
    assert_books_sound()


def test_the_buyer_sees_the_order_under_review_without_reasons(world, shop, operator):
    tight_scenario()
    browser = Client(REMOTE_ADDR=fresh_ip())
    order = _pay(_order_of(_check_out(browser, shop, world.sku, HELD)), operator)
    token = storefront.order_access_token(order.order_no)
    page = browser.get(f"/s/{shop.slug}/o/{order.order_no}/?t={token}").content.decode()
    assert "待审核" in page and "审核通过后立即发货" in page
    assert "two_held" not in page and "数量达到" not in page


def test_a_net_cafe_forty_honest_buyers_behind_one_address_are_allowed(
    world, shop, operator, monkeypatch
):
    """An evening at a 网吧: 40 buyers, each with a browser and a contact of their own,
    all behind the café's one public address, one order every 3 minutes, the default
    rules (no tight scenario here)."""
    factories.stock(world.sku, world.supplier, 40, cost="90.00")
    cafe = fresh_ip()
    start = timezone.now()
    for n in range(40):
        at = start + timedelta(minutes=3 * n)
        monkeypatch.setattr(timezone, "now", lambda at=at: at)
        order = storefront.checkout(
            shop,
            sku_id=world.sku.pk,
            quantity=1,
            contact=f"1391234{n:04d}",
            payment_type="alipay",
            buyer_ip=cafe,
            device_id=f"cafe-seat-{n:02d}-abcdefgh",
        )
        seen = assessment_of(order.order_no)
        assert (seen.decision, order.held_for_review) == ("allow", False), (n, seen.reasons)
        assert _pay(order, operator).status == Status.DELIVERED
    assert Order.objects.filter(status=Status.DELIVERED).count() == 40
    assert_books_sound()
