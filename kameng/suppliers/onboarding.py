"""Supplier onboarding (资质审核): a company applies with its licence and documents, an
operator approves or rejects it; approved suppliers can later be suspended and
reinstated. Every decision writes a SupplierReview in the same transaction, so the
history of who decided what, when and why is complete.

The legal moves are in `kameng.suppliers.reviews`; this module performs them.
"""

import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from kameng.catalog.models import Product
from kameng.errors import InvalidInput
from kameng.suppliers.errors import (
    AlreadySupplier,
    ApplicationExists,
    ApplicationNotFound,
    ApplicationPending,
    IllegalDecision,
    SupplierAccountNotFound,
    SupplierNameTaken,
)
from kameng.suppliers.models import (
    ApplicationDocument,
    Supplier,
    SupplierAccount,
    SupplierApplication,
    SupplierReview,
)
from kameng.suppliers.reviews import (
    APPLICATION_DECISIONS,
    SUPPLIER_DECISIONS,
    AppStatus,
    Decision,
    SupplierStatus,
    can_move_application,
    require_reason,
)
from kameng.suppliers.services import create_supplier
from kameng.text import is_printable, require_printable

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_DOCUMENTS = 10

Operator = AbstractBaseUser | None


# --- checking what an applicant sends -------------------------------------------------

# 统一社会信用代码 (GB 32100-2015): 18 characters from this alphabet (no I, O, S, V, Z);
# the last one is a check character over the first 17.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_OLD_LICENCE = re.compile(r"\d{15}")  # 营业执照注册号 from before 2015
_PHONE = re.compile(r"\+?\d[\d\- ]{5,30}")


def uscc_check_character(first17: str) -> str:
    """The 18th character of a 统一社会信用代码 whose first 17 are given."""
    total = sum(_USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def normalise_licence(value: str) -> str:
    """The licence number in its stored form, or InvalidInput saying what is wrong.

    Accepts an 18-character 统一社会信用代码 (checked against its check character, so a
    mistyped character is caught) or a 15-digit old 营业执照注册号."""
    number = re.sub(r"\s+", "", value or "").upper()
    if _OLD_LICENCE.fullmatch(number):
        return number
    if len(number) != 18:
        raise InvalidInput(
            "licence number must be an 18-character unified social credit code or a "
            f"15-digit business licence registration number; got {len(number)} characters"
        )
    bad = sorted({ch for ch in number if ch not in _USCC_ALPHABET})
    if bad:
        raise InvalidInput(
            "a unified social credit code uses only digits and the capitals "
            f"{_USCC_ALPHABET[10:]}; found {''.join(bad)!r}"
        )
    if uscc_check_character(number[:17]) != number[17]:
        raise InvalidInput(
            "licence number fails its check character (GB 32100): re-check the 18 characters"
        )
    return number


@dataclass(frozen=True)
class _CheckedDocument:
    original_name: str
    content_type: str
    extension: str
    data: bytes
    sha256: str


# (magic bytes at offset 0, content type, canonical extension)
_SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)
_EXTENSIONS = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}


def check_document(upload: File) -> _CheckedDocument:
    """Read one upload and prove it is the PDF, JPEG or PNG its name says, ≤ 10 MB.

    The type comes from the file's first bytes; the extension must agree, so a renamed
    executable or a PNG called .pdf is refused."""
    name = PurePath(str(upload.name or "").replace("\\", "/")).name.strip()
    if not is_printable(name, limit=255):
        raise InvalidInput("every document needs a file name of 1–255 printable characters")
    extension = PurePath(name).suffix.lower()
    if extension not in _EXTENSIONS:
        raise InvalidInput(f"{name}: only PDF, JPEG or PNG documents are accepted")
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_DOCUMENT_BYTES:
        raise InvalidInput(f"{name}: larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB")
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InvalidInput(f"{name}: larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB")
    if not data:
        raise InvalidInput(f"{name}: the file is empty")
    detected = next(((ct, ext) for magic, ct, ext in _SIGNATURES if data.startswith(magic)), None)
    if detected is None:
        raise InvalidInput(f"{name}: the content is not a PDF, JPEG or PNG file")
    content_type, canonical = detected
    if _EXTENSIONS[extension] != content_type:
        raise InvalidInput(f"{name}: the name says {extension} but the content is {content_type}")
    return _CheckedDocument(name, content_type, canonical, data, hashlib.sha256(data).hexdigest())


