"""Direct top-up orders through the worker, the live server and simulated suppliers."""

import time
from decimal import Decimal

import httpx
import pytest
from django.utils import timezone

from kameng.catalog.errors import OutOfStock
from kameng.ledger import services as ledger
from kameng.ledger.models import Journal
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.orders.states import Status
from kameng.reporting.statements import statement
from kameng.suppliers.models import Offer
from kameng.suppliers.onboarding import suspend_supplier
from kameng.topup import services as topup
from kameng.topup.models import Attempt, Callback
from kameng.topup.states import AttemptStatus
from kameng.upstream import services as upstream
from kameng.upstream.adapters.kameng_http import signed
from tests import factories
from tests.live import PRODUCT, connect, wait_until
from tests.orders.helpers import assert_books_sound
from tests.topup.helpers import buy, journals, settled, status_of

pytestmark = pytest.mark.usefixtures("worker")


def storefront_top_up(world) -> Order:
    """An end user's top-up on agent3's storefront, awaiting payment."""
    return orders.create_storefront_order(
        seller=world.a3, sku_id=world.direct.pk, quantity=1, recharge_account="13900139000"
    ).order


def test_a_top_up_is_delivered_in_well_under_two_seconds(direct_world, sims):
    sim = sims(latency=0.2, process_time=0.2)
    source = connect(sim, direct_world.direct)
    before = factories.wallet(direct_world.a3)
    started = time.monotonic()
    order = buy(direct_world)
    assert order.status == Status.DELIVERING  # money held, the supplier not yet asked
    settled(order, Status.DELIVERED)
    elapsed = time.monotonic() - started
    assert elapsed < 2.0, elapsed

    attempt = Attempt.objects.get(order=order)
    assert attempt.status == AttemptStatus.SUCCEEDED and attempt.supplier == source
    assert sim.orders[attempt.request_id].account == "13800138000"
    assert factories.wallet(direct_world.a3) == before - order.amount
    assert ledger.escrow_balance() == order.amount

    today = timezone.localdate()
    held = statement(source, start=today, end=today)
    assert [(line.order_no, line.cost) for line in held.pending] == [
        (order.order_no, Decimal("45.00"))
    ]

    orders.confirm_receipt(Order.objects.get(pk=order.pk))
    assert ledger.balance(source.payable_id) == Decimal("45.00")
    settled_now = statement(source, start=today, end=today)
    assert [(line.order_no, line.cost) for line in settled_now.sales] == [
        (order.order_no, Decimal("45.00"))
    ]
    assert settled_now.pending == [] and settled_now.closing == Decimal("45.00")
    assert_books_sound()


def test_a_refusal_fails_over_to_the_next_supplier(direct_world, sims):
    cheap = connect(sims(refuse_rate=1.0), direct_world.direct, cost="44.00")
    dear = connect(sims(), direct_world.direct, cost="46.50")
    order = buy(direct_world)
    settled(order, Status.DELIVERED)
    tries = list(Attempt.objects.filter(order=order).order_by("number"))
    assert [(a.supplier, a.status, a.retryable) for a in tries] == [
        (cheap, AttemptStatus.FAILED, True),
        (dear, AttemptStatus.SUCCEEDED, False),
    ]
    orders.confirm_receipt(Order.objects.get(pk=order.pk))
    assert ledger.balance(dear.payable_id) == Decimal("46.50")
    assert ledger.balance(cheap.payable_id) == 0
    assert_books_sound()


def test_a_failed_top_up_fails_over_and_the_last_failure_refunds(direct_world, sims):
    connect(sims(fail_rate=1.0), direct_world.direct, cost="44.00")
    connect(sims(fail_rate=1.0), direct_world.direct, cost="45.00")
    before = factories.wallet(direct_world.a3)
    order = buy(direct_world)
    settled(order, Status.REFUNDED)
    assert Attempt.objects.filter(order=order, status=AttemptStatus.FAILED).count() == 2
    assert factories.wallet(direct_world.a3) == before
    assert journals(order, Journal.Kind.ORDER_REFUND) == 1
    assert_books_sound()


def test_an_invalid_account_is_final_and_is_not_tried_elsewhere(direct_world, sims):
    connect(sims(), direct_world.direct, cost="44.00")
    connect(sims(), direct_world.direct, cost="45.00")
    before = factories.wallet(direct_world.a3)
    order = buy(direct_world, account="BADACCT-1")
    settled(order, Status.REFUNDED)
    attempt = Attempt.objects.get(order=order)
    assert (attempt.status, attempt.retryable, attempt.error_code) == ("failed", False, "2001")
    assert factories.wallet(direct_world.a3) == before


def test_a_timeout_is_unknown_until_a_query_says_delivered(direct_world, sims):
    sim = sims(hang_seconds=1.5)
    connect(sim, direct_world.direct)
    order = buy(direct_world, account="HANG-NOCB-1")
    # The submit times out (0.5 s): never a refund, the order stays delivering...
    wait_until(lambda: Attempt.objects.filter(order=order, status="unknown").exists())
    assert status_of(order) == Status.DELIVERING
    # ...and a query finds the supplier did top up (there is no callback at all).
    settled(order, Status.DELIVERED)
    attempt = Attempt.objects.get(order=order)
    assert attempt.queries >= 1 and attempt.status == AttemptStatus.SUCCEEDED
    assert len(sim.orders) == 1  # queried, not submitted a second time
    assert journals(order, Journal.Kind.ORDER_REFUND) == 0


