"""Card stock verbs: import card batches, allocate codes to orders, invalidate them."""

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, connection, transaction

from kameng import db, vault
from kameng.catalog.errors import OutOfStock
from kameng.catalog.models import Sku
from kameng.errors import InvalidInput
from kameng.money import parse_money
from kameng.stock.errors import ImportConflict, NoNewCards
from kameng.stock.models import Card, CardBatch
from kameng.suppliers.models import Supplier
from kameng.suppliers.services import require_offer

MAX_CODE_LENGTH = 128
MAX_SECRET_LENGTH = 256
_SEPARATORS = ("----", "\t", ",", " ")


# --- card import ----------------------------------------------------------------------


@dataclass
class ImportReport:
    batch_id: int | None = None
    imported: int = 0
    duplicate_in_file: list[int] = field(default_factory=list)  # line numbers
    duplicate_existing: list[int] = field(default_factory=list)
    invalid: list[tuple[int, str]] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.duplicate_in_file) + len(self.duplicate_existing) + len(self.invalid)

    def as_dict(self) -> dict:
        return {
            "batch_id": self.batch_id,
            "imported": self.imported,
            "rejected": self.rejected,
            "duplicate_in_file": self.duplicate_in_file,
            "duplicate_existing": self.duplicate_existing,
            "invalid": [{"line": n, "reason": r} for n, r in self.invalid],
        }


@dataclass(frozen=True)
class _ParsedCard:
    line: int
    code: str
    secret: str


def parse_card_lines(text: str) -> tuple[list[_ParsedCard], list[tuple[int, str]]]:
    """Accept CSV (`code,secret`, optional header) or one card per line, with the code and
    secret separated by `----`, a tab, a comma or a space. A line with one field is a
    secret-only card (卡密). Blank lines and lines starting with # are skipped."""
    cards: list[_ParsedCard] = []
    invalid: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        if number == 1 and line.lower().replace(" ", "") in {"code,secret", "卡号,卡密"}:
            continue
        fields = _split(line)
        if len(fields) == 1:
            code, secret = "", fields[0]
        elif len(fields) == 2:
            code, secret = fields
        else:
            invalid.append((number, "expected 'code,secret' or one secret per line"))
            continue
        if not secret:
            invalid.append((number, "empty secret"))
        elif len(code) > MAX_CODE_LENGTH or len(secret) > MAX_SECRET_LENGTH:
            invalid.append((number, "code or secret too long"))
        elif any(ord(ch) < 32 for ch in code + secret):
            invalid.append((number, "control characters"))
        else:
            cards.append(_ParsedCard(number, code, secret))
    return cards, invalid


def _split(line: str) -> list[str]:
    for separator in _SEPARATORS:
        if separator in line:
            if separator == ",":
                return [f.strip() for f in next(csv.reader(io.StringIO(line)))]
            return [f.strip() for f in line.split(separator) if f.strip()]
    return [line]


