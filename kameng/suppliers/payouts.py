"""Paying suppliers out (供应商结算): the write side of what the platform owes them.

A supplier's payable account (ledger) grows by its cost when an order's escrow is
settled and shrinks by each payout recorded here (journal kind SUPPLIER_PAYOUT,
idempotent on the bank transfer's reference). What it sold and was paid, period by
period, is kameng.reporting.statements.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from kameng.ledger import services as ledger
from kameng.ledger.errors import AlreadyPosted, InsufficientBalance
from kameng.ledger.models import Entry, Journal
from kameng.money import parse_money
from kameng.suppliers.errors import InsufficientPayable, PayoutReferenceReused
from kameng.suppliers.models import Supplier
from kameng.text import require_printable


@dataclass(frozen=True)
class Payout:
    supplier: str
    amount: Decimal
    reference: str
    journal_id: int
    at: datetime
    created: bool  # False: this reference was paid before; nothing moved now
    owed_after: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {
            "supplier": self.supplier,
            "amount": str(self.amount),
            "reference": self.reference,
            "journal_id": self.journal_id,
            "at": self.at.isoformat(),
            "created": self.created,
            "owed_after": str(self.owed_after),
        }


def pay_out(
    supplier: Supplier,
    amount: Decimal | str | int,
    *,
    reference: str,
    operator: AbstractBaseUser | None = None,
) -> Payout:
    """Record money paid to the supplier (bank transfer `reference`): its payable
    account −amount, external:payouts +amount.

    Idempotent on the reference: the same reference and amount again returns the first
    payout; the same reference with another amount is refused. More than the supplier
    is owed is refused with `insufficient_payable` and nothing changes."""
    amount = _check_amount(amount)
    reference = require_printable((reference or "").strip(), "payout reference")
    key = f"payout:{supplier.pk}:{reference}"
    existing = _existing_payout(supplier, key, amount)
    if existing is not None:
        return existing
    owed = ledger.balance(supplier.payable_id)
    if amount > owed:
        raise _insufficient(supplier, amount, owed)
    payouts_account = ledger.system_account_id(ledger.PAYOUTS)
    memo = f"结算 {supplier.name}"
    if operator is not None and operator.is_authenticated:
        memo += f" by {operator.get_username()}"
    try:
        with transaction.atomic():
            journal_id = ledger.post(
                key=key,
                kind=Journal.Kind.SUPPLIER_PAYOUT,
                reference=reference,
                memo=memo[:255],
                lines=[(supplier.payable_id, -amount), (payouts_account, amount)],
            )
    except AlreadyPosted:
        # The same payout recorded by a concurrent call: answer as for a retry.
        existing = _existing_payout(supplier, key, amount)
        if existing is None:
            raise
        return existing
    except InsufficientBalance as exc:  # another payout got there first
        raise _insufficient(supplier, amount, ledger.balance(supplier.payable_id)) from exc
    journal = Journal.objects.get(pk=journal_id)
    return Payout(
        supplier.name,
        amount,
        reference,
        journal_id,
        journal.created_at,
        True,
        ledger.balance(supplier.payable_id),
    )


def _check_amount(amount: Decimal | str | int) -> Decimal:
    return parse_money(amount)


def _insufficient(supplier: Supplier, amount: Decimal, owed: Decimal) -> InsufficientPayable:
    return InsufficientPayable(
        f"supplier {supplier.name} is owed {owed}; cannot pay out {amount}",
        owed=str(owed),
        amount=str(amount),
    )


def _existing_payout(supplier: Supplier, key: str, amount: Decimal) -> Payout | None:
    journal = Journal.objects.filter(key=key).first()
    if journal is None:
        return None
    paid = -Entry.objects.get(journal=journal, account_id=supplier.payable_id).amount
    if paid != amount:
        raise PayoutReferenceReused(
            f"payout {journal.reference!r} to {supplier.name} was {paid}, not {amount}",
            reference=journal.reference,
        )
    return Payout(
        supplier.name,
        paid,
        journal.reference,
        journal.pk,
        journal.created_at,
        False,
        ledger.balance(supplier.payable_id),
    )
