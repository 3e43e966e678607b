"""Escrow is split over ledger.ESCROW_SHARDS accounts so concurrent orders do not queue on
one row. Each order's money must stay in the account its number chose, from payment to
settlement or refund, and the totals must be what the orders hold."""

from decimal import Decimal

import pytest

from kameng.ledger import services as ledger
from kameng.ledger.models import Account, Entry, Journal
from kameng.orders import services as orders
from kameng.orders.models import Order
from tests.orders.helpers import assert_books_sound

pytestmark = pytest.mark.django_db


def _entry(order: Order, kind: str) -> dict[int, Decimal]:
    rows = Entry.objects.filter(journal__reference=order.order_no, journal__kind=kind)
    return dict(rows.values_list("account_id", "amount"))


def test_each_order_pays_into_the_escrow_account_its_number_chooses_and_leaves_from_it(world):
    placed = [
        orders.place_order(agent=world.a3, sku_id=world.sku.pk, quantity=1, out_trade_no=f"S-{n}")
        for n in range(12)
    ]
    escrow_ids = {Account.objects.get(code=ledger.escrow_code(n)).pk for n in range(8)}
    used = set()
    for p in placed:
        order = p.order
        assert order.escrow_account_id == ledger.escrow_account_id(order.order_no)
        assert order.escrow_account_id in escrow_ids
        assert _entry(order, Journal.Kind.ORDER_PAY)[order.escrow_account_id] == order.amount
        used.add(order.escrow_account_id)
    assert len(used) > 1  # 12 orders over 8 accounts do not all land in one
    assert ledger.escrow_balance() == sum(p.order.amount for p in placed)

    confirmed, refunded = placed[0].order, placed[1].order
    orders.confirm_receipt(confirmed)
    settle = _entry(confirmed, Journal.Kind.ORDER_SETTLE)
    assert settle[confirmed.escrow_account_id] == -confirmed.amount
    orders.open_dispute(refunded, "code already used")
    orders.resolve_dispute(refunded, upheld=True)
    refund = _entry(refunded, Journal.Kind.ORDER_REFUND)
    assert refund[refunded.escrow_account_id] == -refunded.amount

    assert ledger.escrow_balance() == sum(p.order.amount for p in placed[2:])
    assert_books_sound()


def test_an_order_paid_before_escrow_was_split_is_settled_from_the_first_account(world):
    order = orders.place_order(
        agent=world.a3, sku_id=world.sku.pk, quantity=2, out_trade_no="OLD-1"
    ).order
    first = ledger.system_account_id(ledger.ESCROW)
    # As it was before migration ledger 0007: the money in platform:escrow, no account
    # on the order.
    if order.escrow_account_id != first:
        ledger.post(
            key="test:back-to-one-escrow",
            kind=Journal.Kind.ADJUSTMENT,
            lines=[(order.escrow_account_id, -order.amount), (first, order.amount)],
        )
    Order.objects.filter(pk=order.pk).update(escrow_account=None)
    order.refresh_from_db()

    orders.confirm_receipt(order)

    assert _entry(order, Journal.Kind.ORDER_SETTLE)[first] == -order.amount
    assert ledger.escrow_balance() == 0
    assert_books_sound()