def decode_card_file(raw: bytes, name: str = "the file") -> str:
    """A card file's text: UTF-8 (with or without BOM) or GB18030, which is what files
    saved from a Chinese Excel usually are."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(f"{name} is neither UTF-8 nor GB18030 text")


def import_cards(
    supplier: Supplier,
    sku: Sku,
    text: str,
    *,
    cost: Decimal | str | None = None,
    source_name: str = "",
) -> ImportReport:
    """Import a batch; duplicates (within the file or against any earlier batch) and bad
    lines are rejected and reported, the rest are stored encrypted in one transaction."""
    if sku.kind != Sku.Kind.CARD:
        raise InvalidInput(f"SKU {sku.pk} is a direct top-up; it takes no card codes")
    offer = require_offer(supplier, sku)
    batch_cost = parse_money(cost) if cost is not None else offer.cost

    parsed, invalid = parse_card_lines(text)
    report = ImportReport(invalid=invalid)
    seen_digests: set[str] = set()
    seen_codes: set[str] = set()
    fresh: list[tuple[_ParsedCard, str]] = []
    for card in parsed:
        secret_digest = vault.digest(card.secret)
        if secret_digest in seen_digests or (card.code and card.code in seen_codes):
            report.duplicate_in_file.append(card.line)
            continue
        seen_digests.add(secret_digest)
        if card.code:
            seen_codes.add(card.code)
        fresh.append((card, secret_digest))

    existing_digests, existing_codes = _existing(sku, fresh)
    to_store = []
    for card, secret_digest in fresh:
        if secret_digest in existing_digests or card.code in existing_codes:
            report.duplicate_existing.append(card.line)
        else:
            to_store.append((card, secret_digest))
    report.duplicate_existing.sort()
    if not to_store:
        raise NoNewCards(
            _nothing_to_import(report),
            duplicate_in_file=report.duplicate_in_file,
            duplicate_existing=report.duplicate_existing,
            invalid=[{"line": n, "reason": r} for n, r in report.invalid],
        )

    try:
        with transaction.atomic():
            batch = CardBatch.objects.create(
                supplier=supplier,
                sku=sku,
                cost=batch_cost,
                source_name=source_name[:255],
                imported=len(to_store),
                rejected=report.rejected,
            )
            Card.objects.bulk_create(
                [
                    Card(
                        sku=sku,
                        supplier=supplier,
                        batch=batch,
                        code=card.code,
                        secret_encrypted=vault.encrypt(card.secret),
                        secret_digest=secret_digest,
                        cost=batch_cost,
                    )
                    for card, secret_digest in to_store
                ],
                batch_size=500,
            )
    except IntegrityError as exc:
        raise ImportConflict(
            "another import stored some of these cards at the same moment; run it again "
            "and they will be reported as duplicates"
        ) from exc
    report.batch_id = batch.pk
    report.imported = len(to_store)
    if to_store and connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Fresh statistics, so allocation keeps using the index of available cards.
        db.execute("ANALYZE supply_card")
    return report


def _nothing_to_import(report: ImportReport) -> str:
    """One sentence naming the lines, as an operator fixing the file needs them."""
    if not report.rejected:
        return "the file has no cards: nothing imported, no batch created"
    parts = []
    if report.duplicate_in_file:
        parts.append(f"repeated in the file: {_lines(report.duplicate_in_file)}")
    if report.duplicate_existing:
        parts.append(f"already stored: {_lines(report.duplicate_existing)}")
    if report.invalid:
        reasons = "; ".join(sorted({reason for _, reason in report.invalid}))
        parts.append(f"invalid: {_lines([n for n, _ in report.invalid])} ({reasons})")
    return f"no new cards, no batch created ({'; '.join(parts)})"


def _lines(numbers: list[int], shown: int = 10) -> str:
    listed = ", ".join(str(n) for n in numbers[:shown])
    more = f" and {len(numbers) - shown} more" if len(numbers) > shown else ""
    return f"line{'s' if len(numbers) > 1 else ''} {listed}{more}"


def _existing(sku: Sku, fresh: list[tuple[_ParsedCard, str]]) -> tuple[set[str], set[str]]:
    digests: set[str] = set()
    codes: set[str] = set()
    chunk = 500
    for start in range(0, len(fresh), chunk):
        part = fresh[start : start + chunk]
        digests |= set(
            Card.objects.filter(secret_digest__in=[d for _, d in part]).values_list(
                "secret_digest", flat=True
            )
        )
        wanted = [c.code for c, _ in part if c.code]
        if wanted:
            codes |= set(
                Card.objects.filter(sku=sku, code__in=wanted).values_list("code", flat=True)
            )
    return digests, codes


# --- stock ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AllocatedCard:
    card_id: int
    supplier_id: int
    cost: Decimal
    secret_token: str  # encrypted: the order path checks it decrypts before committing


# The statuses and the count are part of the statement, not parameters: PostgreSQL can
# then match the partial index on available cards in the prepared statement's generic
# plan and knows how few rows it takes, so it stops planning the statement anew for every
# order (0.1 ms of its CPU each). One prepared statement per quantity asked for.
_ALLOCATE_SQL = (
    "UPDATE supply_card SET status = '{status}', order_id = %s, sold_at = %s"
    " WHERE id IN ("
    "   SELECT c.id FROM supply_card c"
    "   JOIN supply_supplier s ON s.id = c.supplier_id"
    f"  WHERE c.sku_id = %s AND c.status = '{Card.Status.AVAILABLE}'"
    f"  AND s.status = '{Supplier.Status.APPROVED}'"
    "   ORDER BY c.id LIMIT {quantity:d}{skip_locked}"
    " ) RETURNING id, supplier_id, cost, secret_encrypted"
)


def allocate_cards(
    sku_id: int, quantity: int, order_id: int, now: datetime, *, hold: bool = False
) -> list[AllocatedCard]:
    """Take `quantity` unsold codes for the order, inside the caller's transaction: sold,
    or with `hold`, reserved for an order awaiting payment (`sell_reserved` later, or
    `release_reserved`).

    One statement: mark the first N available codes of an approved supplier and return
    them. PostgreSQL: the inner SELECT takes them FOR UPDATE SKIP LOCKED, so concurrent
    buyers take different rows without waiting on each other and never the same row.
    SQLite: the transaction already holds the only write lock. Fewer than `quantity` →
    OutOfStock, and the caller's transaction rolls back so nothing is taken.
    """
    status = Card.Status.RESERVED if hold else Card.Status.SOLD
    rows = db.fetch_all(
        _ALLOCATE_SQL.format(status=status, quantity=quantity, skip_locked=db.skip_locked("c")),
        [order_id, None if hold else db.db_datetime(now), sku_id],
    )
    if len(rows) < quantity:
        raise OutOfStock(
            f"only {len(rows)} in stock for SKU {sku_id}, {quantity} wanted", sku_id=sku_id
        )
    return _allocated(rows)


def sell_reserved(order_id: int, now: datetime) -> list[AllocatedCard]:
    """The codes held for the order, now sold (its payment arrived); none when they were
    released meanwhile (the payment window passed)."""
    rows = db.fetch_all(
        f"UPDATE supply_card SET status = '{Card.Status.SOLD}', sold_at = %s"
        f" WHERE order_id = %s AND status = '{Card.Status.RESERVED}'"
        " RETURNING id, supplier_id, cost, secret_encrypted",
        [db.db_datetime(now), order_id],
    )
    return _allocated(rows)


def release_reserved(order_id: int) -> int:
    """The order's payment window passed: its held codes go back on sale."""
    return Card.objects.filter(order_id=order_id, status=Card.Status.RESERVED).update(
        status=Card.Status.AVAILABLE, order=None
    )