def _check_text(label: str, value: str, limit: int) -> str:
    return require_printable((value or "").strip(), label, limit=limit)


def _products(product_ids: Iterable[int]) -> list[Product]:
    wanted = []
    for pid in product_ids:
        if not isinstance(pid, int) or isinstance(pid, bool):
            raise InvalidInput(f"product id must be a whole number, got {pid!r}")
        if pid not in wanted:
            wanted.append(pid)
    found = {p.pk: p for p in Product.objects.filter(pk__in=wanted)}
    missing = [pid for pid in wanted if pid not in found]
    if missing:
        raise InvalidInput(f"no product with id {', '.join(map(str, missing))}")
    return [found[pid] for pid in wanted]


# --- the verbs ------------------------------------------------------------------------


def submit_application(
    *,
    company_name: str,
    licence_number: str,
    contact_name: str,
    contact_phone: str,
    contact_email: str,
    documents: Sequence[File],
    product_ids: Iterable[int] = (),
    goods_note: str = "",
    applicant: AbstractBaseUser | None = None,
) -> SupplierApplication:
    """Check everything, then store the application and its documents together.

    Bad input raises InvalidInput before anything is written; a failure while storing
    removes the files already written, so a refused application leaves no trace.

    `applicant`: the supplier person submitting it from the console (a SupplierAccount's
    user, else SupplierAccountNotFound); it becomes the account's application. A person
    whose account already belongs to a supplier (AlreadySupplier) or who has one waiting
    (ApplicationPending) cannot apply."""
    if applicant is not None:
        _check_applicant(applicant)
    company_name = _check_text("company name", company_name, 128)
    licence = normalise_licence(licence_number)
    contact_name = _check_text("contact name", contact_name, 64)
    contact_phone = (contact_phone or "").strip()
    if not _PHONE.fullmatch(contact_phone):
        raise InvalidInput("contact phone must be digits (a leading + and - or spaces allowed)")
    contact_email = (contact_email or "").strip()
    try:
        if len(contact_email) > 254:
            raise ValidationError("too long")
        validate_email(contact_email)
    except ValidationError as exc:
        raise InvalidInput(f"not an email address: {contact_email!r}") from exc
    products = _products(product_ids)
    goods_note = (goods_note or "").strip()
    if len(goods_note) > 2000:
        raise InvalidInput("goods note must be at most 2000 characters")
    if not products and not goods_note:
        raise InvalidInput("name the goods the supplier is licensed for (products or a note)")
    if not documents:
        raise InvalidInput("attach at least one qualification document (PDF, JPEG or PNG)")
    if len(documents) > MAX_DOCUMENTS:
        raise InvalidInput(f"at most {MAX_DOCUMENTS} documents per application")
    checked = [check_document(upload) for upload in documents]
    hashes = [doc.sha256 for doc in checked]
    if len(set(hashes)) != len(hashes):
        raise InvalidInput("the same document is attached twice")
    if _live_application(licence).exists():
        raise ApplicationExists(
            f"licence {licence} already has an application under review or approved"
        )

    stored: list[ApplicationDocument] = []
    try:
        with transaction.atomic():
            if applicant is not None:
                account = _check_applicant(applicant, lock=True)
            application = SupplierApplication.objects.create(
                company_name=company_name,
                licence_number=licence,
                contact_name=contact_name,
                contact_phone=contact_phone,
                contact_email=contact_email,
                goods_note=goods_note,
                applicant=applicant,
            )
            if applicant is not None:
                SupplierAccount.objects.filter(pk=account.pk).update(application=application)
            application.goods.set(products)
            for doc in checked:
                row = ApplicationDocument(
                    application=application,
                    original_name=doc.original_name,
                    content_type=doc.content_type,
                    size=len(doc.data),
                    sha256=doc.sha256,
                )
                # A random stored name: nothing of the applicant's file name reaches disk.
                name = f"{secrets.token_hex(16)}{doc.extension}"
                row.file.save(name, ContentFile(doc.data), save=False)
                stored.append(row)
                row.save()
    except BaseException as exc:
        for row in stored:
            row.file.storage.delete(row.file.name)
        if isinstance(exc, IntegrityError) and _live_application(licence).exists():
            raise ApplicationExists(
                f"licence {licence} already has an application under review or approved"
            ) from exc
        raise
    return application


