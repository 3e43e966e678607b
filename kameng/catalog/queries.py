from kameng.catalog.errors import SkuNotFound, SkuNotSellable
from kameng.catalog.models import Sku


def sellable_sku(sku_id: int) -> Sku:
    """The SKU if it may be sold now: active, authorised, its product active."""
    sku = get_sku(sku_id)
    if not (sku.active and sku.authorised and sku.product.active):
        raise SkuNotSellable(f"SKU {sku_id} is not on sale", sku_id=sku.pk)
    return sku


def get_sku(sku_id: int) -> Sku:
    try:
        return Sku.objects.select_related("product").get(pk=sku_id)
    except (Sku.DoesNotExist, ValueError, TypeError) as exc:
        raise SkuNotFound(f"SKU {sku_id} does not exist", sku_id=str(sku_id)) from exc
