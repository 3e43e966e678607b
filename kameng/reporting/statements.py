"""What a supplier sold, what it is owed and what was paid out (供应商对账单). The
payouts themselves are recorded by kameng.suppliers.payouts.

Everything is read from the ledger: the supplier's payable account grows by its cost
when an order's escrow is settled (journal kind ORDER_SETTLE, reference = order_no) and
shrinks when the platform pays it out (SUPPLIER_PAYOUT). So for any period

    closing = opening + settled − payouts + adjustments

where adjustments are any other postings on the account (manual corrections; none in
normal operation), and the closing balance is what the platform owes.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone

from kameng.errors import InvalidInput
from kameng.ledger.models import Entry, Journal
from kameng.money import ZERO, to_money
from kameng.orders.models import Order
from kameng.orders.states import HOLDING_ESCROW
from kameng.stock.models import Card
from kameng.suppliers.models import Supplier
from kameng.topup.models import Attempt
from kameng.topup.states import AttemptStatus


@dataclass(frozen=True)
class SaleLine:
    """One settled order: the supplier's cost for its goods in it."""

    order_no: str
    sku: str
    quantity: int
    cost: Decimal
    settled_at: datetime


@dataclass(frozen=True)
class PendingLine:
    """Goods sold but still in escrow: owed once the buyer confirms (or the window
    passes), nothing if the order is refunded."""

    order_no: str
    sku: str
    status: str
    quantity: int
    cost: Decimal


@dataclass(frozen=True)
class PayoutLine:
    reference: str
    amount: Decimal
    at: datetime


@dataclass
class Statement:
    supplier: str
    start: date
    end: date  # inclusive
    opening: Decimal
    sales: list[SaleLine] = field(default_factory=list)
    payouts: list[PayoutLine] = field(default_factory=list)
    adjustments: Decimal = ZERO
    pending: list[PendingLine] = field(default_factory=list)
    closing: Decimal = ZERO

    @property
    def settled_total(self) -> Decimal:
        return sum((line.cost for line in self.sales), ZERO)

    @property
    def settled_quantity(self) -> int:
        return sum(line.quantity for line in self.sales)

    @property
    def payouts_total(self) -> Decimal:
        return sum((line.amount for line in self.payouts), ZERO)

    @property
    def pending_total(self) -> Decimal:
        return sum((line.cost for line in self.pending), ZERO)

    @property
    def pending_quantity(self) -> int:
        return sum(line.quantity for line in self.pending)

    def as_dict(self) -> dict[str, Any]:
        return {
            "supplier": self.supplier,
            "period": {"from": self.start.isoformat(), "to": self.end.isoformat()},
            "opening_balance": str(self.opening),
            "settled": [
                {
                    "order_no": s.order_no,
                    "sku": s.sku,
                    "quantity": s.quantity,
                    "cost": str(s.cost),
                    "settled_at": s.settled_at.isoformat(),
                }
                for s in self.sales
            ],
            "pending": [
                {
                    "order_no": p.order_no,
                    "sku": p.sku,
                    "status": p.status,
                    "quantity": p.quantity,
                    "cost": str(p.cost),
                }
                for p in self.pending
            ],
            "payouts": [
                {"reference": p.reference, "amount": str(p.amount), "at": p.at.isoformat()}
                for p in self.payouts
            ],
            "totals": {
                "settled": str(self.settled_total),
                "settled_quantity": self.settled_quantity,
                "pending": str(self.pending_total),
                "pending_quantity": self.pending_quantity,
                "payouts": str(self.payouts_total),
                "adjustments": str(self.adjustments),
            },
            "closing_balance": str(self.closing),
        }


