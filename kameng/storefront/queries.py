"""Reads for the storefront's pages, the admin and the CLI."""

from kameng.agents.models import Agent
from kameng.orders.catalog import offers_for
from kameng.orders.models import Order
from kameng.storefront.errors import StorefrontNotFound
from kameng.storefront.models import Checkout, Coupon, PriceTier, Storefront


def get_storefront(slug: str) -> Storefront:
    """An open shop (its agent active too) by its address; StorefrontNotFound else."""
    shop = (
        Storefront.objects.select_related("agent__user")
        .filter(slug=str(slug or "").strip().lower(), active=True, agent__active=True)
        .first()
    )
    if shop is None:
        raise StorefrontNotFound(f"no storefront at {str(slug)[:32]!r}")
    return shop


def platform_storefront() -> Storefront | None:
    """The platform's own shop (served at /), if one is set and open."""
    return (
        Storefront.objects.select_related("agent__user")
        .filter(is_platform=True, active=True, agent__active=True)
        .first()
    )


def storefront_of(agent: Agent) -> Storefront | None:
    return Storefront.objects.filter(agent=agent).first()


def all_storefronts() -> list[Storefront]:
    return list(Storefront.objects.select_related("agent__user").order_by("slug"))


def shop_offers(storefront: Storefront) -> list[dict]:
    """What the shop sells, at its retail price, with its price tiers (the owner's own
    cost is never part of it: the buyer sees only what it may pay)."""
    tiers: dict[int, list[dict]] = {}
    for tier in PriceTier.objects.filter(agent_id=storefront.agent_id).order_by("min_quantity"):
        tiers.setdefault(tier.sku_id, []).append(
            {"min_quantity": tier.min_quantity, "unit_price": str(tier.unit_price)}
        )
    offers = []
    for offer in offers_for(storefront.agent):
        public = {key: value for key, value in offer.items() if key != "price"}
        public["tiers"] = tiers.get(offer["sku_id"], [])
        offers.append(public)
    return offers


def coupons_of(agent: Agent) -> list[Coupon]:
    return list(Coupon.objects.filter(agent=agent).prefetch_related("skus").order_by("-pk"))


def coupon_view(coupon: Coupon) -> dict:
    return {
        "code": coupon.code,
        "kind": coupon.kind,
        "value": str(coupon.value),
        "min_amount": str(coupon.min_amount),
        "skus": sorted(sku.pk for sku in coupon.skus.all()),
        "usage_limit": coupon.usage_limit,
        "used_count": coupon.used_count,
        "expires_at": coupon.expires_at.isoformat() if coupon.expires_at else None,
        "active": coupon.active,
    }


def price_tiers_of(agent: Agent, sku_id: int | None = None) -> list[PriceTier]:
    rows = PriceTier.objects.filter(agent=agent)
    if sku_id is not None:
        rows = rows.filter(sku_id=sku_id)
    return list(rows.order_by("sku_id", "min_quantity"))


def checkout_of(order: Order) -> Checkout | None:
    """What the buyer gave at checkout (None: not a storefront checkout)."""
    return Checkout.objects.select_related("storefront", "coupon").filter(order=order).first()
