from kameng.errors import DomainError, NotFound


class SkuNotFound(NotFound):
    code = "sku_not_found"
    title = "没有这个商品规格"


class SkuNotSellable(DomainError):
    code = "sku_not_sellable"
    title = "该商品规格暂停销售"
    status = 409
