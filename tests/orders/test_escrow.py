from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from kameng.agents.errors import AgentInactive
from kameng.catalog.errors import OutOfStock
from kameng.ledger import services as ledger
from kameng.orders import services as orders
from kameng.orders.errors import ConfirmWindowClosed, IllegalTransition, PaymentMismatch
from kameng.orders.models import Order
from kameng.orders.states import Status
from kameng.stock.models import Card
from tests import factories
from tests.orders.helpers import assert_books_sound

pytestmark = pytest.mark.django_db

ESCROW = ledger.ESCROW


def _delivered(world, qty=2, no="E-1"):
    return orders.place_order(
        agent=world.a3, sku_id=world.sku.pk, quantity=qty, out_trade_no=no
    ).order


def _balances(world):
    return {
        "a1": factories.wallet(world.a1),
        "a2": factories.wallet(world.a2),
        "a3": factories.wallet(world.a3),
        "supplier": ledger.balance(world.supplier.payable_id),
        "platform": ledger.balance(ledger.system_account_id(ledger.REVENUE)),
        "escrow": ledger.escrow_balance(),
    }


def test_confirming_receipt_splits_escrow_along_the_chain(world):
    order = _delivered(world)
    orders.confirm_receipt(order)
    assert order.status == Status.COMPLETED
    assert _balances(world) == {
        "a1": Decimal("10004.00"),  # (97.00 - 95.00) × 2
        "a2": Decimal("5003.00"),  # (98.50 - 97.00) × 2
        "a3": Decimal("1803.00"),  # paid 197.00
        "supplier": Decimal("180.00"),  # 2 × cost 90.00
        "platform": Decimal("10.00"),  # (95.00 - 90.00) × 2
        "escrow": Decimal("0.00"),
    }
    assert_books_sound()


def test_a_disabled_agents_spread_goes_to_the_platform_and_its_sub_agents_still_buy(world):
    from kameng.agents import services as agents

    agents.set_active(world.a2, False)
    order = _delivered(world, no="E-disabled")  # agent3, below the disabled agent2
    with pytest.raises(AgentInactive):
        orders.place_order(agent=world.a2, sku_id=world.sku.pk, quantity=1, out_trade_no="x")
    orders.confirm_receipt(order)
    assert _balances(world) == {
        "a1": Decimal("10004.00"),  # still earns: (97.00 - 95.00) × 2
        "a2": Decimal("5000.00"),  # disabled: nothing
        "a3": Decimal("1803.00"),  # pays its usual 197.00
        "supplier": Decimal("180.00"),
        "platform": Decimal("13.00"),  # its fee 10.00 plus agent2's spread 3.00
        "escrow": Decimal("0.00"),
    }
    # Re-enabled, it earns on the next sale again.
    agents.set_active(world.a2, True)
    orders.confirm_receipt(_delivered(world, qty=1, no="E-enabled"))
    assert factories.wallet(world.a2) == Decimal("5001.50")
    assert_books_sound()


def test_card_orders_are_delivered_no_earlier_than_they_were_created(world):
    order = Order.objects.get(pk=_delivered(world).pk)
    assert order.created_at == order.paid_at == order.delivered_at
    assert order.events.first().at == order.created_at


def test_confirming_twice_releases_once(world):
    order = _delivered(world)
    orders.confirm_receipt(order)
    with pytest.raises(IllegalTransition):
        orders.confirm_receipt(Order.objects.get(pk=order.pk))
    assert _balances(world)["supplier"] == Decimal("180.00")


def test_escrow_is_held_until_the_window_passes_then_released_automatically(world):
    order = _delivered(world)
    assert orders.release_due_escrow(now=timezone.now() + timedelta(hours=71)) == 0
    assert _balances(world)["escrow"] == Decimal("197.00")
    assert orders.release_due_escrow(now=timezone.now() + timedelta(hours=72, seconds=1)) == 1
    order.refresh_from_db()
    assert order.status == Status.COMPLETED
    assert _balances(world)["platform"] == Decimal("10.00")
    assert orders.release_due_escrow(now=timezone.now() + timedelta(days=30)) == 0
    assert_books_sound()


def test_release_escrow_command(world, capsys):
    order = _delivered(world)
    Order.objects.filter(pk=order.pk).update(confirm_deadline=timezone.now() - timedelta(seconds=1))
    call_command("release_escrow")
    assert '"released": 1' in capsys.readouterr().out
    assert Order.objects.get(pk=order.pk).status == Status.COMPLETED


def test_upheld_dispute_refunds_the_buyer_and_kills_the_codes(world):
    order = _delivered(world)
    orders.open_dispute(order, "卡密无效 / codes rejected by the game")
    assert orders.release_due_escrow(now=timezone.now() + timedelta(days=10)) == 0
    orders.resolve_dispute(order, upheld=True, note="supplier confirmed invalid batch")
    assert order.status == Status.REFUNDED
    balances = _balances(world)
    assert balances["a3"] == Decimal("2000.00")
    assert balances["escrow"] == balances["supplier"] == balances["platform"] == Decimal("0.00")
    assert set(Card.objects.filter(order=order).values_list("status", flat=True)) == {"invalid"}
    assert_books_sound()


