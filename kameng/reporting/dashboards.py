"""Dashboards for the consoles: a distributor's sales and earnings, the platform's
figures, suppliers' quality, a supplier's sales and stock.

Every figure is aggregated by the database (grouped by day, product, status, supplier):
each dashboard costs a fixed handful of queries however many orders there are, and no
Python loop ever runs over orders. Days are local days (settings.TIME_ZONE); a series
is the last SERIES_DAYS days up to and including `today`, oldest first, with the days
without sales present as zeros.

What counts as a sale: an order that was paid and is not failed or refunded (SOLD),
on the day it was paid. Spreads "released" are what settlements credited to the
agent's wallet (journal kind ORDER_SETTLE); "pending" ones are the spreads its wallet
will get from orders still in escrow (fixed on each order when it was placed).
"""

from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from kameng import db
from kameng.agents.models import Agent, TopUpRequest, WithdrawalRequest
from kameng.ledger import services as ledger
from kameng.ledger.models import Account, Entry, Journal
from kameng.money import ZERO, to_money
from kameng.orders.models import Order, OrderEvent
from kameng.orders.states import HOLDING_ESCROW, Status
from kameng.stock.models import Card
from kameng.suppliers.models import Offer, Supplier, SupplierApplication
from kameng.topup.models import Attempt
from kameng.topup.states import FINAL, AttemptStatus

SERIES_DAYS = 30
# Orders that count as sales: paid, and not (yet) failed or refunded.
SOLD = frozenset(HOLDING_ESCROW | {Status.COMPLETED})


@dataclass(frozen=True)
class Sales:
    count: int = 0
    amount: Decimal = ZERO

    def __add__(self, other: "Sales") -> "Sales":
        return Sales(self.count + other.count, self.amount + other.amount)


@dataclass(frozen=True)
class ProductSales:
    product_id: int
    product: str
    orders: int
    quantity: int
    amount: Decimal


@dataclass(frozen=True)
class AgentDay:
    day: date
    own: Sales
    subtree: Sales
    earned: Decimal  # spreads released that day


@dataclass(frozen=True)
class AgentDashboard:
    """`own`: the agent's own orders (its purchases and its storefront's sales);
    `subtree`: the orders of the agents below it (not its own)."""

    today: date
    own_today: Sales
    own_month: Sales
    subtree_today: Sales
    subtree_month: Sales
    earned_today: Decimal
    earned_month: Decimal
    earned_total: Decimal  # released, since the agent joined
    pending: Decimal  # spreads of its orders still in escrow
    balance: Decimal
    daily: list[AgentDay] = field(default_factory=list)
    by_product: list[ProductSales] = field(default_factory=list)  # this month, own + subtree

    def as_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class PlatformDay:
    day: date
    gmv: Sales
    revenue: Decimal


@dataclass(frozen=True)
class PlatformDashboard:
    """GMV: what sold orders were paid (SOLD). Revenue: what settlements credited to
    platform:revenue (its fee; disabled agents' spreads)."""

    today: date
    gmv_today: Sales
    gmv_month: Sales
    gmv_total: Sales
    revenue_today: Decimal
    revenue_month: Decimal
    revenue_total: Decimal
    orders_by_status: dict[str, int]
    escrow_held: Decimal
    withdrawals_held: Decimal  # requested by agents, not paid out yet
    daily: list[PlatformDay] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class OperatorQueues:
    """What waits for the operator: the console's review queues."""

    applications: int
    disputes: int
    top_up_requests: int
    withdrawal_requests: int
    escalated_top_ups: int
    risk_reviews: int  # orders held by risk control (待审核)

    def as_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class SupplierQuality:
    supplier_id: int
    name: str
    status: str
    orders: int  # orders it delivered goods for (cards, or a top-up)
    complaints: int  # of those: disputed now, or refunded after a dispute
    complaint_rate: Decimal | None  # complaints / orders; None without orders
    topup_decided: int  # its top-up attempts that ended (succeeded or failed)
    topup_succeeded: int
    topup_success_rate: Decimal | None  # succeeded / decided; None without any

    def as_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class SkuStock:
    sku_id: int
    sku: str
    available: int
    reserved: int
    sold: int
    remote_stock: int | None = None  # API suppliers: what it said last (None: unknown)
    remote_available: bool | None = None


