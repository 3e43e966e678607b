from kameng.errors import DomainError, NotFound


class SkuNotFound(NotFound):
    code = "sku_not_found"


class SkuNotSellable(DomainError):
    code = "sku_not_sellable"
    status = 409
