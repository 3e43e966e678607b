"""The qualification-review state machines: every legal decision, in one place.

Applications (供应商入驻申请)::

    submitted ──► approved        (creates the Supplier, approved)
        └───────► rejected        (final: the company submits a new application)

Suppliers (Supplier.status)::

    pending ──► approved ◄──► suspended
       └──────► rejected

Only an approved supplier sells: card allocation joins on supplier status = approved,
so pending, rejected and suspended suppliers' stock stays on the shelf.
"""

from kameng.errors import ReasonRequired
from kameng.suppliers.models import Supplier, SupplierApplication, SupplierReview

AppStatus = SupplierApplication.Status
SupplierStatus = Supplier.Status
Decision = SupplierReview.Decision

APPLICATION_TRANSITIONS: dict[str, frozenset[str]] = {
    AppStatus.SUBMITTED: frozenset({AppStatus.APPROVED, AppStatus.REJECTED}),
    AppStatus.APPROVED: frozenset(),
    AppStatus.REJECTED: frozenset(),
}

SUPPLIER_TRANSITIONS: dict[str, frozenset[str]] = {
    SupplierStatus.PENDING: frozenset({SupplierStatus.APPROVED, SupplierStatus.REJECTED}),
    SupplierStatus.APPROVED: frozenset({SupplierStatus.SUSPENDED}),
    SupplierStatus.SUSPENDED: frozenset({SupplierStatus.APPROVED}),
    SupplierStatus.REJECTED: frozenset(),
}

# The decision each supplier transition is recorded as.
SUPPLIER_DECISIONS: dict[tuple[str, str], str] = {
    (SupplierStatus.PENDING, SupplierStatus.APPROVED): Decision.APPROVED,
    (SupplierStatus.PENDING, SupplierStatus.REJECTED): Decision.REJECTED,
    (SupplierStatus.APPROVED, SupplierStatus.SUSPENDED): Decision.SUSPENDED,
    (SupplierStatus.SUSPENDED, SupplierStatus.APPROVED): Decision.REINSTATED,
}

APPLICATION_DECISIONS: dict[str, str] = {
    AppStatus.APPROVED: Decision.APPROVED,
    AppStatus.REJECTED: Decision.REJECTED,
}

# Refusing someone must say why (the database enforces it too).
REASON_REQUIRED = frozenset({Decision.REJECTED, Decision.SUSPENDED})

# Supplier statuses whose goods sell.
SELLING = frozenset({SupplierStatus.APPROVED})


def can_move_application(current: str, target: str) -> bool:
    return target in APPLICATION_TRANSITIONS[current]


def can_move_supplier(current: str, target: str) -> bool:
    return target in SUPPLIER_TRANSITIONS[current]


def require_reason(decision: str, reason: str) -> str:
    """The reason, trimmed; refusing decisions must have one."""
    reason = (reason or "").strip()
    if decision in REASON_REQUIRED and not reason:
        label = Decision(decision).label
        raise ReasonRequired(f"a {decision} decision ({label}) needs a reason")
    return reason