@dataclass(frozen=True)
class SupplierDay:
    day: date
    settled: Sales


@dataclass(frozen=True)
class SupplierDashboard:
    """Sales are settlements (orders whose escrow paid the supplier its cost): counted
    in orders, valued at the supplier's cost. Pending: its goods in orders still in
    escrow. Owed: its payable balance (settled − paid out ± adjustments)."""

    today: date
    settled_today: Sales
    settled_month: Sales
    settled_total: Sales
    pending: Sales
    paid_out: Decimal
    owed: Decimal
    stock: list[SkuStock] = field(default_factory=list)
    daily: list[SupplierDay] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return _plain(self)


# --- the distributor ---------------------------------------------------------------------


def agent_dashboard(agent: Agent, today: date | None = None) -> AgentDashboard:
    """Sales today and this month (own and below it), spreads released and pending, the
    balance, a daily series and this month's sales by product. Six queries."""
    today = today or timezone.localdate()
    month = today.replace(day=1)
    since = min(month, today - timedelta(days=SERIES_DAYS - 1))
    start, end = _midnight(since), _midnight(today + timedelta(days=1))
    team = _team_orders(agent).filter(paid_at__gte=start, paid_at__lt=end)

    own: dict[date, Sales] = {}
    below: dict[date, Sales] = {}
    rows = (
        team.annotate(
            day=_day("paid_at"),
            own=Case(When(agent_id=agent.pk, then=Value(True)), default=Value(False)),
        )
        .values("day", "own")
        .annotate(count=Count("pk"), amount=Sum("amount"))
        .order_by()
    )
    for row in rows:
        target = own if row["own"] else below
        target[_as_date(row["day"])] = Sales(row["count"], to_money(row["amount"] or ZERO))

    products = [
        ProductSales(
            row["sku__product_id"],
            row["sku__product__name"],
            row["orders"],
            row["quantity"] or 0,
            to_money(row["amount"] or ZERO),
        )
        for row in team.filter(paid_at__gte=_midnight(month))
        .values("sku__product_id", "sku__product__name")
        .annotate(orders=Count("pk"), quantity=Sum("quantity"), amount=Sum("amount"))
        .order_by("-amount", "sku__product__name")
    ]

    released = Entry.objects.filter(
        account_id=agent.wallet_id, journal__kind=Journal.Kind.ORDER_SETTLE
    )
    earned_total = to_money(released.aggregate(t=Sum("amount"))["t"] or ZERO)
    earned = _by_day(released.filter(journal__created_at__gte=start, journal__created_at__lt=end))

    days = _days(since, today)
    return AgentDashboard(
        today=today,
        own_today=own.get(today, Sales()),
        own_month=_total(own, month, today),
        subtree_today=below.get(today, Sales()),
        subtree_month=_total(below, month, today),
        earned_today=earned.get(today, ZERO),
        earned_month=sum((v for d, v in earned.items() if d >= month), ZERO),
        earned_total=earned_total,
        pending=_pending_spreads(agent),
        balance=to_money(ledger.balance(agent.wallet_id)),
        daily=[
            AgentDay(d, own.get(d, Sales()), below.get(d, Sales()), earned.get(d, ZERO))
            for d in days[-SERIES_DAYS:]
        ],
        by_product=products,
    )


def _team_orders(agent: Agent) -> QuerySet[Order]:
    """Sold orders of the agent and of every agent below it (its path's prefix): by
    agent id, so the orders' agent index is used."""
    team = Agent.objects.filter(Q(pk=agent.pk) | Q(path__startswith=f"{agent.path}/"))
    return Order.objects.filter(agent_id__in=team.values("pk"), status__in=SOLD)


