from decimal import Decimal

from django.db.models import Count, Sum

from kameng import db
from kameng.stock.models import Card


def supplier_costs(order_id: int) -> list[tuple[int, Decimal]]:
    """(supplier payable account id, total cost) of the cards delivered to an order."""
    rows = (
        Card.objects.filter(order_id=order_id)
        .values_list("supplier__payable_id")
        .annotate(total=Sum("cost"))
        .order_by("supplier__payable_id")
    )
    return [(account_id, total) for account_id, total in rows]


def order_cards(order_id: int) -> list[tuple[str, str]]:
    """(code, encrypted secret) of an order's cards, never those only held for it while
    it awaits payment. (Plain SQL: every API answer with cards reads them.)"""
    return db.fetch_all(
        "SELECT code, secret_encrypted FROM supply_card"
        f" WHERE order_id = %s AND status <> '{Card.Status.RESERVED}' ORDER BY id",
        [order_id],
    )


def cards_in_stock(sku_ids: list[int]) -> dict[int, int]:
    """Unsold codes per SKU (SKUs with none are absent)."""
    rows = (
        Card.objects.filter(sku_id__in=sku_ids, status=Card.Status.AVAILABLE)
        .values_list("sku_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return dict(rows)
