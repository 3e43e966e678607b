"""Money that must go back through the gateway, and does: a late payment for an order
whose codes were sold meanwhile, a second trade for an order already paid, a complaint
upheld; a refusal stays failed for the operator, an unreachable gateway is tried again
(asked first whether the last try landed), and the operator's retry."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from kameng.ledger import services as ledger
from kameng.orders import services as orders
from kameng.orders.states import Status
from kameng.payments import services as payments
from kameng.payments.models import GatewayEvent, Payment, Refund
from kameng.payments.simulator import PAID, REFUNDED
from kameng.payments.states import PaymentStatus, RefundStatus
from kameng.stock.models import Card
from tests.orders.helpers import assert_books_sound
from tests.payments.helpers import (
    buy,
    configure,
    fresh,
    notify_params,
    payments_balance,
    second_trade,
    send_notify,
    shop_world,
    to_gateway,
    wait_until,
)

Outcome = GatewayEvent.Outcome


@pytest.fixture
def world(transactional_db):
    return shop_world(cards=3)


def expire(order) -> None:
    assert orders.expire_unpaid(now=timezone.now() + timedelta(minutes=16)) == 1
    assert fresh(order).status == Status.EXPIRED


def paid_and_delivered(sim, world, quantity: int = 1):
    order = buy(world, quantity=quantity)
    trade = to_gateway(sim, order)
    sim.pay(order.order_no)
    wait_until(lambda: fresh(order).status == Status.DELIVERED)
    return fresh(order), trade


def test_a_late_payment_is_delivered_while_stock_lasts(live_pay, world):
    sim = live_pay
    order = buy(world)
    to_gateway(sim, order)
    expire(order)
    assert not Card.objects.filter(order=order).exists()  # its held code went back
    sim.pay(order.order_no)
    wait_until(lambda: fresh(order).status == Status.DELIVERED)
    assert Card.objects.filter(order=order, status=Card.Status.SOLD).count() == 1
    assert payments_balance() == Decimal("-100.00")
    assert not Refund.objects.exists()
    assert_books_sound()


def test_a_late_payment_with_the_codes_sold_meanwhile_is_refunded_at_the_gateway(live_pay, world):
    sim = live_pay
    order = buy(world)
    trade = to_gateway(sim, order)
    expire(order)
    # The three codes go to a distributor meanwhile.
    orders.place_order(agent=world.a3, sku_id=world.sku.pk, quantity=3, out_trade_no="bulk")
    sim.pay(order.order_no)
    wait_until(lambda: sim.trade(order.order_no).state == REFUNDED)
    assert trade.refunds[0][1] == Decimal("100.00")
    assert fresh(order).status == Status.REFUNDED
    refund = Refund.objects.get()
    wait_until(lambda: Payment.objects.get(order=order).status == PaymentStatus.REFUNDED)
    refund.refresh_from_db()
    assert (refund.status, refund.trade_no, refund.amount) == (
        RefundStatus.SUCCEEDED,
        trade.trade_no,
        Decimal("100.00"),
    )
    assert not Card.objects.filter(order=order).exists()
    assert payments_balance() == Decimal("0.00")  # in through the notify, back out
    assert ledger.escrow_balance() == Decimal("295.50")  # the distributor's three codes only
    assert [(a.status, a.reply) for a in trade.notifies] == [(200, "success")]
    assert_books_sound()


def test_a_second_trade_for_an_order_already_paid_is_refunded_never_lost(live_pay, world):
    sim = live_pay
    order, first = paid_and_delivered(sim, world)
    again = second_trade(sim, first)
    for _ in range(2):  # the gateway repeats it: recorded and refunded once
        reply = send_notify(notify_params(sim, again))
        assert (reply.status_code, reply.text) == (200, "success")
    wait_until(lambda: again.state == REFUNDED)
    assert (first.state, again.refunds[0][1]) == (PAID, Decimal("100.00"))
    refund = Refund.objects.get()
    wait_until(lambda: Refund.objects.get().status == RefundStatus.SUCCEEDED)
    assert refund.trade_no == again.trade_no
    payment = Payment.objects.get(order=order)
    assert (payment.status, payment.trade_no) == (PaymentStatus.PAID, first.trade_no)
    assert fresh(order).status == Status.DELIVERED
    assert Card.objects.filter(order=order).count() == 1
    outcomes = list(
        GatewayEvent.objects.filter(trade_no=again.trade_no, kind="notify").values_list(
            "outcome", flat=True
        )
    )
    assert outcomes == [Outcome.SECOND_TRADE, Outcome.DUPLICATE]
    assert payments_balance() == Decimal("-100.00")  # the second trade never entered
    assert_books_sound()


def test_an_upheld_complaint_is_refunded_through_the_gateway(live_pay, world):
    sim = live_pay
    order, trade = paid_and_delivered(sim, world)
    orders.open_dispute(order, "the code does not work")
    orders.resolve_dispute(fresh(order), upheld=True, note="confirmed invalid", operator="op")
    wait_until(lambda: trade.state == REFUNDED)
    wait_until(lambda: Payment.objects.get(order=order).status == PaymentStatus.REFUNDED)
    assert Refund.objects.get().status == RefundStatus.SUCCEEDED
    assert payments_balance() == Decimal("0.00")
    assert_books_sound()


def test_a_refund_the_gateway_refuses_stays_failed_until_the_operator_retries(
    live_pay, world, django_user_model, capsys
):
    sim = live_pay
    order, _ = paid_and_delivered(sim, world)
    # Someone refunded the trade in the gateway's own console: the gateway will refuse.
    assert payments.gateway().refund(out_trade_no=order.order_no, money=order.amount).ok
    orders.open_dispute(order, "never arrived")
    orders.resolve_dispute(fresh(order), upheld=True, note="refund")
    wait_until(lambda: Refund.objects.get().status == RefundStatus.FAILED)
    refund = Refund.objects.get()
    assert (refund.last_error, refund.sends) == ("已退款", 1)
    assert Payment.objects.get(order=order).status == PaymentStatus.PAID
    assert GatewayEvent.objects.filter(kind="refund", outcome=Outcome.REFUSED).count() == 1
    # Left alone: the beat never sends a failed refund again.
    assert payments.resend_due_refunds(timezone.now() + timedelta(days=1)) == 0

    call_command("refunds", "--failed", "--json")
    listed = capsys.readouterr().out
    assert f'"id":{refund.pk}' in listed and '"status":"failed"' in listed
    django_user_model.objects.create_user("op", password="pw", is_staff=True)
    refunds_sent = sim.counts["refund"]
    call_command("refund_retry", str(refund.pk), "--operator", "op", "--json")
    # It may have landed (it had): the gateway is asked first, and not asked twice.
    wait_until(lambda: Refund.objects.get().status == RefundStatus.SUCCEEDED)
    assert sim.counts["refund"] == refunds_sent
    assert Payment.objects.get(order=order).status == PaymentStatus.REFUNDED
    retried = GatewayEvent.objects.get(outcome=Outcome.RETRIED)
    assert retried.detail.startswith("refund retried by op")
    call_command("refunds", "--failed")
    assert "no failed refunds" in capsys.readouterr().out
    assert_books_sound()


def test_an_unreachable_gateway_is_tried_again_then_left_to_the_operator(
    live_pay, world, settings, django_user_model
):
    sim = live_pay
    settings.KAMENG_PAYMENT_REFUND_RETRY_DELAYS = [10.0]
    order, trade = paid_and_delivered(sim, world)
    payments.configure_gateway(
        "epay", url="http://127.0.0.1:9", pid=sim.config.pid, key=sim.config.key
    )
    orders.open_dispute(order, "never arrived")
    orders.resolve_dispute(fresh(order), upheld=True, note="refund")
    wait_until(lambda: Refund.objects.get().tries == 1 and Refund.objects.get().last_error)
    refund = Refund.objects.get()
    assert refund.status == RefundStatus.PENDING and refund.sends == 1
    assert refund.next_try_at > timezone.now() + timedelta(seconds=5)
    assert payments.resend_due_refunds() == 0  # not due yet
    assert payments.resend_due_refunds(refund.next_try_at) == 1
    wait_until(lambda: Refund.objects.get().status == RefundStatus.FAILED)
    assert Refund.objects.get().last_error.startswith("no answer after 2 tries")
    assert trade.state == PAID and sim.counts["refund"] == 0
    key = sim.config.key
    assert not GatewayEvent.objects.filter(detail__contains=key).exists()

    configure(sim)  # the operator fixes the URL, then retries
    queries = sim.counts["query"]
    operator = django_user_model.objects.create_user("op", password="pw", is_staff=True)
    payments.retry_refund(Refund.objects.get(), operator)
    wait_until(lambda: Refund.objects.get().status == RefundStatus.SUCCEEDED)
    assert trade.state == REFUNDED and sim.counts["refund"] == 1
    assert sim.counts["query"] == queries + 1  # asked first: the earlier send's fate unknown
    assert payments_balance() == Decimal("0.00")
    assert_books_sound()


def test_a_trade_for_an_order_paid_another_way_meanwhile_is_refunded(live_pay, world):
    sim = live_pay
    order = buy(world)
    trade = to_gateway(sim, order)
    orders.record_payment(order_no=order.order_no, amount=order.amount, payment_ref="bank:77")
    sim.pay(order.order_no)  # record_payment refuses this trade: IllegalTransition, not a 500
    wait_until(lambda: trade.state == REFUNDED)
    assert [(a.status, a.reply) for a in trade.notifies] == [(200, "success")]
    assert GatewayEvent.objects.get(kind="notify").outcome == Outcome.NOT_PAYABLE
    assert (fresh(order).status, fresh(order).payment_ref) == (Status.DELIVERED, "bank:77")
    assert Card.objects.filter(order=order).count() == 1
    wait_until(lambda: Refund.objects.get().status == RefundStatus.SUCCEEDED)
    assert payments_balance() == Decimal("-100.00")
    assert_books_sound()
