from kameng.errors import Conflict, DomainError, NotFound


class SkuNotFound(NotFound):
    code = "sku_not_found"
    title = "没有这个商品规格"


class SkuNotSellable(DomainError):
    code = "sku_not_sellable"
    title = "该商品规格暂停销售"
    status = 409


class OutOfStock(Conflict):
    """The SKU cannot be had now: too few unsold codes (stock), or no supplier that can
    top it up (direct top-up routing)."""

    code = "out_of_stock"
    title = "库存不足"
