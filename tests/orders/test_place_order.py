from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from kameng.catalog.errors import OutOfStock, SkuNotFound, SkuNotSellable
from kameng.catalog.models import Sku
from kameng.errors import InvalidInput
from kameng.ledger import services as ledger
from kameng.ledger.errors import InsufficientBalance
from kameng.orders import services as orders
from kameng.orders.errors import DuplicateOutTradeNo, InvalidRechargeAccount, OrderNotFound
from kameng.orders.models import Order
from kameng.orders.states import Status
from kameng.stock.models import Card
from kameng.suppliers.models import Supplier
from tests import factories
from tests.orders.helpers import assert_books_sound, snapshot

pytestmark = pytest.mark.django_db


def _buy(world, agent=None, qty=2, no="A-1"):
    return orders.place_order(
        agent=agent or world.a3, sku_id=world.sku.pk, quantity=qty, out_trade_no=no
    )


def test_placing_an_order_delivers_codes_and_moves_money_to_escrow(world):
    placed = _buy(world)
    order = placed.order
    assert placed.created
    assert order.status == Status.DELIVERED
    assert order.amount == Decimal("197.00")  # 2 × 98.50, agent3's price
    assert factories.wallet(world.a3) == Decimal("1803.00")
    assert ledger.escrow_balance() == Decimal("197.00")
    cards = orders.reveal_cards(order, world.a3)
    assert len(cards) == 2 and len({secret for _, secret in cards}) == 2
    assert Card.objects.filter(order=order, status=Card.Status.SOLD).count() == 2
    assert [e.to_status for e in order.events.all()] == ["created", "paid", "delivered"]
    assert_books_sound()


def test_same_out_trade_no_same_request_returns_the_same_order(world):
    first = _buy(world)
    again = _buy(world)
    assert not again.created
    assert again.order.pk == first.order.pk
    assert Order.objects.count() == 1
    assert factories.wallet(world.a3) == Decimal("1803.00")
    assert Card.objects.filter(status=Card.Status.SOLD).count() == 2


def test_a_retry_still_gets_its_order_after_stock_has_run_out(world):
    first = _buy(world, qty=20)  # takes all the stock
    assert _buy(world, qty=20).order.pk == first.order.pk


def test_same_out_trade_no_different_request_is_refused(world):
    _buy(world)
    with pytest.raises(DuplicateOutTradeNo) as caught:
        _buy(world, qty=3)
    assert caught.value.status == 409
    assert Order.objects.count() == 1


def test_out_trade_no_is_per_agent(world):
    _buy(world, agent=world.a3)
    other = _buy(world, agent=world.a2)
    assert other.created and Order.objects.count() == 2


def test_out_of_stock_changes_nothing(world):
    before = snapshot(world.a3.wallet_id)
    with pytest.raises(OutOfStock):
        _buy(world, qty=21)
    assert snapshot(world.a3.wallet_id) == before
    assert Order.objects.count() == 0
    assert Card.objects.filter(status=Card.Status.AVAILABLE).count() == 20


def test_insufficient_balance_changes_nothing(world):
    poor = factories.agent("poor", parent=world.a2, funds="100.00")
    with pytest.raises(InsufficientBalance) as caught:
        _buy(world, agent=poor, qty=2)  # 197.00 > 100.00
    assert caught.value.status == 402
    assert factories.wallet(poor) == Decimal("100.00")
    assert Order.objects.count() == 0
    assert Card.objects.filter(status=Card.Status.AVAILABLE).count() == 20
    assert_books_sound()


@pytest.mark.parametrize(
    "change",
    [
        lambda w: Sku.objects.filter(pk=w.sku.pk).update(authorised=False),
        lambda w: Sku.objects.filter(pk=w.sku.pk).update(active=False),
        lambda w: w.sku.product.__class__.objects.filter(pk=w.sku.product_id).update(active=False),
    ],
    ids=["unauthorised", "inactive", "product-inactive"],
)
def test_only_active_authorised_skus_sell(world, change):
    change(world)
    with pytest.raises(SkuNotSellable):
        _buy(world)
    assert Order.objects.count() == 0


def test_codes_of_an_unapproved_supplier_do_not_sell(world):
    Supplier.objects.filter(pk=world.supplier.pk).update(status=Supplier.Status.SUSPENDED)
    with pytest.raises(OutOfStock):
        _buy(world)


def test_unknown_sku_and_bad_input_are_refused(world):
    with pytest.raises(SkuNotFound):
        orders.place_order(agent=world.a3, sku_id=999999, quantity=1, out_trade_no="x")
    for qty in (0, -1, 101, True):
        with pytest.raises(InvalidInput):
            _buy(world, qty=qty)
    for no in ("", "x" * 65, "tab\there"):
        with pytest.raises(InvalidInput):
            _buy(world, no=no)
    assert Order.objects.count() == 0


def test_direct_needs_an_account_and_a_supplier_and_cards_take_no_account(world):
    direct = factories.sku("30.00", kind=Sku.Kind.DIRECT)
    before = factories.wallet(world.a3)

    def buy(sku_id: int, account: str):
        return orders.place_order(
            agent=world.a3, sku_id=sku_id, quantity=1, out_trade_no="d", recharge_account=account
        )

    for account in ("", "12", "has space", "x" * 65):
        with pytest.raises(InvalidRechargeAccount):
            buy(direct.pk, account)
    # No API supplier serves it: refused before any money moves.
    with pytest.raises(OutOfStock):
        buy(direct.pk, "13800138000")
    with pytest.raises(InvalidRechargeAccount):
        buy(world.sku.pk, "13800138000")
    assert Order.objects.count() == 0
    assert factories.wallet(world.a3) == before


def test_only_the_buyer_sees_the_secrets(world):
    order = _buy(world).order
    with pytest.raises(OrderNotFound):
        orders.reveal_cards(order, world.a2)
    with pytest.raises(OrderNotFound):
        orders.get_order(order.order_no, agent=world.a2)


def test_no_code_is_delivered_twice_over_many_orders(world):
    secrets = []
    for i in range(10):
        order = _buy(world, no=f"n{i}").order
        secrets += [s for _, s in orders.reveal_cards(order, world.a3)]
    assert len(secrets) == len(set(secrets)) == 20
    with pytest.raises(OutOfStock), transaction.atomic():
        _buy(world, qty=1, no="one-more")


def test_place_order_command_prints_the_codes_and_errors_clearly(world, capsys):
    call_command(
        "place_order",
        "--agent",
        "agent3",
        "--sku",
        str(world.sku.pk),
        "--quantity",
        "1",
        "--out-trade-no",
        "cli-1",
    )
    out = capsys.readouterr().out
    assert '"status": "delivered"' in out and '"secret": "S' in out
    with pytest.raises(CommandError, match="duplicate_out_trade_no"):
        call_command(
            "place_order",
            "--agent",
            "agent3",
            "--sku",
            str(world.sku.pk),
            "--quantity",
            "2",
            "--out-trade-no",
            "cli-1",
        )
    with pytest.raises(CommandError, match="out_of_stock"):
        call_command(
            "place_order",
            "--agent",
            "agent3",
            "--sku",
            str(world.sku.pk),
            "--quantity",
            "50",
            "--out-trade-no",
            "cli-2",
        )