def test_a_duplicate_callback_changes_nothing(direct_world, sims):
    sim = sims()
    connect(sim, direct_world.direct)
    order = buy(direct_world, account="DUP-13800138000")
    settled(order, Status.DELIVERED)
    attempt = Attempt.objects.get(order=order)
    wait_until(lambda: len(sim.orders[attempt.request_id].callbacks) == 2)
    effects = sorted(Callback.objects.filter(request_id=attempt.request_id).values_list("effect"))
    assert effects == [("applied",), ("duplicate",)] or effects == [("duplicate",), ("duplicate",)]
    assert [status for status, _ in sim.orders[attempt.request_id].callbacks] == [200, 200]
    assert journals(order, Journal.Kind.ORDER_PAY) == 1
    assert_books_sound()


def test_a_forged_callback_is_refused_and_changes_nothing(direct_world, sims, live_server):
    sim = sims()
    source = connect(sim, direct_world.direct)
    order = buy(direct_world, account="FAIL-NOCB-LATE")
    attempt = Attempt.objects.get(order=order)
    wait_until(lambda: attempt.request_id in sim.orders)
    forged = signed(
        {
            "merchant_id": sim.config.merchant_id,
            "out_order_no": attempt.request_id,
            "order_no": "X1",
            "state": 1,
            "timestamp": int(time.time()),
            "nonce": "0123456789abcdef",
        },
        "not-the-secret",
    )
    reply = httpx.post(topup.callback_url(source.pk), json=forged)
    assert (reply.status_code, reply.text) == (400, "fail")
    assert Callback.objects.get(supplier=source).effect == Callback.Effect.FORGED
    # The truth (failed) still arrives by query; the forged "success" never counted.
    settled(order, Status.REFUNDED)
    assert Attempt.objects.get(pk=attempt.pk).status == AttemptStatus.FAILED


def test_a_callback_signed_wrongly_by_the_supplier_is_ignored_and_a_query_decides(
    direct_world, sims
):
    sim = sims()
    connect(sim, direct_world.direct)
    order = buy(direct_world, account="FORGE-13800138000")
    settled(order, Status.DELIVERED)
    attempt = Attempt.objects.get(order=order)
    assert attempt.queries >= 1
    assert Callback.objects.filter(effect=Callback.Effect.FORGED).exists()


def test_a_late_callback_after_the_refund_refunds_nothing_twice(direct_world, sims):
    sim = sims(late_seconds=1.5)
    connect(sim, direct_world.direct)
    before = factories.wallet(direct_world.a3)
    order = buy(direct_world, account="FAIL-LATE-1")
    settled(order, Status.REFUNDED)  # the query got there first
    attempt = Attempt.objects.get(order=order)
    wait_until(lambda: sim.orders[attempt.request_id].callbacks, timeout=5)
    assert sim.orders[attempt.request_id].callbacks[0][0] == 200  # acknowledged...
    assert Callback.objects.get(request_id=attempt.request_id).effect == "duplicate"
    assert status_of(order) == Status.REFUNDED  # ...and ignored
    assert journals(order, Journal.Kind.ORDER_REFUND) == 1
    assert factories.wallet(direct_world.a3) == before
    assert_books_sound()


def test_stock_out_refunds_then_the_refreshed_stock_refuses_before_money_moves(direct_world, sims):
    sim = sims(stock=1)
    connect(sim, direct_world.direct)
    first = buy(direct_world)
    settled(first, Status.DELIVERED)
    second = buy(direct_world)
    settled(second, Status.REFUNDED)
    assert Attempt.objects.get(order=second).error_code == "1001"

    assert upstream.refresh_remote_offers() == 1
    assert Offer.objects.get(remote_sku=PRODUCT).remote_stock == 0
    before = factories.wallet(direct_world.a3)
    with pytest.raises(OutOfStock):
        buy(direct_world)
    assert factories.wallet(direct_world.a3) == before
    assert Order.objects.count() == 2


def test_refresh_takes_the_suppliers_price(direct_world, sims):
    sim = sims()
    connect(sim, direct_world.direct, cost="40.00")
    upstream.refresh_remote_offers()
    offer = Offer.objects.get(remote_sku=PRODUCT)
    assert (offer.cost, offer.remote_stock, offer.remote_available) == (
        Decimal("45.00"),
        None,
        True,
    )


def test_an_end_user_pays_for_a_top_up_on_a_storefront(direct_world, sims):
    connect(sims(), direct_world.direct)
    order = storefront_top_up(direct_world)
    assert (order.status, order.amount) == (Status.CREATED, Decimal("50.00"))
    orders.record_payment(order_no=order.order_no, amount=order.amount, payment_ref="pay-1")
    settled(order, Status.DELIVERED)
    assert Attempt.objects.get(order=order).status == AttemptStatus.SUCCEEDED
    assert ledger.escrow_balance() == Decimal("50.00")
    assert_books_sound()


def test_a_storefront_top_up_no_supplier_can_serve_is_refused_at_checkout(direct_world):
    with pytest.raises(OutOfStock):
        storefront_top_up(direct_world)
    assert not Order.objects.exists()


def test_a_storefront_top_up_whose_supplier_left_before_payment_is_refunded(direct_world, sims):
    source = connect(sims(), direct_world.direct)
    order = storefront_top_up(direct_world)
    suspend_supplier(source, reason="接口维护")
    orders.record_payment(order_no=order.order_no, amount=order.amount, payment_ref="pay-2")
    assert status_of(order) == Status.REFUNDED
    assert journals(order, Journal.Kind.ORDER_REFUND) == 1
    assert_books_sound()