# Spreads are fixed on each order as JSON [[wallet account id, "amount"], ...]: summed
# by the database, per backend (jsonb on PostgreSQL; text holding JSON on SQLite, summed
# in integer cents, as money is there).
_PENDING_SQL = {
    "postgresql": """
        SELECT COALESCE(SUM((s.value ->> 1)::numeric), 0)
        FROM orders_order o
        CROSS JOIN LATERAL jsonb_array_elements(o.spreads) s
        WHERE o.status IN ({statuses})
          AND o.agent_id IN (SELECT id FROM agents_agent WHERE id = %s OR path LIKE %s)
          AND (s.value ->> 0)::bigint = %s
    """,
    "sqlite": """
        SELECT COALESCE(SUM(CAST(ROUND(
            CAST(json_extract(s.value, '$[1]') AS REAL) * 100) AS INTEGER)), 0)
        FROM orders_order o, json_each(o.spreads) s
        WHERE o.status IN ({statuses})
          AND o.agent_id IN (SELECT id FROM agents_agent WHERE id = %s OR path LIKE %s)
          AND json_extract(s.value, '$[0]') = %s
    """,
}


def _pending_spreads(agent: Agent) -> Decimal:
    statuses = sorted(HOLDING_ESCROW)
    sql = _PENDING_SQL[connection.vendor].format(statuses=", ".join(["%s"] * len(statuses)))
    (total,) = db.fetch_one(sql, [*statuses, agent.pk, f"{agent.path}/%", agent.wallet_id])
    return to_money(db.db_money(total) if connection.vendor == "sqlite" else Decimal(total))


# --- the platform ------------------------------------------------------------------------


def platform_dashboard(today: date | None = None) -> PlatformDashboard:
    """GMV and revenue today, this month and in all, orders by status, what escrow and
    the withdrawals account hold, and a daily series. Four queries (five the first
    time a process asks: platform:revenue's id)."""
    today = today or timezone.localdate()
    month = today.replace(day=1)
    since = min(month, today - timedelta(days=SERIES_DAYS - 1))
    start, end = _midnight(since), _midnight(today + timedelta(days=1))

    gmv: dict[date, Sales] = {
        _as_date(row["day"]): Sales(row["count"], to_money(row["amount"] or ZERO))
        for row in Order.objects.filter(status__in=SOLD, paid_at__gte=start, paid_at__lt=end)
        .annotate(day=_day("paid_at"))
        .values("day")
        .annotate(count=Count("pk"), amount=Sum("amount"))
        .order_by()
    }
    by_status = {
        row["status"]: (row["count"], to_money(row["amount"] or ZERO))
        for row in Order.objects.values("status")
        .annotate(count=Count("pk"), amount=Sum("amount"))
        .order_by()
    }
    revenue_account = ledger.system_account_id(ledger.REVENUE)
    revenue = _by_day(
        Entry.objects.filter(
            account_id=revenue_account,
            journal__created_at__gte=start,
            journal__created_at__lt=end,
        )
    )
    held = {
        row["kind"]: to_money(row["total"] or ZERO)
        for row in Account.objects.filter(
            Q(kind__in=[Account.Kind.ESCROW, Account.Kind.WITHDRAWALS]) | Q(pk=revenue_account)
        )
        .values("kind")
        .annotate(total=Sum("balance"))
        .order_by()
    }
    days = _days(since, today)
    return PlatformDashboard(
        today=today,
        gmv_today=gmv.get(today, Sales()),
        gmv_month=_total(gmv, month, today),
        gmv_total=sum(
            (Sales(n, amount) for status, (n, amount) in by_status.items() if status in SOLD),
            Sales(),
        ),
        revenue_today=revenue.get(today, ZERO),
        revenue_month=sum((v for d, v in revenue.items() if d >= month), ZERO),
        revenue_total=held.get(Account.Kind.PLATFORM_REVENUE, ZERO),
        orders_by_status={s: by_status.get(s, (0, ZERO))[0] for s in Status.values},
        escrow_held=held.get(Account.Kind.ESCROW, ZERO),
        withdrawals_held=held.get(Account.Kind.WITHDRAWALS, ZERO),
        daily=[
            PlatformDay(d, gmv.get(d, Sales()), revenue.get(d, ZERO)) for d in days[-SERIES_DAYS:]
        ],
    )