def statement(supplier: Supplier, *, start: date, end: date) -> Statement:
    """The supplier's statement for the days start..end (inclusive, local time).

    `pending` lists goods sold before the period's end whose orders still hold escrow
    now (paid / delivering / delivered / disputed)."""
    if start > end:
        raise InvalidInput(f"the period starts ({start}) after it ends ({end})")
    since, until = _local_midnight(start), _local_midnight(end + timedelta(days=1))
    account_entries = Entry.objects.filter(account_id=supplier.payable_id)
    opening = to_money(
        account_entries.filter(journal__created_at__lt=since).aggregate(total=Sum("amount"))[
            "total"
        ]
        or ZERO
    )
    rows = (
        account_entries.filter(journal__created_at__gte=since, journal__created_at__lt=until)
        .order_by("journal__created_at", "journal_id")
        .values_list("amount", "journal__kind", "journal__reference", "journal__created_at")
    )
    result = Statement(supplier.name, start, end, opening)
    settled: list[tuple[str, Decimal, datetime]] = []
    moved = ZERO
    for amount, kind, reference, at in rows:
        moved += amount
        if kind == Journal.Kind.ORDER_SETTLE:
            settled.append((reference, amount, at))
        elif kind == Journal.Kind.SUPPLIER_PAYOUT:
            result.payouts.append(PayoutLine(reference, -amount, at))
        else:
            result.adjustments += amount
    result.sales = _sale_lines(supplier, settled)
    result.pending = _pending_lines(supplier, until)
    result.closing = to_money(opening + moved)
    # The identity the statement promises; a failure here is a bug, not bad input.
    assert result.closing == (
        result.opening + result.settled_total - result.payouts_total + result.adjustments
    ), result
    return result


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _sale_lines(supplier: Supplier, settled: list[tuple[str, Decimal, datetime]]) -> list[SaleLine]:
    """Name the SKU of each settled order and count this supplier's goods in it (an
    order may draw codes from several suppliers; orders without codes count whole)."""
    order_nos = [order_no for order_no, _, _ in settled]
    orders = {
        row["order_no"]: row
        for row in Order.objects.filter(order_no__in=order_nos).values(
            "pk", "order_no", "quantity", "sku__name", "sku__product__name"
        )
    }
    cards = dict(
        Card.objects.filter(supplier=supplier, order_id__in=[o["pk"] for o in orders.values()])
        .values_list("order_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    lines = []
    for order_no, cost, at in settled:
        order = orders.get(order_no)
        if order is None:  # a settlement whose order is gone: show the money anyway
            lines.append(SaleLine(order_no, "", 0, cost, at))
            continue
        sku = f"{order['sku__product__name']} {order['sku__name']}"
        quantity = cards.get(order["pk"]) or order["quantity"]
        lines.append(SaleLine(order_no, sku, quantity, cost, at))
    return lines


def _pending_lines(supplier: Supplier, until: datetime) -> list[PendingLine]:
    rows = (
        Card.objects.filter(
            supplier=supplier,
            status=Card.Status.SOLD,
            order__status__in=HOLDING_ESCROW,
            sold_at__lt=until,
        )
        .values("order__order_no", "order__status", "sku__name", "sku__product__name")
        .annotate(quantity=Count("pk"), cost=Sum("cost"))
        .order_by("order__order_no")
    )
    lines = [
        PendingLine(
            row["order__order_no"],
            f"{row['sku__product__name']} {row['sku__name']}",
            row["order__status"],
            row["quantity"],
            to_money(row["cost"]),
        )
        for row in rows
    ]
    # Direct top-ups this supplier delivered, still in escrow.
    topups = Attempt.objects.filter(
        supplier=supplier,
        status=AttemptStatus.SUCCEEDED,
        order__status__in=HOLDING_ESCROW,
        finished_at__lt=until,
    ).values_list(
        "order__order_no",
        "order__sku__product__name",
        "order__sku__name",
        "order__status",
        "order__quantity",
        "cost",
    )
    lines += [
        PendingLine(order_no, f"{product} {name}", status, quantity, to_money(cost))
        for order_no, product, name, status, quantity, cost in topups
    ]
    return sorted(lines, key=lambda line: line.order_no)