def approve_application(
    application: SupplierApplication, *, operator: Operator = None, reason: str = ""
) -> Supplier:
    """Approve: create the supplier (approved, named after the company), link it, record
    the decision. Two operators approving at once make one supplier: the application row
    is locked and its status compare-and-set; the loser gets IllegalDecision."""
    reason = require_reason(Decision.APPROVED, reason)
    now = timezone.now()
    with transaction.atomic():
        current = _lock(application)
        _check_move(current, AppStatus.APPROVED)
        name = current.company_name
        if Supplier.objects.filter(name=name).exists():
            raise _name_taken(name)
        try:
            with transaction.atomic():
                supplier = create_supplier(name, status=SupplierStatus.APPROVED)
        except IntegrityError as exc:
            raise _name_taken(name) from exc
        _compare_and_set(current, AppStatus.APPROVED, now, supplier=supplier)
        _record(Decision.APPROVED, reason, operator, now, application=current, supplier=supplier)
        if current.applicant_id is not None:  # the person who applied now works for it
            SupplierAccount.objects.filter(
                user_id=current.applicant_id, supplier__isnull=True
            ).update(supplier=supplier, application=current)
    application.status, application.decided_at = AppStatus.APPROVED, now
    application.supplier = supplier
    return supplier


def reject_application(
    application: SupplierApplication, *, reason: str, operator: Operator = None
) -> SupplierApplication:
    """Reject with a reason. Final: the company fixes what was wrong and applies again."""
    reason = require_reason(Decision.REJECTED, reason)
    now = timezone.now()
    with transaction.atomic():
        current = _lock(application)
        _check_move(current, AppStatus.REJECTED)
        _compare_and_set(current, AppStatus.REJECTED, now)
        _record(Decision.REJECTED, reason, operator, now, application=current)
    application.status, application.decided_at = AppStatus.REJECTED, now
    return application


def approve_supplier(
    supplier: Supplier, *, operator: Operator = None, reason: str = ""
) -> Supplier:
    """A pending supplier registered by hand (`kameng create-supplier`) is approved."""
    return _decide(supplier, SupplierStatus.PENDING, SupplierStatus.APPROVED, reason, operator)


def reject_supplier(supplier: Supplier, *, reason: str, operator: Operator = None) -> Supplier:
    return _decide(supplier, SupplierStatus.PENDING, SupplierStatus.REJECTED, reason, operator)


def suspend_supplier(supplier: Supplier, *, reason: str, operator: Operator = None) -> Supplier:
    """Stop an approved supplier's goods selling at once (its stock stays, unsold)."""
    return _decide(supplier, SupplierStatus.APPROVED, SupplierStatus.SUSPENDED, reason, operator)


def reinstate_supplier(
    supplier: Supplier, *, operator: Operator = None, reason: str = ""
) -> Supplier:
    """A suspended supplier sells again."""
    return _decide(supplier, SupplierStatus.SUSPENDED, SupplierStatus.APPROVED, reason, operator)


# --- reading --------------------------------------------------------------------------


def get_application(pk: int) -> SupplierApplication:
    try:
        return SupplierApplication.objects.get(pk=pk)
    except (SupplierApplication.DoesNotExist, ValueError, TypeError) as exc:
        raise ApplicationNotFound(f"no supplier application #{pk}", application=str(pk)) from exc


def pending_applications() -> QuerySet[SupplierApplication]:
    """Applications waiting for a decision, oldest first."""
    return (
        SupplierApplication.objects.filter(status=AppStatus.SUBMITTED)
        .order_by("submitted_at", "pk")
        .prefetch_related("goods", "documents")
    )


def describe_application(application: SupplierApplication) -> dict[str, Any]:
    """The application as plain data (for the CLI and the API)."""
    return {
        "id": application.pk,
        "company_name": application.company_name,
        "licence_number": application.licence_number,
        "contact_name": application.contact_name,
        "contact_phone": application.contact_phone,
        "contact_email": application.contact_email,
        # Sorted here, not in SQL, so a prefetch (pending_applications) is used.
        "goods": [{"id": p.pk, "name": p.name} for p in sorted(application.goods.all(), key=_pk)],
        "goods_note": application.goods_note,
        "documents": [
            {
                "id": d.pk,
                "name": d.original_name,
                "content_type": d.content_type,
                "size": d.size,
                "sha256": d.sha256,
            }
            for d in sorted(application.documents.all(), key=_pk)
        ],
        "status": application.status,
        "supplier": application.supplier.name if application.supplier_id else None,
        "submitted_at": application.submitted_at.isoformat(),
        "decided_at": application.decided_at.isoformat() if application.decided_at else None,
    }


