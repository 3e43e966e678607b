from kameng.errors import Conflict, DomainError, InvalidInput, NotFound


class OutOfStock(Conflict):
    code = "out_of_stock"
    title = "库存不足"


class SupplierNotFound(NotFound):
    code = "supplier_not_found"
    title = "没有这个供应商"


class SupplierNotApproved(DomainError):
    code = "supplier_not_approved"
    title = "供应商未通过审核"
    status = 409


class NotLicensed(DomainError):
    """The supplier has no active offer (licence) for this SKU."""

    code = "supplier_not_licensed"
    title = "供应商未获该商品的供货授权"
    status = 409


class ImportConflict(Conflict):
    code = "import_conflict"
    title = "另一批导入同时写入了相同卡密，请重新导入"


class NoNewCards(InvalidInput):
    """A card file with nothing to store (empty, or every line a duplicate or invalid):
    no batch is created; the details list the lines as an import report would."""

    code = "no_new_cards"
    title = "文件里没有可导入的新卡密"
