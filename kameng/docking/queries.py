"""Read-side views of docking, for the CLI and the operator console."""

from django.db.models import Count, Q

from kameng.docking.models import Connection, Discrepancy


def connection_view(connection: Connection) -> dict:
    counts = connection.skus.aggregate(
        mirrored=Count("pk", filter=Q(delisted_at__isnull=True)),
        delisted=Count("pk", filter=Q(delisted_at__isnull=False)),
    )
    return {
        "name": connection.supplier.name,
        "url": connection.supplier.api_base_url,
        "app_key": connection.supplier.merchant_id,
        "markup_percent": str(connection.markup_percent),
        "markup_fixed": str(connection.markup_fixed),
        "rounding": connection.rounding,
        "auto_price": connection.auto_price,
        "excluded": connection.excluded,
        "mirrored": counts["mirrored"],
        "delisted": counts["delisted"],
        "synced_at": connection.synced_at.isoformat() if connection.synced_at else None,
        "full_synced_at": (
            connection.full_synced_at.isoformat() if connection.full_synced_at else None
        ),
        "balance": str(connection.balance) if connection.balance is not None else None,
        "last_error": connection.last_error,
        "open_discrepancies": connection.discrepancies.filter(resolved_at__isnull=True).count(),
    }


def connections() -> list[dict]:
    return [
        connection_view(c) for c in Connection.objects.select_related("supplier").order_by("pk")
    ]


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