def operator_queues() -> OperatorQueues:
    """How many items wait in each of the operator's review queues. One query."""
    counts = _counts(
        applications=SupplierApplication.objects.filter(
            status=SupplierApplication.Status.SUBMITTED
        ),
        disputes=Order.objects.filter(status=Status.DISPUTED),
        top_up_requests=TopUpRequest.objects.filter(status=TopUpRequest.Status.SUBMITTED),
        withdrawal_requests=WithdrawalRequest.objects.filter(
            status=WithdrawalRequest.Status.SUBMITTED
        ),
        escalated_top_ups=Attempt.objects.filter(status=AttemptStatus.ESCALATED),
        risk_reviews=Order.objects.filter(status=Status.REVIEW),
    )
    return OperatorQueues(**counts)


def _counts(**querysets: QuerySet) -> dict[str, int]:
    """Several counts in one round trip: SELECT (SELECT COUNT(*) ...), (...)."""
    parts, params = [], []
    for rows in querysets.values():
        sql, query_params = rows.values("pk").query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS q)")
        params += list(query_params)
    row = db.fetch_one("SELECT " + ", ".join(parts), params)
    return dict(zip(querysets, (int(n) for n in row), strict=True))


# --- suppliers ---------------------------------------------------------------------------


def supplier_quality() -> list[SupplierQuality]:
    """Per supplier (every one, by name): the orders it delivered and how many drew a
    complaint (disputed now, or refunded after a dispute), and its top-up success rate
    (attempts succeeded / attempts ended). Three queries."""
    refunded_after_dispute = Q(order__status=Status.REFUNDED) & Exists(
        OrderEvent.objects.filter(
            order_id=OuterRef("order_id"), from_status=Status.DISPUTED, to_status=Status.REFUNDED
        )
    )
    complaint = Q(order__status=Status.DISPUTED) | refunded_after_dispute
    cards = {
        row["supplier_id"]: row
        for row in Card.objects.filter(
            status__in=[Card.Status.SOLD, Card.Status.INVALID], order__isnull=False
        )
        .values("supplier_id")
        .annotate(
            orders=Count("order_id", distinct=True),
            complaints=Count("order_id", distinct=True, filter=complaint),
        )
        .order_by()
    }
    succeeded = Q(status=AttemptStatus.SUCCEEDED)
    attempts = {
        row["supplier_id"]: row
        for row in Attempt.objects.values("supplier_id")
        .annotate(
            decided=Count("pk", filter=Q(status__in=sorted(FINAL))),
            succeeded=Count("pk", filter=succeeded),
            complaints=Count("pk", filter=succeeded & complaint),
        )
        .order_by()
    }
    result = []
    for supplier in Supplier.objects.order_by("name").only("pk", "name", "status"):
        card_row = cards.get(supplier.pk, {})
        attempt_row = attempts.get(supplier.pk, {})
        orders = card_row.get("orders", 0) + attempt_row.get("succeeded", 0)
        complaints = card_row.get("complaints", 0) + attempt_row.get("complaints", 0)
        decided = attempt_row.get("decided", 0)
        ok = attempt_row.get("succeeded", 0)
        result.append(
            SupplierQuality(
                supplier_id=supplier.pk,
                name=supplier.name,
                status=supplier.status,
                orders=orders,
                complaints=complaints,
                complaint_rate=_rate(complaints, orders),
                topup_decided=decided,
                topup_succeeded=ok,
                topup_success_rate=_rate(ok, decided),
            )
        )
    return result


