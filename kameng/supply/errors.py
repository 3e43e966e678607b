from kameng.errors import Conflict, DomainError, NotFound


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
