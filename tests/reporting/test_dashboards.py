"""The consoles' dashboards: exact money on a known world, and a number of queries that
does not grow with the number of orders."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from kameng.agents import requests
from kameng.ledger import services as ledger
from kameng.ledger.models import Journal
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.reporting import dashboards
from kameng.reporting.dashboards import Sales
from kameng.reporting.wallets import wallet_statement
from kameng.suppliers.payouts import pay_out
from kameng.topup.models import Attempt
from kameng.topup.services import Report, conclude
from kameng.upstream.adapters import Outcome
from tests import factories
from tests.orders.helpers import assert_books_sound

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = date(2026, 3, 15)  # the dashboards' "today"; the orders are moved around it
EARLIER_THIS_MONTH = date(2026, 3, 2)
LAST_MONTH = date(2026, 2, 20)  # still inside the 30 days of the series


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _move(order: Order, day: date) -> None:
    """As if the order had been placed, paid and settled on `day` (local time)."""
    Order.objects.filter(pk=order.pk).update(created_at=_at(day), paid_at=_at(day))
    Journal.objects.filter(reference=order.order_no).update(created_at=_at(day))


def _buy(agent, world, quantity: int, no: str) -> Order:
    return orders.place_order(
        agent=agent, sku_id=world.sku.pk, quantity=quantity, out_trade_no=no
    ).order


@pytest.fixture
def trade(world):
    """Face 100, supplier cost 90, levels 95 / 97 / 98.50 (agent1 → agent2 → agent3).

    A  agent3 ×2  197.00  completed (settled on EARLIER_THIS_MONTH)
    B  agent3 ×1   98.50  delivered
    C  agent2 ×3  291.00  delivered
    D  agent1 ×1   95.00  completed (settled LAST_MONTH)
    E  agent3 ×1   98.50  refunded after a dispute
    F  agent3 ×1   98.50  disputed
    G  agent2's storefront ×1, an end user pays 100.00: delivered
    and agent3 asks to withdraw 100.00 (held)."""
    a1, a2, a3 = world.a1, world.a2, world.a3
    placed = {
        "A": orders.confirm_receipt(_buy(a3, world, 2, "A")),
        "B": _buy(a3, world, 1, "B"),
        "C": _buy(a2, world, 3, "C"),
        "D": orders.confirm_receipt(_buy(a1, world, 1, "D")),
        "E": orders.open_dispute(_buy(a3, world, 1, "E"), "卡密无效"),
        "F": orders.open_dispute(_buy(a3, world, 1, "F"), "提示已使用"),
    }
    orders.resolve_dispute(placed["E"], upheld=True)
    web = orders.create_storefront_order(seller=a2, sku_id=world.sku.pk, quantity=1).order
    placed["G"] = orders.record_payment(order_no=web.order_no, amount=D("100.00"), payment_ref="G")
    for order in placed.values():
        _move(order, TODAY)
    _move(placed["A"], EARLIER_THIS_MONTH)
    _move(placed["D"], LAST_MONTH)
    requests.request_withdrawal(a3, "100.00", "支付宝 agent3@example.com")
    return placed


def test_the_top_agents_dashboard_to_the_cent(world, trade):
    board = dashboards.agent_dashboard(world.a1, TODAY)
    assert board.own_today == Sales(0, D("0.00")) and board.own_month == Sales()
    assert board.subtree_today == Sales(4, D("588.00"))  # B C F G
    assert board.subtree_month == Sales(5, D("785.00"))  # and A
    assert (board.earned_today, board.earned_month, board.earned_total) == (
        D("0.00"),
        D("4.00"),  # A: 2.00 × 2
        D("4.00"),
    )
    assert board.pending == D("12.00")  # B 2 + C 6 + F 2 + G 2
    assert board.balance == D("9909.00") == factories.wallet(world.a1)  # 10000 − 95 + 4

    assert [d.day for d in board.daily] == [TODAY - timedelta(days=n) for n in range(29, -1, -1)]
    by_day = {d.day: d for d in board.daily}
    assert by_day[LAST_MONTH].own == Sales(1, D("95.00"))
    assert by_day[EARLIER_THIS_MONTH].subtree == Sales(1, D("197.00"))
    assert by_day[EARLIER_THIS_MONTH].earned == D("4.00")
    assert by_day[TODAY].subtree == Sales(4, D("588.00"))
    quiet = [d for d in board.daily if d.day not in (LAST_MONTH, EARLIER_THIS_MONTH, TODAY)]
    assert all(d.own == d.subtree == Sales() and d.earned == 0 for d in quiet)

    [product] = board.by_product
    assert (product.product, product.orders, product.quantity, product.amount) == (
        world.sku.product.name,
        5,
        8,
        D("785.00"),
    )


def test_the_middle_and_bottom_agents_dashboards(world, trade):
    middle = dashboards.agent_dashboard(world.a2, TODAY)
    assert middle.own_today == middle.own_month == Sales(2, D("391.00"))  # C and G
    assert middle.subtree_today == Sales(2, D("197.00"))  # B F
    assert middle.subtree_month == Sales(3, D("394.00"))
    assert middle.earned_total == middle.earned_month == D("3.00")  # A: 1.50 × 2
    assert middle.pending == D("6.00")  # B 1.50 + F 1.50 + G 3.00 (its retail spread)
    assert middle.balance == D("4712.00")  # 5000 − 291 + 3

    bottom = dashboards.agent_dashboard(world.a3, TODAY)
    assert bottom.own_today == Sales(2, D("197.00"))  # B F (E was refunded)
    assert bottom.own_month == Sales(3, D("394.00"))
    assert bottom.subtree_month == Sales()
    assert (bottom.earned_total, bottom.pending) == (D("0.00"), D("0.00"))
    assert bottom.balance == D("1506.00")  # 2000 − 197 − 98.50 − 98.50 − 100.00 held
    assert bottom.as_dict()["own_month"] == {"count": 3, "amount": "394.00"}


def test_the_platform_dashboard_to_the_cent(world, trade):
    board = dashboards.platform_dashboard(TODAY)
    assert board.gmv_today == Sales(4, D("588.00"))
    assert board.gmv_month == Sales(5, D("785.00"))
    assert board.gmv_total == Sales(6, D("880.00"))
    # Fees: A 190 − 180 = 10.00 (this month), D 95 − 90 = 5.00 (last month).
    assert (board.revenue_today, board.revenue_month, board.revenue_total) == (
        D("0.00"),
        D("10.00"),
        D("15.00"),
    )
    assert board.orders_by_status == {
        "created": 0,
        "paid": 0,
        "delivering": 0,
        "delivered": 3,
        "completed": 2,
        "failed": 0,
        "refunded": 1,
        "disputed": 1,
        "expired": 0,
        "review": 0,
    }
    assert board.escrow_held == D("588.00") == ledger.escrow_balance()
    assert board.withdrawals_held == D("100.00")
    by_day = {d.day: d for d in board.daily}
    assert (by_day[LAST_MONTH].gmv, by_day[LAST_MONTH].revenue) == (Sales(1, D("95.00")), D("5.00"))
    assert by_day[EARLIER_THIS_MONTH].revenue == D("10.00")
    assert (by_day[TODAY].gmv, by_day[TODAY].revenue) == (Sales(4, D("588.00")), D("0.00"))
    assert sum((d.gmv for d in board.daily), Sales()) == board.gmv_total
    assert board.as_dict()["escrow_held"] == "588.00"
    assert_books_sound()


def test_the_supplier_dashboard_to_the_cent(world, trade):
    pay_out(world.supplier, "100.00", reference="ICBC-1")
    board = dashboards.supplier_dashboard(world.supplier, TODAY)
    assert board.settled_today == Sales()
    assert board.settled_month == Sales(1, D("180.00"))  # A
    assert board.settled_total == Sales(2, D("270.00"))  # and D
    assert board.pending == Sales(4, D("540.00"))  # B C F G: 6 codes at 90
    assert (board.paid_out, board.owed) == (D("100.00"), D("170.00"))
    assert board.owed == ledger.balance(world.supplier.payable_id)
    [stock] = board.stock
    assert (stock.sku_id, stock.available, stock.reserved, stock.sold) == (world.sku.pk, 10, 0, 9)
    assert stock.remote_stock is None
    by_day = {d.day: d.settled for d in board.daily}
    assert by_day[LAST_MONTH] == Sales(1, D("90.00"))
    assert by_day[EARLIER_THIS_MONTH] == Sales(1, D("180.00"))


def test_supplier_quality_counts_complaints_and_top_up_success(world, trade):
    direct = factories.direct_sku("50.00")
    topups = factories.api_offer(direct, cost="45.00")
    direct_orders = [
        orders.place_order(
            agent=world.a3,
            sku_id=direct.pk,
            quantity=1,
            out_trade_no=f"direct-{i}",
            recharge_account="13800138000",
        ).order
        for i in range(3)
    ]
    now = timezone.now()
    for order, outcome in zip(direct_orders, [Outcome.SUCCEEDED, Outcome.FAILED], strict=False):
        with transaction.atomic():
            attempt = Attempt.objects.select_for_update().get(order=order)
            conclude(attempt, Report(outcome, retryable=False), now)
    orders.open_dispute(Order.objects.get(pk=direct_orders[0].pk), "没到账")
    idle = factories.supplier("没有出过货")

    quality = {q.supplier_id: q for q in dashboards.supplier_quality()}
    cards = quality[world.supplier.pk]
    # Delivered A B C D E F G; complaints: F (disputed), E (refunded after a dispute).
    assert (cards.orders, cards.complaints, cards.complaint_rate) == (7, 2, D("0.2857"))
    assert (cards.topup_decided, cards.topup_success_rate) == (0, None)
    top = quality[topups.pk]
    assert (top.orders, top.complaints, top.complaint_rate) == (1, 1, D("1.0000"))
    assert (top.topup_decided, top.topup_succeeded, top.topup_success_rate) == (2, 1, D("0.5000"))
    nothing = quality[idle.pk]
    assert (nothing.orders, nothing.complaint_rate, nothing.topup_success_rate) == (0, None, None)


def test_the_operators_queues(world, trade):
    factories.application()
    requests.request_top_up(world.a2, "10.00", "BANK-Q")
    queues = dashboards.operator_queues()
    assert queues.as_dict() == {
        "applications": 1,
        "disputes": 1,
        "top_up_requests": 1,
        "withdrawal_requests": 1,
        "escalated_top_ups": 0,
        "risk_reviews": 0,
    }


def test_the_wallet_statement_lists_every_line(world):
    operator = factories.operator()
    kept = _buy(world.a3, world, 1, "W-1")
    orders.resolve_dispute(
        orders.open_dispute(_buy(world.a3, world, 1, "W-2"), "坏卡"), upheld=True
    )
    withdrawal = requests.request_withdrawal(world.a3, "100.00", "支付宝 agent3@example.com")
    requests.reject_withdrawal(withdrawal, operator, "户名不符")
    requests.approve_top_up(requests.request_top_up(world.a3, "0.50", "BANK-W"), operator)
    today = timezone.localdate()

    statement = wallet_statement(world.a3, start=today, end=today)
    assert statement.opening == D("0.00")
    assert [(line.kind, line.amount, line.balance) for line in statement.lines] == [
        ("topup", D("2000.00"), D("2000.00")),  # the factory's
        ("order_pay", D("-98.50"), D("1901.50")),
        ("order_pay", D("-98.50"), D("1803.00")),
        ("order_refund", D("98.50"), D("1901.50")),
        ("withdrawal_hold", D("-100.00"), D("1801.50")),
        ("withdrawal_returned", D("100.00"), D("1901.50")),
        ("topup", D("0.50"), D("1902.00")),
    ]
    assert statement.lines[1].reference == kept.order_no
    assert statement.lines[4].kind_label == "提现冻结"
    assert statement.closing == D("1902.00") == factories.wallet(world.a3)
    assert (statement.money_in, statement.money_out) == (D("2199.00"), D("297.00"))
    later = wallet_statement(world.a3, start=today + timedelta(days=1), end=today + timedelta(2))
    assert (later.opening, later.lines, later.closing) == (D("1902.00"), [], D("1902.00"))
    assert wallet_statement(world.a2, start=today, end=today).closing == D("5000.00")


# --- a bounded number of queries ------------------------------------------------------------


def _many_orders(world, n: int) -> None:
    """`n` more orders over the chain's three agents and two products."""
    other = factories.sku("30.00")
    factories.stock(other, world.supplier, n, cost="27.00")
    factories.stock(world.sku, world.supplier, n)
    buyers = [world.a1, world.a2, world.a3]
    for i in range(n):
        sku = world.sku if i % 2 else other
        order = orders.place_order(
            agent=buyers[i % 3], sku_id=sku.pk, quantity=1, out_trade_no=f"many-{n}-{i}"
        ).order
        if i % 4 == 0:
            orders.confirm_receipt(order)


def _queries(django_assert_max_num_queries, bound: int, board) -> int:
    with django_assert_max_num_queries(bound) as captured:
        board()
    return len(captured.captured_queries)


BOARDS = {
    "agent": (6, lambda w: lambda: dashboards.agent_dashboard(w.a1, TODAY)),
    "platform": (4, lambda w: lambda: dashboards.platform_dashboard(TODAY)),
    "supplier": (6, lambda w: lambda: dashboards.supplier_dashboard(w.supplier, TODAY)),
    "quality": (3, lambda w: dashboards.supplier_quality),
    "queues": (1, lambda w: dashboards.operator_queues),
}


@pytest.mark.parametrize("name", BOARDS)
def test_each_dashboard_costs_a_few_queries_however_many_orders(
    world, name, django_assert_max_num_queries
):
    bound, make = BOARDS[name]
    board = make(world)
    ledger.system_account_id(ledger.REVENUE)  # remembered ids, as in a running server
    _many_orders(world, 6)
    few = _queries(django_assert_max_num_queries, bound, board)
    _many_orders(world, 60)
    assert Order.objects.count() == 66
    many = _queries(django_assert_max_num_queries, bound, board)
    assert many == few
