"""What an agent can buy now: each SKU on sale, at that agent's own price, with its
stock state. (Another agent's prices are never part of the answer.)"""

from datetime import datetime

from django.utils import timezone

from kameng.agents.models import Agent
from kameng.agents.pricing import quote
from kameng.catalog.errors import SkuNotFound
from kameng.catalog.models import QuoteVersion, Sku
from kameng.catalog.queries import skus_on_sale
from kameng.money import to_money
from kameng.orders import fulfilment
from kameng.orders.models import Order
from kameng.stock.models import CardBatch
from kameng.stock.queries import cards_in_stock
from kameng.suppliers.models import Offer


def offers_for(
    agent: Agent, sku_id: int | None = None, *, changed: "set[int] | None" = None
) -> list[dict]:
    """`changed`: only these SKUs (those `changed_since` names)."""
    skus = skus_on_sale()
    if sku_id is not None:
        skus = skus.filter(pk=sku_id)
    if changed is not None:
        skus = skus.filter(pk__in=changed)
    skus = list(skus.select_related("product__category").order_by("product__category", "pk"))
    prices = {sku.pk: quote(agent, sku, retail=True) for sku in skus}
    stock: dict[int, tuple[bool, int | None]] = {}
    for kind in {fulfilment.kind_of(sku) for sku in skus}:
        of_kind = [
            (sku, prices[sku.pk].top_price) for sku in skus if fulfilment.kind_of(sku) == kind
        ]
        stock.update(fulfilment.for_kind(kind).availability(of_kind))
    offers = []
    for sku in skus:
        available, count = stock[sku.pk]
        offers.append(
            {
                "sku_id": sku.pk,
                "name": sku.name,
                "product": sku.product.name,
                "category": sku.product.category.name,
                "kind": sku.kind,
                "face_value": str(to_money(sku.face_value)),
                "price": str(to_money(prices[sku.pk].links[-1].unit_price)),
                "retail_price": str(to_money(prices[sku.pk].retail_price)),
                "stock_state": "in_stock" if available else "out_of_stock",
                "stock": count,
            }
        )
    return offers


def changed_since(since: datetime) -> set[int] | None:
    """The SKUs whose listing may differ from what it was at `since` (the open API's
    `updated_after`, for a docked site's incremental sync), or None for all of them:
    when anything a price is computed from changed since (the quote version's time,
    set by database triggers on SKUs, products, agents, levels and prices). Otherwise
    the SKUs whose stock may have moved: ordered since (order numbers begin with their
    creation time, so this is a range of their unique index), codes imported since, or
    a supplier's offer refreshed since. Codes going back to stock when an unpaid order
    expires are not counted: a full listing (at least daily) catches them."""
    changed_at = QuoteVersion.objects.filter(pk=1).values_list("changed_at", flat=True).first()
    if changed_at is None or changed_at >= since.timestamp():
        return None
    first_order_no = f"K{timezone.localtime(since):%y%m%d%H%M%S}"
    ordered = Order.objects.filter(order_no__gte=first_order_no).values_list("sku_id", flat=True)
    imported = CardBatch.objects.filter(created_at__gte=since).values_list("sku_id", flat=True)
    refreshed = Offer.objects.filter(refreshed_at__gte=since).values_list("sku_id", flat=True)
    return {*ordered.distinct(), *imported.distinct(), *refreshed.distinct()}


def offer_for(agent: Agent, sku_id: int) -> dict:
    found = offers_for(agent, sku_id)
    if not found:
        raise SkuNotFound(f"SKU {sku_id} does not exist or is not on sale", sku_id=str(sku_id))
    return found[0]


def all_skus() -> list[dict]:
    """Every SKU, on sale or not, with its unsold codes: the operator's listing (no
    agent's price in it; those are offers_for's)."""
    skus = list(Sku.objects.select_related("product__category").order_by("product__category", "pk"))
    on_sale = set(skus_on_sale().values_list("pk", flat=True))
    stock = cards_in_stock([sku.pk for sku in skus if sku.kind == Sku.Kind.CARD])
    return [
        {
            "sku_id": sku.pk,
            "product_id": sku.product_id,
            "category": sku.product.category.name,
            "product": sku.product.name,
            "name": sku.name,
            "kind": sku.kind,
            "face_value": str(to_money(sku.face_value)),
            "on_sale": sku.pk in on_sale,
            "stock": stock.get(sku.pk, 0) if sku.kind == Sku.Kind.CARD else None,
        }
        for sku in skus
    ]