def test_rejected_dispute_releases_the_escrow(world):
    order = _delivered(world)
    orders.open_dispute(order, "not sure")
    orders.resolve_dispute(order, upheld=False)
    assert order.status == Status.COMPLETED
    assert _balances(world)["supplier"] == Decimal("180.00")


def test_no_dispute_after_the_window_or_after_completion(world):
    order = _delivered(world)
    Order.objects.filter(pk=order.pk).update(confirm_deadline=timezone.now() - timedelta(seconds=1))
    order.refresh_from_db()
    with pytest.raises(ConfirmWindowClosed):
        orders.open_dispute(order, "too late")
    orders.confirm_receipt(order)
    with pytest.raises(IllegalTransition):
        orders.open_dispute(order, "after completion")


def test_storefront_order_escrows_the_payment_and_pays_the_seller_its_retail_spread(world):
    from kameng.agents.services import set_price

    set_price(world.a2, world.sku, retail_price="99.90")
    order = orders.create_storefront_order(
        seller=world.a2, sku_id=world.sku.pk, quantity=1, buyer_contact="buyer@example.com"
    ).order
    assert order.status == Status.CREATED and order.amount == Decimal("99.90")
    with pytest.raises(PaymentMismatch):
        orders.record_payment(order_no=order.order_no, amount=Decimal("9.99"), payment_ref="p1")
    orders.record_payment(order_no=order.order_no, amount=Decimal("99.90"), payment_ref="p1")
    order.refresh_from_db()
    assert order.status == Status.DELIVERED
    assert _balances(world)["escrow"] == Decimal("99.90")
    # The gateway notifies again: nothing moves twice.
    orders.record_payment(order_no=order.order_no, amount=Decimal("99.90"), payment_ref="p1")
    assert _balances(world)["escrow"] == Decimal("99.90")
    orders.confirm_receipt(order)
    balances = _balances(world)
    assert balances["a1"] == Decimal("10002.00")  # 97.00 - 95.00
    assert balances["a2"] == Decimal("5002.90")  # 99.90 - 97.00
    assert balances["supplier"] == Decimal("90.00")
    assert balances["platform"] == Decimal("5.00")
    assert_books_sound()


def test_a_storefront_order_holds_its_codes_until_paid(world):
    order = orders.create_storefront_order(seller=world.a2, sku_id=world.sku.pk, quantity=1).order
    held = Card.objects.get(order=order)
    assert held.status == Card.Status.RESERVED
    assert orders.reveal_cards(order, world.a2) == []  # nothing to see before payment
    with pytest.raises(OutOfStock):  # 20 in stock, one of them held
        orders.place_order(agent=world.a3, sku_id=world.sku.pk, quantity=20, out_trade_no="all")
    orders.place_order(agent=world.a3, sku_id=world.sku.pk, quantity=19, out_trade_no="rest")
    orders.record_payment(order_no=order.order_no, amount=order.amount, payment_ref="p1")
    order.refresh_from_db()
    assert order.status == Status.DELIVERED
    held.refresh_from_db()
    assert (held.status, held.order_id) == (Card.Status.SOLD, order.pk)
    assert [code for code, _ in orders.reveal_cards(order, world.a2)] == [held.code]
    assert_books_sound()


def test_a_payment_after_the_window_with_no_stock_left_is_refunded(world):
    order = orders.create_storefront_order(seller=world.a2, sku_id=world.sku.pk, quantity=1).order
    assert orders.expire_unpaid(now=order.payment_deadline) == 1
    order.refresh_from_db()
    assert order.status == Status.EXPIRED
    assert not Card.objects.filter(order=order).exists()  # the held code is back on sale
    orders.place_order(agent=world.a3, sku_id=world.sku.pk, quantity=20, out_trade_no="all")
    orders.record_payment(order_no=order.order_no, amount=order.amount, payment_ref="p2")
    order.refresh_from_db()
    assert order.status == Status.REFUNDED
    assert [e.to_status for e in order.events.all()] == [
        "created",
        "expired",
        "paid",
        "failed",
        "refunded",
    ]
    payments = ledger.balance(ledger.system_account_id(ledger.PAYMENTS))
    assert payments == Decimal("0.00")  # paid in, paid back out
    assert_books_sound()


def test_a_payment_after_the_window_is_delivered_while_stock_lasts(world):
    order = orders.create_storefront_order(seller=world.a2, sku_id=world.sku.pk, quantity=2).order
    orders.expire_unpaid(now=order.payment_deadline + timedelta(seconds=1))
    orders.record_payment(order_no=order.order_no, amount=order.amount, payment_ref="p3")
    order.refresh_from_db()
    assert order.status == Status.DELIVERED
    assert Card.objects.filter(order=order, status=Card.Status.SOLD).count() == 2
    assert_books_sound()


def test_orders_inside_their_window_are_not_expired(world):
    order = orders.create_storefront_order(seller=world.a2, sku_id=world.sku.pk, quantity=1).order
    assert orders.expire_unpaid(now=order.payment_deadline - timedelta(seconds=1)) == 0
    order.refresh_from_db()
    assert order.status == Status.CREATED
    assert Card.objects.get(order=order).status == Card.Status.RESERVED