# --- helpers --------------------------------------------------------------------------


def _pk(row: Any) -> int:
    return row.pk


def _live_application(licence: str) -> QuerySet[SupplierApplication]:
    return SupplierApplication.objects.filter(
        licence_number=licence, status__in=[AppStatus.SUBMITTED, AppStatus.APPROVED]
    )


def _check_applicant(applicant: AbstractBaseUser, *, lock: bool = False) -> SupplierAccount:
    """The applicant's supplier account, if it may apply now (`lock`: its row locked
    until commit, so one person's two submissions at once make one application)."""
    accounts = SupplierAccount.objects.select_for_update() if lock else SupplierAccount.objects
    account = accounts.filter(user_id=applicant.pk).first() if applicant.pk else None
    if account is None:
        raise SupplierAccountNotFound(
            f"user {applicant.get_username()!r} is not a supplier person (no supplier account)"
        )
    if account.supplier_id is not None:
        raise AlreadySupplier(
            f"user {applicant.get_username()!r} already works for supplier #{account.supplier_id}"
        )
    waiting = SupplierApplication.objects.filter(
        applicant_id=applicant.pk, status=AppStatus.SUBMITTED
    ).first()
    if waiting is not None:
        raise ApplicationPending(
            f"application #{waiting.pk} is still waiting for a decision",
            application=waiting.pk,
        )
    return account


def _name_taken(name: str) -> SupplierNameTaken:
    return SupplierNameTaken(
        f"a supplier named {name!r} already exists; rename or retire it before approving",
        supplier=name,
    )


def _lock(application: SupplierApplication) -> SupplierApplication:
    """The application's current row, locked until commit (PostgreSQL; SQLite already
    serialises writers)."""
    return SupplierApplication.objects.select_for_update().get(pk=application.pk)


def _check_move(current: SupplierApplication, target: str) -> None:
    if not can_move_application(current.status, target):
        raise IllegalDecision(
            f"application #{current.pk} is {current.status}; it cannot be {target}",
            status=current.status,
        )


def _compare_and_set(
    current: SupplierApplication, target: str, now: datetime, **fields: object
) -> None:
    updated = SupplierApplication.objects.filter(pk=current.pk, status=current.status).update(
        status=target, decided_at=now, **fields
    )
    if updated != 1:
        raise IllegalDecision(f"application #{current.pk} was decided meanwhile")


def _decide(
    supplier: Supplier, source: str, target: str, reason: str, operator: Operator
) -> Supplier:
    decision = SUPPLIER_DECISIONS[(source, target)]
    reason = require_reason(decision, reason)
    now = timezone.now()
    with transaction.atomic():
        current = Supplier.objects.select_for_update().only("pk", "status").get(pk=supplier.pk)
        if current.status != source:
            raise IllegalDecision(
                f"supplier {supplier.name} is {current.status}; "
                f"only a {source} supplier can be {Decision(decision).label}",
                status=current.status,
            )
        if Supplier.objects.filter(pk=supplier.pk, status=source).update(status=target) != 1:
            raise IllegalDecision(f"supplier {supplier.name} changed status meanwhile")
        application = SupplierApplication.objects.filter(supplier_id=supplier.pk).first()
        _record(decision, reason, operator, now, application=application, supplier=supplier)
    supplier.status = target
    return supplier


def _record(
    decision: str,
    reason: str,
    operator: Operator,
    now: datetime,
    *,
    application: SupplierApplication | None = None,
    supplier: Supplier | None = None,
) -> SupplierReview:
    assert decision in APPLICATION_DECISIONS.values() or decision in SUPPLIER_DECISIONS.values()
    return SupplierReview.objects.create(
        application=application,
        supplier=supplier,
        decision=decision,
        reason=reason,
        decided_by=operator if operator is not None and operator.is_authenticated else None,
        at=now,
    )
