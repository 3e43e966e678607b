"""Supplier statements (kameng.reporting) and the payouts they show (kameng.suppliers.payouts):
figures to the cent, straight from the ledger."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from kameng.errors import InvalidInput
from kameng.ledger import services as ledger
from kameng.ledger.models import Account, Journal
from kameng.orders import services as orders
from kameng.reporting.statements import statement
from kameng.suppliers.errors import InsufficientPayable, PayoutReferenceReused
from kameng.suppliers.payouts import pay_out
from tests import factories
from tests.orders.helpers import assert_books_sound

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def world():
    """Face 50.00, supplier cost 33.33 a card: sums that only add up if kept exact."""
    return factories.World.build(cards=20, face="50.00", cost="33.33")


def _order(world, qty: int, no: str):
    return orders.place_order(
        agent=world.a3, sku_id=world.sku.pk, quantity=qty, out_trade_no=no
    ).order


@pytest.fixture
def trade(world):
    """Two orders settled, one delivered (escrow), one disputed, one refunded."""
    settled_2 = orders.confirm_receipt(_order(world, 2, "T-1"))
    settled_1 = orders.confirm_receipt(_order(world, 1, "T-2"))
    delivered = _order(world, 3, "T-3")
    disputed = orders.open_dispute(_order(world, 1, "T-4"), "卡密提示已使用")
    refunded = orders.open_dispute(_order(world, 1, "T-5"), "无效卡")
    orders.resolve_dispute(refunded, upheld=True)
    return settled_2, settled_1, delivered, disputed, refunded


def _payable(world) -> Decimal:
    return ledger.balance(world.supplier.payable_id)


def _today():
    return timezone.localdate()


def test_statement_figures_to_the_cent(world, trade):
    settled_2, settled_1, delivered, disputed, _ = trade
    assert _payable(world) == D("99.99")
    payout = pay_out(world.supplier, "50.01", reference="BANK-0001")
    assert (payout.amount, payout.created, payout.owed_after) == (D("50.01"), True, D("49.98"))

    today = _today()
    result = statement(world.supplier, start=today, end=today)
    sku = f"{world.sku.product.name} {world.sku.name}"
    assert result.opening == D("0.00")
    assert [(s.order_no, s.sku, s.quantity, s.cost) for s in result.sales] == [
        (settled_2.order_no, sku, 2, D("66.66")),
        (settled_1.order_no, sku, 1, D("33.33")),
    ]
    assert [(p.order_no, p.status, p.quantity, p.cost) for p in result.pending] == sorted(
        [
            (delivered.order_no, "delivered", 3, D("99.99")),
            (disputed.order_no, "disputed", 1, D("33.33")),
        ]
    )
    assert [(p.reference, p.amount) for p in result.payouts] == [("BANK-0001", D("50.01"))]
    assert result.settled_total == D("99.99") and result.settled_quantity == 3
    assert result.pending_total == D("133.32") and result.pending_quantity == 4
    assert result.payouts_total == D("50.01")
    assert result.adjustments == D("0.00")
    assert result.closing == D("49.98") == _payable(world)
    assert result.closing == result.opening + result.settled_total - result.payouts_total

    data = result.as_dict()
    assert data["opening_balance"] == "0.00" and data["closing_balance"] == "49.98"
    assert data["totals"] == {
        "settled": "99.99",
        "settled_quantity": 3,
        "pending": "133.32",
        "pending_quantity": 4,
        "payouts": "50.01",
        "adjustments": "0.00",
    }
    assert data["settled"][0] == {
        "order_no": settled_2.order_no,
        "sku": sku,
        "quantity": 2,
        "cost": "66.66",
        "settled_at": result.sales[0].settled_at.isoformat(),
    }
    assert_books_sound()


def test_earlier_postings_make_the_opening_balance(world, trade):
    settled_2, settled_1, *_ = trade
    ten_days_ago = timezone.now() - timedelta(days=10)
    Journal.objects.filter(key=f"order:{settled_2.order_no}:settle").update(created_at=ten_days_ago)
    pay_out(world.supplier, "10.00", reference="BANK-A")
    today = _today()

    recent = statement(world.supplier, start=today - timedelta(days=3), end=today)
    assert recent.opening == D("66.66")
    assert [s.order_no for s in recent.sales] == [settled_1.order_no]
    assert recent.payouts_total == D("10.00")
    assert recent.closing == D("89.99") == _payable(world)
    assert recent.closing == recent.opening + recent.settled_total - recent.payouts_total

    old_day = timezone.localdate(ten_days_ago)
    old = statement(world.supplier, start=old_day, end=old_day)
    assert (old.opening, old.settled_total, old.payouts_total, old.closing) == (
        D("0.00"),
        D("66.66"),
        D("0.00"),
        D("66.66"),
    )
    assert old.pending == []  # everything still in escrow was sold after that day


def test_an_order_drawing_from_two_suppliers_counts_each_ones_goods(world):
    other = factories.supplier("第二供应商")
    item = factories.sku("50.00")
    factories.stock(item, world.supplier, 1, cost="40.10")
    factories.stock(item, other, 2, cost="41.20")
    order = orders.place_order(agent=world.a3, sku_id=item.pk, quantity=3, out_trade_no="mix")
    orders.confirm_receipt(order.order)
    today = _today()
    mine = statement(world.supplier, start=today, end=today)
    theirs = statement(other, start=today, end=today)
    assert [(s.quantity, s.cost) for s in mine.sales] == [(1, D("40.10"))]
    assert [(s.quantity, s.cost) for s in theirs.sales] == [(2, D("82.40"))]
    assert theirs.closing == ledger.balance(other.payable_id) == D("82.40")


def test_a_payout_over_what_is_owed_is_refused_and_nothing_changes(world, trade):
    payouts = ledger.system_account_id(ledger.PAYOUTS)
    before = (_payable(world), ledger.balance(payouts), Journal.objects.count())
    with pytest.raises(InsufficientPayable) as caught:
        pay_out(world.supplier, "100.00", reference="TOO-MUCH")
    assert caught.value.code == "insufficient_payable"
    assert caught.value.details == {"owed": "99.99", "amount": "100.00"}
    assert (_payable(world), ledger.balance(payouts), Journal.objects.count()) == before
    # Exactly what is owed is fine, and then nothing more.
    pay_out(world.supplier, "99.99", reference="ALL")
    assert _payable(world) == D("0.00")
    assert ledger.balance(payouts) == before[1] + D("99.99")
    with pytest.raises(InsufficientPayable):
        pay_out(world.supplier, "0.01", reference="ONE-CENT")
    assert_books_sound()


def test_payouts_are_idempotent_on_the_reference(world, trade):
    first = pay_out(world.supplier, "30.00", reference="BANK-7")
    again = pay_out(world.supplier, D("30"), reference="BANK-7")
    assert again.created is False and again.journal_id == first.journal_id
    assert _payable(world) == D("69.99")
    assert Journal.objects.filter(kind=Journal.Kind.SUPPLIER_PAYOUT).count() == 1
    with pytest.raises(PayoutReferenceReused) as caught:
        pay_out(world.supplier, "31.00", reference="BANK-7")
    assert caught.value.code == "payout_reference_reused"
    assert _payable(world) == D("69.99")
    journal = Journal.objects.get(pk=first.journal_id)
    assert journal.key == f"payout:{world.supplier.pk}:BANK-7"
    assert journal.reference == "BANK-7"


def test_the_payout_records_who_paid(world, trade, django_user_model):
    operator = django_user_model.objects.create_user("treasurer", password="x")
    payout = pay_out(world.supplier, "1.00", reference="OP-1", operator=operator)
    assert Journal.objects.get(pk=payout.journal_id).memo.endswith("by treasurer")


@pytest.mark.parametrize("amount", ["0", "-1.00", "1.001", "abc", "NaN", 1.5, True])
def test_bad_payout_amounts_are_refused(world, trade, amount):
    with pytest.raises(InvalidInput):
        pay_out(world.supplier, amount, reference="BAD")
    assert _payable(world) == D("99.99")


@pytest.mark.parametrize("reference", ["", "   ", "x" * 65, "tab\there"])
def test_bad_payout_references_are_refused(world, trade, reference):
    with pytest.raises(InvalidInput):
        pay_out(world.supplier, "1.00", reference=reference)
    assert _payable(world) == D("99.99")


def test_a_period_must_not_end_before_it_starts(world):
    today = _today()
    with pytest.raises(InvalidInput):
        statement(world.supplier, start=today, end=today - timedelta(days=1))


def test_the_payouts_account_comes_from_a_migration(db):
    account = Account.objects.get(code=ledger.PAYOUTS)
    assert (account.name, account.kind, account.allow_negative) == (
        "供应商结算出款",
        "external",
        True,
    )


def test_statement_and_payout_from_the_command_line(world, trade, capsys):
    name = world.supplier.name
    call_command("supplier_payout", name, "20.00", "--reference=CLI-1")
    paid = json.loads(capsys.readouterr().out)
    assert (paid["amount"], paid["created"], paid["owed_after"]) == ("20.00", True, "79.99")
    call_command("supplier_payout", name, "20.00", "--reference=CLI-1")
    assert json.loads(capsys.readouterr().out)["created"] is False
    with pytest.raises(CommandError, match="insufficient_payable"):
        call_command("supplier_payout", name, "80.00", "--reference=CLI-2")

    today = _today().isoformat()
    call_command("supplier_statement", name, f"--from={today}", f"--to={today}")
    data = json.loads(capsys.readouterr().out)
    assert data["period"] == {"from": today, "to": today}
    assert (data["opening_balance"], data["closing_balance"]) == ("0.00", "79.99")
    assert data["totals"]["settled"] == "99.99" and data["totals"]["payouts"] == "20.00"
    assert [p["reference"] for p in data["payouts"]] == ["CLI-1"]

    call_command("supplier_statement", name)  # default: this month to today
    assert json.loads(capsys.readouterr().out)["closing_balance"] == "79.99"
    with pytest.raises(CommandError, match="invalid_input: --from wants a date"):
        call_command("supplier_statement", name, "--from=2025-13-01")
    with pytest.raises(CommandError, match="supplier_not_found"):
        call_command("supplier_statement", "nobody")
    assert_books_sound()
