"""Read-side helpers of the operator's pages: the operator sees everything (no scope
helper narrows it), so these only shape lists for a page — related rows joined and
figures summed by the database, a fixed number of queries per page however many rows
there are."""

from datetime import datetime

from django.db.models import (
    Count,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Concat

from kameng.agents.models import Agent, AgentLevel
from kameng.ledger.models import Account
from kameng.money import MoneyField
from kameng.orders.models import Order
from kameng.orders.states import AWAITING_PAYMENT, Status
from kameng.payments.models import Payment, Refund
from kameng.payments.states import PaymentStatus, RefundStatus
from kameng.reporting.dashboards import SOLD
from kameng.risk.models import Assessment
from kameng.stock.models import Card


def _sum_amount(orders: QuerySet[Order]) -> Coalesce:
    """SUM(amount) of `orders` (an OuterRef-filtered set) as a scalar subquery: no GROUP
    BY, one value per outer row, zero when there is none."""
    total = orders.order_by().values(
        total=Func("amount", function="SUM", output_field=MoneyField(max_digits=18))
    )
    return Coalesce(Subquery(total), Value(0), output_field=MoneyField(max_digits=18))


def agent_rows(agents: QuerySet[Agent]) -> QuerySet[Agent]:
    """Agents with their user and wallet, how many agents sit directly below each, and
    what sold: `own_sales` (its own orders), `team_sales` (its own and everyone's below
    it). Sold: paid and not failed or refunded (reporting.dashboards.SOLD)."""
    sold = Order.objects.filter(status__in=sorted(SOLD))
    below = Q(agent__path__startswith=Concat(OuterRef("path"), Value("/")))
    return agents.select_related("user", "wallet").annotate(
        level_name=Subquery(AgentLevel.objects.filter(depth=OuterRef("depth")).values("name")[:1]),
        children_count=Subquery(
            Agent.objects.filter(parent_id=OuterRef("pk"))
            .order_by()
            .values(n=Func("pk", function="COUNT"))
        ),
        own_sales=_sum_amount(sold.filter(agent_id=OuterRef("pk"))),
        team_sales=_sum_amount(sold.filter(Q(agent_id=OuterRef("pk")) | below)),
    )


def levels_with_counts() -> list[dict]:
    """Every level with how many agents are at its depth (two queries)."""
    counts = dict(
        Agent.objects.values_list("depth")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("depth", "n")
    )
    return [
        {
            "depth": level.depth,
            "name": level.name,
            "discount": level.discount,
            "agents": counts.get(level.depth, 0),
        }
        for level in AgentLevel.objects.order_by("depth")
    ]


def ancestors(agent: Agent) -> list[Agent]:
    """The agents above `agent`, top-level first (its path's ids, one query)."""
    ids = [int(part) for part in agent.path.split("/")[:-1] if part.isdigit()]
    found = {a.pk: a for a in Agent.objects.filter(pk__in=ids).select_related("user")}
    return [found[pk] for pk in ids if pk in found]


def available_cards_by_supplier() -> dict[int, int]:
    """Supplier id → its cards on sale now (one grouped query)."""
    return dict(
        Card.objects.filter(status=Card.Status.AVAILABLE)
        .values_list("supplier_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("supplier_id", "n")
    )


def disputed_orders() -> QuerySet[Order]:
    """Orders in dispute, longest waiting first."""
    return (
        Order.objects.filter(status=Status.DISPUTED)
        .select_related("sku__product", "agent__user")
        .order_by("created_at", "pk")
    )


def held_orders() -> QuerySet[Order]:
    """Orders risk control holds for review (待审核), longest waiting first."""
    return (
        Order.objects.filter(status=Status.REVIEW)
        .select_related("sku__product", "agent__user")
        .order_by("created_at", "pk")
    )


def with_assessments(orders: list[Order]) -> list[Order]:
    """Each order with `.assessment`: risk control's assessment of it (None if it was
    never scored), one query for the lot."""
    found: dict[str, Assessment] = {}
    for row in Assessment.objects.filter(order_no__in=[o.order_no for o in orders]).order_by("pk"):
        found[row.order_no] = row
    for order in orders:
        order.assessment = found.get(order.order_no)
    return orders


def blocked_attempts() -> QuerySet[Assessment]:
    """Orders risk control refused (no order was made), newest first."""
    return Assessment.objects.filter(decision=Assessment.Decision.BLOCK).order_by(
        "-created_at", "-pk"
    )


def orders_for_operator() -> QuerySet[Order]:
    return Order.objects.select_related("sku__product", "agent__user")


def accounts(kind: str = "", search: str = "") -> QuerySet[Account]:
    rows = Account.objects.order_by("kind", "code")
    if kind:
        rows = rows.filter(kind=kind)
    if search:
        rows = rows.filter(Q(code__icontains=search) | Q(name__icontains=search))
    return rows


def unpaid_after_window(now: datetime) -> QuerySet[Payment]:
    """Storefront payments still unpaid after their order's payment window: the buyer
    may have paid without the gateway telling us (the operator checks and confirms)."""
    return (
        Payment.objects.filter(
            status=PaymentStatus.PENDING,
            order__status__in=sorted(AWAITING_PAYMENT),
            order__payment_deadline__lt=now,
        )
        .select_related("order__sku__product", "order__agent__user")
        .order_by("-created_at", "-pk")
    )


def refunds_with(status: str) -> QuerySet[Refund]:
    """Refunds in `status` (failed: waiting for the operator; pending: being sent),
    newest first."""
    assert status in RefundStatus.values
    return Refund.objects.filter(status=status).select_related("payment__order").order_by("-pk")


def search_payments(text: str) -> QuerySet[Payment]:
    """Payments whose order number or trade number (or a refunded trade's) is `text`."""
    refunded = Refund.objects.filter(trade_no=text).values("payment_id")
    return (
        Payment.objects.filter(Q(order__order_no=text) | Q(trade_no=text) | Q(pk__in=refunded))
        .select_related("order__sku__product", "order__agent__user")
        .order_by("-pk")
    )
