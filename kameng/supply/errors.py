from kameng.errors import Conflict, DomainError, InvalidInput, NotFound


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


class NoNewCards(InvalidInput):
    """A card file with nothing to store (empty, or every line a duplicate or invalid):
    no batch is created; the details list the lines as an import report would."""

    code = "no_new_cards"