def _allocated(rows: list[tuple]) -> list[AllocatedCard]:
    return [
        AllocatedCard(pk, supplier_id, db.db_money(cost), token)
        for pk, supplier_id, cost, token in rows
    ]


def available_stock(sku_id: int) -> int:
    return Card.objects.filter(
        sku_id=sku_id, status=Card.Status.AVAILABLE, supplier__status=Supplier.Status.APPROVED
    ).count()


def invalidate_order_cards(order_id: int) -> int:
    """Codes of an upheld complaint are dead: never sold again."""
    return Card.objects.filter(order_id=order_id).update(status=Card.Status.INVALID)


def record_bought_cards(
    *,
    order_id: int,
    sku_id: int,
    supplier_id: int,
    unit_cost: Decimal,
    cards: list[tuple[str, str]],
    source: str,
    now: datetime,
) -> None:
    """Codes an upstream site delivered for one order (docking): stored encrypted as the
    order's sold cards, in a batch of their own, inside the caller's transaction. A code
    this site already holds (IntegrityError) is not sold twice: the caller's
    transaction rolls back."""
    batch = CardBatch.objects.create(
        supplier_id=supplier_id,
        sku_id=sku_id,
        cost=unit_cost,
        source_name=source[:255],
        imported=len(cards),
    )
    Card.objects.bulk_create(
        Card(
            sku_id=sku_id,
            supplier_id=supplier_id,
            batch=batch,
            code=code[:MAX_CODE_LENGTH],
            secret_encrypted=vault.encrypt(secret),
            secret_digest=vault.digest(secret),
            cost=unit_cost,
            status=Card.Status.SOLD,
            order_id=order_id,
            sold_at=now,
        )
        for code, secret in cards
    )
