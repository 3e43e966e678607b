"""Read-side views of docking, for the CLI and the operator console."""

from collections.abc import Iterable
from decimal import Decimal

from django.db import models
from django.db.models import Case, Count, OuterRef, QuerySet, Subquery, When
from django.db.models.functions import Coalesce

from kameng.agents.models import AgentLevel
from kameng.docking.models import Connection, Discrepancy, DockedSku
from kameng.money import to_money


def connection_view(connection: Connection) -> dict:
    """A connection for the CLI (its counts as connection_rows counts them)."""
    counted = connection_rows().get(pk=connection.pk)
    return {
        "name": connection.supplier.name,
        "url": connection.supplier.api_base_url,
        "app_key": connection.supplier.merchant_id,
        "markup_percent": str(connection.markup_percent),
        "markup_fixed": str(connection.markup_fixed),
        "rounding": connection.rounding,
        "auto_price": connection.auto_price,
        "excluded": connection.excluded,
        "mirrored": counted.mirrored,
        "delisted": counted.delisted,
        "synced_at": connection.synced_at.isoformat() if connection.synced_at else None,
        "full_synced_at": (
            connection.full_synced_at.isoformat() if connection.full_synced_at else None
        ),
        "balance": str(connection.balance) if connection.balance is not None else None,
        "last_error": connection.last_error,
        "open_discrepancies": counted.open_discrepancies,
    }


def connections() -> list[dict]:
    return [connection_view(connection) for connection in connection_rows()]


def open_discrepancies(limit: int = 200) -> list[dict]:
    rows = (
        Discrepancy.objects.filter(resolved_at__isnull=True)
        .select_related("connection__supplier", "attempt__order")
        .order_by("-found_at", "-pk")[:limit]
    )
    return [
        {
            "connection": d.connection.supplier.name,
            "order_no": d.attempt.order.order_no,
            "request_id": d.attempt.request_id,
            "kind": d.kind,
            "ours": d.ours,
            "theirs": d.theirs,
            "found_at": d.found_at.isoformat(),
        }
        for d in rows
    ]


# --- the operator console's pages ----------------------------------------------------------


def _count_of(model: type[models.Model], **filters: object) -> Coalesce:
    """How many rows of `model` (docked SKUs, discrepancies) belong to the outer
    connection: a subquery, so counting two relations multiplies nothing."""
    counted = (
        model.objects.filter(connection=OuterRef("pk"), **filters)
        .order_by()
        .values("connection")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=models.IntegerField()), 0)


def connection_rows() -> QuerySet[Connection]:
    """Every connection with its supplier and counts (`mirrored`, `delisted`,
    `open_discrepancies`), in one query: the console's list of docked sites."""
    return (
        Connection.objects.select_related("supplier")
        .annotate(
            mirrored=_count_of(DockedSku, delisted_at__isnull=True),
            delisted=_count_of(DockedSku, delisted_at__isnull=False),
            open_discrepancies=_count_of(Discrepancy, resolved_at__isnull=True),
        )
        .order_by("pk")
    )


def mirrored_skus(connection: Connection) -> QuerySet[DockedSku]:
    """The connection's mirrored SKUs with ours: on sale first, then delisted; by our id."""
    return (
        connection.skus.select_related("sku")
        .annotate(is_delisted=Case(When(delisted_at__isnull=True, then=0), default=1))
        .order_by("is_delisted", "sku_id")
    )


def top_level_discount() -> Decimal:
    """Level 1's discount (1 when there is no level): what our top level pays is a
    SKU's base price × this, to the cent."""
    found = AgentLevel.objects.filter(depth=1).values_list("discount", flat=True).first()
    return Decimal(found) if found else Decimal(1)


def with_top_prices(rows: Iterable[DockedSku], discount: Decimal | None = None) -> None:
    """Give each mirrored SKU `top_price` (what our top level pays: base price × level
    1's discount, to the cent) and `below_cost` (on sale while the upstream's price
    passed it: routing takes no such offer, the sync's `below_cost`)."""
    discount = top_level_discount() if discount is None else discount
    for docked in rows:
        docked.top_price = to_money(docked.sku.base_price * discount)
        docked.below_cost = docked.delisted_at is None and docked.cost > docked.top_price
