"""Real threads, real PostgreSQL row locks: fifty late payments released together
against ten codes left in stock."""

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kameng.ledger import services as ledger
from kameng.orders import services as orders
from kameng.orders.states import Status
from kameng.payments import services as payments
from kameng.payments.models import Payment, Refund
from kameng.payments.simulator import PAID, REFUNDED
from kameng.payments.states import PaymentStatus, RefundStatus
from kameng.stock.models import Card
from tests import factories
from tests.concurrency import race
from tests.orders.helpers import assert_books_sound
from tests.payments.helpers import (
    buy,
    fresh,
    notify_params,
    payments_balance,
    to_gateway,
    wait_until,
)

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _unscored(settings):
    """Fifty orders released in the same instant are a burst risk control holds for
    review (tests/risk); here the row locks are tested."""
    settings.KAMENG_RISK_ENABLED = False


def test_fifty_late_notifies_at_once_deliver_the_ten_codes_left_and_refund_forty(live_pay):
    sim = live_pay
    world = factories.World.build(cards=50)
    placed = [buy(world) for _ in range(50)]  # every code held for one of them
    assert Card.objects.filter(status=Card.Status.RESERVED).count() == 50
    trades = [to_gateway(sim, order) for order in placed]
    assert orders.expire_unpaid(now=timezone.now() + timedelta(minutes=16)) == 50
    elsewhere = orders.place_order(
        agent=world.a1, sku_id=world.sku.pk, quantity=40, out_trade_no="elsewhere"
    ).order
    sim.update_config({"drop_rate": 1.0})  # the notifies below are the gateway's
    for order in placed:
        sim.pay(order.order_no)

    notifies = [notify_params(sim, trade) for trade in trades]
    results = race(50, lambda i: payments.handle_notify("epay", notifies[i], "127.0.0.1"))

    assert results == [True] * 50, [r for r in results if r is not True][:3]
    statuses = Counter(fresh(order).status for order in placed)
    assert statuses == {Status.DELIVERED: 10, Status.REFUNDED: 40}
    delivered = [order for order in placed if fresh(order).status == Status.DELIVERED]
    sold = Card.objects.filter(status=Card.Status.SOLD)
    assert sold.count() == 50 and sold.values("pk").distinct().count() == 50
    assert Card.objects.filter(order=elsewhere).count() == 40
    for order in delivered:
        assert Card.objects.filter(order=order, status=Card.Status.SOLD).count() == 1
    assert not Payment.objects.filter(status=PaymentStatus.PENDING).exists()

    # The forty trades that bought nothing go back through the gateway, once each.
    wait_until(lambda: Refund.objects.filter(status=RefundStatus.SUCCEEDED).count() == 40, 60)
    refunded = [trade for trade in trades if trade.state == REFUNDED]
    assert len(refunded) == 40 and sum(t.state == PAID for t in trades) == 10
    assert all(len(trade.refunds) == 1 for trade in refunded)
    assert sim.counts["refund"] == 40
    wait_until(lambda: Payment.objects.filter(status=PaymentStatus.REFUNDED).count() == 40)
    assert Payment.objects.filter(status=PaymentStatus.PAID).count() == 10
    assert payments_balance() == Decimal("-1000.00")  # ten codes at 100.00 kept
    assert ledger.escrow_balance() == Decimal("1000.00") + 40 * Decimal("95.00")
    assert_books_sound()
