from django.db.models import QuerySet

from kameng import db
from kameng.catalog.errors import SkuNotFound, SkuNotSellable
from kameng.catalog.models import Sku

# What sellable_from_row reads, for reads that join the SKU into a larger query (the
# order path reads SKU and price chain in one: agents.pricing.sale_quote).
SKU_COLUMNS = (
    "s.product_id, s.name, s.face_value, s.kind, s.authorised, s.active, p.active,"
    " s.list_price, s.forwarded"
)
SKU_FROM = "catalog_sku s JOIN catalog_product p ON p.id = s.product_id"
# The quote version now (catalog.QuoteVersion; NULL before anything was ever written).
CURRENT_VERSION_SQL = "(SELECT qv.token FROM catalog_quoteversion qv WHERE qv.id = 1)"


def sellable_sku(sku_id: int) -> Sku:
    """The SKU if it may be sold now: active, authorised, its product active.
    (One plain-SQL read.)"""
    check_sku_id(sku_id)
    row = db.fetch_one(f"SELECT {SKU_COLUMNS} FROM {SKU_FROM} WHERE s.id = %s", [sku_id])
    return sellable_from_row(sku_id, row)


def check_sku_id(sku_id: object) -> None:
    if not isinstance(sku_id, int) or isinstance(sku_id, bool):
        raise SkuNotFound(f"SKU {sku_id} does not exist", sku_id=str(sku_id))


def sellable_from_row(sku_id: int, row: tuple | None) -> Sku:
    """The SKU from SKU_COLUMNS (None: no such SKU), if the sale rule allows it."""
    if row is None:
        raise SkuNotFound(f"SKU {sku_id} does not exist", sku_id=str(sku_id))
    product_id, name, face_value, kind, authorised, active, product_active, listed, forwarded = row
    if not (authorised and active and product_active):
        raise SkuNotSellable(f"SKU {sku_id} is not on sale", sku_id=sku_id)
    return Sku(
        pk=sku_id,
        product_id=product_id,
        name=name,
        face_value=db.db_money(face_value),
        list_price=None if listed is None else db.db_money(listed),
        forwarded=bool(forwarded),
        kind=kind,
        authorised=True,
        active=True,
    )


def skus_on_sale() -> QuerySet[Sku]:
    """The same rule as sellable_sku, for listings: active, authorised, product active."""
    return Sku.objects.filter(active=True, authorised=True, product__active=True)


def get_sku(sku_id: int) -> Sku:
    try:
        return Sku.objects.select_related("product").get(pk=sku_id)
    except (Sku.DoesNotExist, ValueError, TypeError) as exc:
        raise SkuNotFound(f"SKU {sku_id} does not exist", sku_id=str(sku_id)) from exc
