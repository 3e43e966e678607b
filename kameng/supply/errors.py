from kameng.errors import Conflict, DomainError, NotFound


class OutOfStock(Conflict):
    code = "out_of_stock"


class SupplierNotFound(NotFound):
    code = "supplier_not_found"


class SupplierNotApproved(DomainError):
    code = "supplier_not_approved"
    status = 409


class NotLicensed(DomainError):
    """The supplier has no active offer (licence) for this SKU."""

    code = "supplier_not_licensed"
    status = 409


class ImportConflict(Conflict):
    code = "import_conflict"
