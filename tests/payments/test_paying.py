"""A storefront order paid at the simulated 易支付 gateway over real HTTP: notifies to
the live server (once, five copies at once, never), queries, the buyer's return, and
the money: PAYMENTS → escrow exactly once, codes delivered exactly once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kameng.ledger import services as ledger
from kameng.orders.models import OrderEvent
from kameng.orders.states import Status
from kameng.payments import services as payments
from kameng.payments import tasks
from kameng.payments.models import GatewayEvent, Payment
from kameng.payments.states import PaymentStatus
from kameng.stock.models import Card
from tests.orders.helpers import assert_books_sound
from tests.payments.helpers import (
    buy,
    fresh,
    notify_params,
    payments_balance,
    shop_world,
    to_gateway,
    wait_until,
)

Outcome = GatewayEvent.Outcome


@pytest.fixture
def world(transactional_db):
    return shop_world(cards=5)


def test_a_paid_order_is_delivered_with_its_codes(live_pay, world):
    sim = live_pay
    order = buy(world, quantity=2)
    trade = to_gateway(sim, order)
    assert trade.money == order.amount and trade.type == "alipay"
    assert trade.notify_url.endswith("/pay/notify/epay/")
    sim.pay(order.order_no)
    wait_until(lambda: fresh(order).status == Status.DELIVERED)
    wait_until(lambda: trade.delivered)
    assert [(a.status, a.reply) for a in trade.notifies] == [(200, "success")]
    payment = Payment.objects.get(order=order)
    assert (payment.status, payment.trade_no, payment.paid_via) == (
        PaymentStatus.PAID,
        trade.trade_no,
        Payment.Via.NOTIFY,
    )
    assert fresh(order).payment_ref == f"epay:{trade.trade_no}"
    sold = Card.objects.filter(order=order, status=Card.Status.SOLD)
    assert sold.count() == 2
    assert order.amount == Decimal("200.00")  # two codes at the retail price, 100.00
    assert payments_balance() == Decimal("-200.00")
    assert ledger.escrow_balance() == Decimal("200.00")
    assert_books_sound()


def test_five_copies_of_a_notify_at_once_deliver_once_and_all_hear_success(live_pay, world):
    sim = live_pay
    sim.update_config({"notify_repeat": 5})
    order = buy(world)
    trade = to_gateway(sim, order)
    sim.pay(order.order_no)
    wait_until(lambda: len(trade.notifies) == 5)
    assert {(a.status, a.reply) for a in trade.notifies} == {(200, "success")}
    payment = Payment.objects.get(order=order)
    # Every copy was answered after the transaction that paid the order had committed.
    assert min(a.at for a in trade.notifies) >= payment.paid_at.timestamp()
    assert fresh(order).status == Status.DELIVERED
    assert OrderEvent.objects.filter(order=order, to_status=Status.PAID).count() == 1
    assert Card.objects.filter(order=order).count() == 1
    assert payments_balance() == Decimal("-100.00")
    assert ledger.escrow_balance() == Decimal("100.00")
    outcomes = sorted(
        GatewayEvent.objects.filter(payment=payment).values_list("outcome", flat=True)
    )
    assert outcomes == [Outcome.DUPLICATE] * 4 + [Outcome.PAID]
    assert_books_sound()


def test_a_notify_that_never_comes_is_found_by_the_poller(live_pay, world, settings):
    sim = live_pay
    settings.KAMENG_PAYMENT_QUERY_DELAYS = [0.3, 15.0]
    sim.update_config({"drop_rate": 1.0})
    order = buy(world)
    trade = to_gateway(sim, order)
    sim.pay(order.order_no)
    assert tasks.poll_unpaid() == 0  # the beat's task: the first query is not due yet
    wait_until(lambda: tasks.poll_unpaid() == 1)
    wait_until(lambda: fresh(order).status == Status.DELIVERED)
    payment = Payment.objects.get(order=order)
    assert (payment.paid_via, payment.trade_no, payment.queries) == (
        Payment.Via.QUERY,
        trade.trade_no,
        1,
    )
    assert payment.next_query_at is None
    assert trade.notifies == [] and sim.counts["query"] == 1
    assert payments_balance() == Decimal("-100.00")
    assert payments.poll_unpaid(timezone.now() + timedelta(hours=1)) == 0
    assert_books_sound()


def test_the_buyer_back_before_the_notify_sees_the_order_paid(live_pay, world):
    sim = live_pay
    sim.update_config({"notify_delay": 30.0})  # the notify is late
    order = buy(world)
    trade = to_gateway(sim, order)
    sim.pay(order.order_no)
    params = notify_params(sim, trade)  # what the 302 back to return_url carries
    returned = payments.handle_return("epay", params)
    assert returned.pk == order.pk and returned.status == Status.DELIVERED
    assert Payment.objects.get(order=order).paid_via == Payment.Via.QUERY
    assert payments.handle_return("epay", {**params, "money": "0.01"}) is None  # forged
    assert_books_sound()
