"""Risk control through the open API, as a distributor's program meets it: allowed
orders answer 201 with their codes; held ones answer 201 in `review` with the money in
escrow and no codes until the operator decides; blocked ones answer 403 `risk_blocked`
without saying which rule fired, and no money moves."""

from decimal import Decimal

import pytest

from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.stock.models import Card
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

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_risk")]


@pytest.fixture(autouse=True)
def scenario(db):
    return tight_scenario()


def test_an_allowed_order_is_delivered_and_its_origin_recorded(world, shop):
    response = shop.buy(world.sku.pk, "ok-1", quantity=ALLOWED)
    assert response.status_code == 201 and response.json()["status"] == "delivered"
    assessment = assessment_of(response.json()["order_no"])
    assert (assessment.decision, assessment.channel) == ("allow", "api")
    assert assessment.ip == "127.0.0.1" and assessment.seller_id == world.a3.pk


def test_a_held_order_waits_with_its_money_then_the_operator_approves(world, shop):
    response = shop.buy(world.sku.pk, "held-1", quantity=HELD)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "review" and not body.get("cards")
    assert factories.wallet(world.a3) == Decimal("2000.00") - Decimal(body["amount"])
    order = Order.objects.get(order_no=body["order_no"])
    assert not Card.objects.filter(order=order, status=Card.Status.SOLD).exists()
    assert shop.buy(world.sku.pk, "held-1", quantity=HELD).status_code == 200  # a retry

    orders.approve_review(order, by="operator")
    shown = shop.call("GET", f"/api/v1/orders/{order.order_no}").json()
    assert shown["status"] == "delivered" and len(shown["cards"]) == HELD
    assert assessment_of(order.order_no).label == "normal"
    assert_books_sound()


def test_a_held_order_rejected_gives_the_money_back(world, shop):
    body = shop.buy(world.sku.pk, "held-2", quantity=HELD).json()
    order = Order.objects.get(order_no=body["order_no"])
    orders.reject_review(order, by="operator", reason="盗号购买")
    assert factories.wallet(world.a3) == Decimal("2000.00")
    shown = shop.call("GET", f"/api/v1/orders/{order.order_no}").json()
    assert shown["status"] == "refunded" and not shown.get("cards")
    assert assessment_of(order.order_no).label == "fraud"
    assert_books_sound()


def test_a_blocked_order_is_403_risk_blocked_without_reasons_and_moves_nothing(world, shop):
    available = Card.objects.filter(status=Card.Status.AVAILABLE).count()
    response = shop.buy(world.sku.pk, "bad-1", quantity=BLOCKED)
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "risk_blocked"
    text = response.content.decode()
    assert "three_blocked" not in text and "数量" not in text and "quantity" not in text
    assert not Order.objects.filter(out_trade_no="bad-1").exists()
    assert factories.wallet(world.a3) == Decimal("2000.00")
    assert Card.objects.filter(status=Card.Status.AVAILABLE).count() == available
    [attempt] = blocked_attempts()
    assert attempt.channel == "api" and "three_blocked" in {r["rule"] for r in attempt.reasons}
    assert_books_sound()