def supplier_dashboard(supplier: Supplier, today: date | None = None) -> SupplierDashboard:
    """What the supplier sold (settled today, this month, in all, and by day), what is
    still in escrow, paid out and owed, and its stock per SKU. Six queries."""
    today = today or timezone.localdate()
    month = today.replace(day=1)
    since = min(month, today - timedelta(days=SERIES_DAYS - 1))
    start, end = _midnight(since), _midnight(today + timedelta(days=1))
    entries = Entry.objects.filter(account_id=supplier.payable_id)

    totals = {
        row["journal__kind"]: (row["count"], to_money(row["amount"] or ZERO))
        for row in entries.values("journal__kind")
        .annotate(count=Count("pk"), amount=Sum("amount"))
        .order_by()
    }
    settled: dict[date, Sales] = {
        _as_date(row["day"]): Sales(row["count"], to_money(row["amount"] or ZERO))
        for row in entries.filter(
            journal__kind=Journal.Kind.ORDER_SETTLE,
            journal__created_at__gte=start,
            journal__created_at__lt=end,
        )
        .annotate(day=_day("journal__created_at"))
        .values("day")
        .annotate(count=Count("pk"), amount=Sum("amount"))
        .order_by()
    }
    in_escrow_cards = Card.objects.filter(
        supplier=supplier, status=Card.Status.SOLD, order__status__in=HOLDING_ESCROW
    ).aggregate(orders=Count("order_id", distinct=True), cost=Sum("cost"))
    in_escrow_topups = Attempt.objects.filter(
        supplier=supplier, status=AttemptStatus.SUCCEEDED, order__status__in=HOLDING_ESCROW
    ).aggregate(orders=Count("pk"), cost=Sum("cost"))
    pending = Sales(in_escrow_cards["orders"], to_money(in_escrow_cards["cost"] or ZERO)) + Sales(
        in_escrow_topups["orders"], to_money(in_escrow_topups["cost"] or ZERO)
    )

    days = _days(since, today)
    settled_total = totals.get(Journal.Kind.ORDER_SETTLE, (0, ZERO))
    return SupplierDashboard(
        today=today,
        settled_today=settled.get(today, Sales()),
        settled_month=_total(settled, month, today),
        settled_total=Sales(*settled_total),
        pending=pending,
        paid_out=-totals.get(Journal.Kind.SUPPLIER_PAYOUT, (0, ZERO))[1],
        owed=sum((amount for _, amount in totals.values()), ZERO),
        stock=_stock(supplier),
        daily=[SupplierDay(d, settled.get(d, Sales())) for d in days[-SERIES_DAYS:]],
    )


def _stock(supplier: Supplier) -> list[SkuStock]:
    """Cards per SKU and status (one grouped query) beside its offers (one query)."""
    counts: dict[int, dict[str, int]] = {}
    names: dict[int, str] = {}
    for row in (
        Card.objects.filter(supplier=supplier)
        .values("sku_id", "sku__product__name", "sku__name", "status")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts.setdefault(row["sku_id"], {})[row["status"]] = row["n"]
        names[row["sku_id"]] = f"{row['sku__product__name']} {row['sku__name']}"
    remote: dict[int, tuple[int | None, bool | None]] = {}
    for offer in Offer.objects.filter(supplier=supplier).values(
        "sku_id",
        "sku__product__name",
        "sku__name",
        "remote_sku",
        "remote_stock",
        "remote_available",
    ):
        sku_id = offer["sku_id"]
        names.setdefault(sku_id, f"{offer['sku__product__name']} {offer['sku__name']}")
        if offer["remote_sku"]:
            remote[sku_id] = (offer["remote_stock"], offer["remote_available"])
        counts.setdefault(sku_id, {})
    return [
        SkuStock(
            sku_id=sku_id,
            sku=names[sku_id],
            available=by_status.get(Card.Status.AVAILABLE, 0),
            reserved=by_status.get(Card.Status.RESERVED, 0),
            sold=by_status.get(Card.Status.SOLD, 0),
            remote_stock=remote.get(sku_id, (None, None))[0],
            remote_available=remote.get(sku_id, (None, None))[1],
        )
        for sku_id, by_status in sorted(counts.items(), key=lambda item: names[item[0]])
    ]


# --- helpers -------------------------------------------------------------------------------


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _day(field_name: str) -> TruncDate:
    """The local day of a datetime column, computed by the database."""
    return TruncDate(field_name, tzinfo=timezone.get_current_timezone())


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _total(by_day: dict[date, Sales], first: date, last: date) -> Sales:
    return sum((sales for day, sales in by_day.items() if first <= day <= last), Sales())


def _by_day(entries: QuerySet[Entry]) -> dict[date, Decimal]:
    """Sum of the entries per local day of their journal."""
    return {
        _as_date(row["day"]): to_money(row["total"] or ZERO)
        for row in entries.annotate(day=_day("journal__created_at"))
        .values("day")
        .annotate(total=Sum("amount"))
        .order_by()
    }


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))


def _plain(value: Any) -> Any:
    """Dataclasses as JSON-ready data: amounts as strings, days in ISO form."""
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def supplier_stock(supplier: Supplier) -> list[SkuStock]:
    """The supplier's stock per SKU alone (its batches page): two queries, not the
    whole dashboard's six."""
    return _stock(supplier)
