"""Supplier verbs: register suppliers and license them for SKUs (offers)."""

from decimal import Decimal

from django.db import transaction

from kameng.catalog.models import Sku
from kameng.errors import InvalidInput
from kameng.ledger.models import Account
from kameng.ledger.services import open_account
from kameng.money import parse_money
from kameng.suppliers.errors import NotLicensed, SupplierNotApproved, SupplierNotFound
from kameng.suppliers.models import Offer, Supplier


def create_supplier(
    name: str, *, mode: str = Supplier.Mode.MANUAL, status: str = Supplier.Status.PENDING
) -> Supplier:
    if not name.strip() or len(name) > 128:
        raise InvalidInput("supplier name must be 1–128 characters")
    with transaction.atomic():
        payable = open_account(f"supplier:{name}", f"应付 {name}", Account.Kind.SUPPLIER_PAYABLE)
        return Supplier.objects.create(name=name, mode=mode, status=status, payable=payable)


def set_offer(
    supplier: Supplier,
    sku: Sku,
    cost: Decimal | str,
    *,
    active: bool = True,
    remote_sku: str | None = None,
) -> Offer:
    """License a supplier for a SKU at a cost; API suppliers also name their own
    product code for it (`remote_sku`)."""
    cost = parse_money(cost)
    defaults: dict = {"cost": cost, "active": active}
    if remote_sku is not None:
        if len(remote_sku) > 64:
            raise InvalidInput("the supplier's product code is at most 64 characters")
        defaults["remote_sku"] = remote_sku
    offer, _ = Offer.objects.update_or_create(supplier=supplier, sku=sku, defaults=defaults)
    return offer


def require_offer(supplier: Supplier, sku: Sku) -> Offer:
    """The supplier's active offer (licence) for the SKU, or NotLicensed."""
    offer = Offer.objects.filter(supplier=supplier, sku=sku, active=True).first()
    if offer is None:
        raise NotLicensed(f"{supplier} is not licensed to supply {sku}")
    return offer


def require_approved(supplier: Supplier) -> None:
    if supplier.status != Supplier.Status.APPROVED:
        raise SupplierNotApproved(f"supplier {supplier} is not approved")


def get_supplier(name: str) -> Supplier:
    try:
        return Supplier.objects.get(name=name)
    except Supplier.DoesNotExist as exc:
        raise SupplierNotFound(f"no supplier named {name!r}", supplier=name) from exc
