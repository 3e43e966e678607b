"""Docking verbs: connect an upstream Kameng site, mirror its catalogue here (sync), and
check the orders forwarded to it against its own records (reconcile).

Orders themselves need nothing of this module: a mirrored SKU has an offer of the
connection's supplier (adapter kameng-v1), so routing, forwarding after commit,
failover, callbacks and queries are kameng.topup's, as for any API supplier.

Prices: what our top-level distributors pay for a mirrored SKU is the upstream's price
to us with the connection's markup, rounded up (`top_price`); the SKU's list price is
set so that the top level's discount gives exactly that (`list_price`), so every level
pays at least the upstream's price. A price can never be 0 (an upstream price of 0 is
not mirrored), and a SKU whose cost passes what the top level pays stops selling at once
(routing takes no offer dearer than that).
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from kameng.catalog.models import Category, Product, Sku
from kameng.docking.errors import BadPriceRule, ConnectionNotFound, UpstreamUnreachable
from kameng.docking.models import Connection, Discrepancy, DockedSku
from kameng.docking.queries import top_level_discount, with_top_prices
from kameng.errors import InvalidInput
from kameng.money import CENT, InvalidAmount, parse_money, to_money
from kameng.suppliers import services as suppliers
from kameng.suppliers.models import Offer, Supplier
from kameng.topup.models import Attempt
from kameng.topup.states import FINAL, AttemptStatus
from kameng.upstream.adapters import (
    Outcome,
    SupplierCredentials,
    SupplierUnreachable,
    adapter_for,
)
from kameng.upstream.adapters.kameng_v1 import KamengV1Adapter, read_product
from kameng.upstream.services import configure_api

log = logging.getLogger(__name__)

ADAPTER = KamengV1Adapter.name
# Each incremental listing asks from this long before the last one's as_of: a change
# committed while the last listing was read is not missed.
OVERLAP = timedelta(minutes=2)
FULL_SYNC_EVERY = timedelta(hours=24)
_STEPS = {
    Connection.Rounding.NONE: Decimal("0.01"),
    Connection.Rounding.TENTH: Decimal("0.1"),
    Connection.Rounding.YUAN: Decimal("1"),
}


# --- connecting -----------------------------------------------------------------------


def connect(
    name: str,
    *,
    url: str,
    app_key: str,
    secret: str,
    markup_percent: Decimal | str = 0,
    markup_fixed: Decimal | str = 0,
    rounding: str = Connection.Rounding.NONE,
    auto_price: bool = True,
    excluded: list[int] | None = None,
) -> Connection:
    """Connect an upstream site with one of its agent keys: the key is tried first (its
    product list), and only a key that works makes the supplier (approved: the operator
    connecting it is the approval) and the connection. Sync next."""
    rule = _price_rule(markup_percent, markup_fixed, rounding)
    if not url.startswith(("http://", "https://")):
        raise InvalidInput("the upstream's URL must start with http:// or https://")
    if not app_key or not secret:
        raise InvalidInput("an upstream key needs its app_key and its secret")
    if not (app_key + secret).isascii() or not (app_key + secret).isprintable():
        raise InvalidInput("an upstream key and secret are printable ASCII (as Kameng issues them)")
    if Supplier.objects.filter(name=name).exists():
        raise InvalidInput(f"a supplier named {name!r} exists already: choose another name")
    # The key is tried with the adapter itself before anything is saved.
    probe = KamengV1Adapter(SupplierCredentials(url.rstrip("/"), app_key, secret))
    _listing(probe, None)  # UpstreamUnreachable
    with transaction.atomic():
        supplier = suppliers.create_supplier(
            name, mode=Supplier.Mode.API, status=Supplier.Status.APPROVED
        )
        configure_api(supplier, adapter=ADAPTER, base_url=url, merchant_id=app_key, secret=secret)
        return Connection.objects.create(
            supplier=supplier,
            markup_percent=rule[0],
            markup_fixed=rule[1],
            rounding=rule[2],
            auto_price=auto_price,
            excluded=sorted(set(excluded or [])),
        )


def configure(
    connection: Connection,
    *,
    markup_percent: Decimal | str | None = None,
    markup_fixed: Decimal | str | None = None,
    rounding: str | None = None,
    auto_price: bool | None = None,
    excluded: list[int] | None = None,
) -> Connection:
    """Change a connection's price rule or exclusions; the next sync applies them."""
    rule = _price_rule(
        connection.markup_percent if markup_percent is None else markup_percent,
        connection.markup_fixed if markup_fixed is None else markup_fixed,
        connection.rounding if rounding is None else rounding,
    )
    connection.markup_percent, connection.markup_fixed, connection.rounding = rule
    if auto_price is not None:
        connection.auto_price = auto_price
    if excluded is not None:
        connection.excluded = sorted(set(excluded))
    connection.save()
    return connection


def get_connection(name: str) -> Connection:
    found = Connection.objects.select_related("supplier").filter(supplier__name=name).first()
    if found is None:
        raise ConnectionNotFound(f"no docked site named {name!r}", connection=name)
    return found


def _price_rule(percent: Decimal | str, fixed: Decimal | str, rounding: str) -> tuple:
    try:
        percent = Decimal(str(percent))
    except InvalidOperation:
        raise BadPriceRule(f"markup percent {percent!r} is not a number") from None
    try:
        fixed = parse_money(fixed, allow_zero=True)
    except InvalidAmount:
        raise BadPriceRule(f"fixed markup {fixed!r} is not an amount of 0 or more") from None
    if not percent.is_finite() or percent < 0 or percent > 1000 or fixed < 0:
        raise BadPriceRule("a markup is between 0 and 1000 % and a fixed amount of 0 or more")
    if rounding not in _STEPS:
        raise BadPriceRule(f"rounding is one of {', '.join(_STEPS)}")
    return percent.quantize(Decimal("0.01")), fixed, rounding


# --- prices -------------------------------------------------------------------------------


def top_price(cost: Decimal, connection: Connection) -> Decimal:
    """What our top-level distributors pay: cost with the markup, rounded up."""
    raw = cost * (1 + connection.markup_percent / 100) + connection.markup_fixed
    step = _STEPS[connection.rounding]
    return to_money((raw / step).to_integral_value(rounding=ROUND_CEILING) * step)


def list_price(cost: Decimal, connection: Connection, top_discount: Decimal) -> Decimal:
    """The lowest list price whose top-level price (list × discount, to the cent, as
    agents.pricing computes it) is at least `top_price`."""
    wanted = top_price(cost, connection)
    listed = (wanted / top_discount).quantize(CENT, rounding=ROUND_CEILING)
    while listed > CENT and to_money((listed - CENT) * top_discount) >= wanted:
        listed -= CENT
    return listed


# --- sync ---------------------------------------------------------------------------------


@dataclass
class SyncReport:
    connection: str
    complete: bool
    as_of: str
    added: list[int] = field(default_factory=list)  # our SKU ids
    updated: list[int] = field(default_factory=list)
    relisted: list[int] = field(default_factory=list)
    delisted: list[int] = field(default_factory=list)
    below_cost: list[int] = field(default_factory=list)  # not selling: cost > our price
    skipped: list[dict] = field(default_factory=list)  # upstream products not mirrored
    seen: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def sync(connection: Connection, *, full: bool = False, now: datetime | None = None) -> SyncReport:
    """Mirror the upstream's products this key may buy: new ones become SKUs here (with
    an offer of the connection's supplier), changed ones are updated (name, face value,
    price, stock state), and — only after a complete listing — those gone upstream are
    delisted here. Incremental from the last listing's as_of unless `full`, or when a
    full pass is due (daily). UpstreamUnreachable: nothing changed, the error kept on
    the connection."""
    now = now or timezone.now()
    full = full or connection.full_synced_at is None or not connection.watermark
    full = full or connection.full_synced_at < now - FULL_SYNC_EVERY
    since = None if full else _minus_overlap(connection.watermark)
    adapter = _adapter(connection)
    try:
        products, as_of, complete = _listing(adapter, since)
        balance = adapter.balance()
    except UpstreamUnreachable as exc:
        Connection.objects.filter(pk=connection.pk).update(last_error=exc.message[:255])
        raise
    except SupplierUnreachable:
        balance = connection.balance  # the listing came: the balance can wait
    report = SyncReport(connection.supplier.name, complete, as_of)
    discount = top_level_discount()
    excluded = set(connection.excluded)
    with transaction.atomic():
        mirrored = {d.remote_sku_id: d for d in connection.skus.select_related("sku")}
        offers = {o.sku_id: o for o in Offer.objects.filter(supplier_id=connection.supplier_id)}
        listed: set[int] = set()
        for raw in products:
            product = read_product(raw)
            if product is None:
                remote_id = raw.get("sku_id")
                report.skipped.append({"sku_id": remote_id, "reason": "malformed"})
                if isinstance(remote_id, int):  # listed, but unreadable: stopped, not delisted
                    listed.add(remote_id)
                    _stop(mirrored.get(remote_id), offers, now)
                continue
            remote_id = product["sku_id"]
            listed.add(remote_id)
            if remote_id in excluded:
                continue
            if product["price"] <= 0:  # never a price of 0: not sold here
                report.skipped.append({"sku_id": remote_id, "reason": "price_zero"})
                _stop(mirrored.get(remote_id), offers, now)
                continue
            report.seen += 1
            docked = mirrored.get(remote_id)
            if docked is None:
                docked = _add(connection, product, discount, now)
                report.added.append(docked.sku_id)
                continue
            if docked.sku.kind != product["kind"]:
                report.skipped.append({"sku_id": remote_id, "reason": "kind_changed"})
                _stop(docked, offers, now)
                continue
            changed, relisted = _update(
                connection, docked, offers.get(docked.sku_id), product, discount
            )
            _record(docked, product, now)
            if relisted:
                report.relisted.append(docked.sku_id)
            elif changed:
                report.updated.append(docked.sku_id)
        for remote_id, docked in mirrored.items():
            gone = complete and remote_id not in listed
            if (gone or remote_id in excluded) and docked.delisted_at is None:
                _delist(docked, now)
                report.delisted.append(docked.sku_id)
        fields = {"watermark": as_of, "synced_at": now, "last_error": "", "balance": balance}
        if complete:
            fields["full_synced_at"] = now
        Connection.objects.filter(pk=connection.pk).update(**fields)
        for name, value in fields.items():
            setattr(connection, name, value)
    report.below_cost = _below_cost(connection)
    return report


def sync_all(now: datetime | None = None) -> list[dict]:
    """Every connection (beat): a connection that fails does not stop the others."""
    results = []
    for connection in Connection.objects.select_related("supplier").order_by("pk"):
        try:
            results.append(sync(connection, now=now).as_dict())
        except UpstreamUnreachable as exc:
            log.warning("docking %s: sync failed: %s", connection, exc.message)
            results.append({"connection": connection.supplier.name, "error": exc.message})
    return results


def _listing(adapter: KamengV1Adapter, since: str | None) -> tuple[list[dict], str, bool]:
    try:
        return adapter.list_products(since)
    except SupplierUnreachable as exc:
        raise UpstreamUnreachable(f"upstream did not answer its product list: {exc}") from exc


def _adapter(connection: Connection) -> KamengV1Adapter:
    adapter = adapter_for(connection.supplier)
    assert isinstance(adapter, KamengV1Adapter), connection.supplier.adapter
    return adapter


def _minus_overlap(watermark: str) -> str | None:
    at = parse_datetime(watermark)
    return None if at is None else (at - OVERLAP).isoformat()


def _add(connection: Connection, product: dict, discount: Decimal, now: datetime) -> DockedSku:
    category, _ = Category.objects.get_or_create(name=product["category"][:64])
    sibling = connection.skus.filter(product=product["product"]).select_related("sku").first()
    local_product = (
        sibling.sku.product
        if sibling is not None
        else Product.objects.create(category=category, name=product["product"][:128])
    )
    sku = Sku.objects.create(
        product=local_product,
        name=product["name"][:128],
        face_value=product["face_value"],
        kind=product["kind"],
        forwarded=product["kind"] == Sku.Kind.CARD,
        list_price=list_price(product["price"], connection, discount),
        authorised=True,  # the operator connected the site: its goods are on sale there
    )
    Offer.objects.create(
        supplier_id=connection.supplier_id,
        sku=sku,
        cost=product["price"],
        remote_sku=str(product["sku_id"]),
        remote_stock=_stock(product),
        remote_available=product["in_stock"],
        refreshed_at=now,
    )
    return DockedSku.objects.create(
        connection=connection, remote_sku_id=product["sku_id"], sku=sku, **_seen(product, now)
    )


def _update(
    connection: Connection,
    docked: DockedSku,
    offer: Offer | None,
    product: dict,
    discount: Decimal,
) -> tuple[bool, bool]:
    """Write what changed (only that: a SKU write changes every cached quote).
    Returns (changed, relisted)."""
    sku = docked.sku
    wanted = {
        "name": product["name"][:128],
        "face_value": product["face_value"],
        "active": True,
    }
    if connection.auto_price:
        wanted["list_price"] = list_price(product["price"], connection, discount)
    sku_changes = {k: v for k, v in wanted.items() if getattr(sku, k) != v}
    if sku_changes:
        Sku.objects.filter(pk=sku.pk).update(**sku_changes)
    offer_wanted = {
        "cost": product["price"],
        "remote_stock": _stock(product),
        "remote_available": product["in_stock"],
        "active": True,
    }
    offer_changes = (
        {k: v for k, v in offer_wanted.items() if getattr(offer, k) != v} if offer else {}
    )
    if offer is None:
        Offer.objects.create(
            supplier_id=connection.supplier_id,
            sku_id=sku.pk,
            remote_sku=str(product["sku_id"]),
            refreshed_at=timezone.now(),
            **offer_wanted,
        )
    elif offer_changes:
        Offer.objects.filter(pk=offer.pk).update(**offer_changes, refreshed_at=timezone.now())
    relisted = docked.delisted_at is not None
    return bool(sku_changes or offer_changes), relisted


def _record(docked: DockedSku, product: dict, now: datetime) -> None:
    DockedSku.objects.filter(pk=docked.pk).update(**_seen(product, now), delisted_at=None)


def _seen(product: dict, now: datetime) -> dict:
    """What the upstream just said about a product, as DockedSku keeps it."""
    return {
        "name": product["name"][:128],
        "product": product["product"][:128],
        "category": product["category"][:64],
        "cost": product["price"],
        "in_stock": product["in_stock"],
        "stock": product["stock"],
        "seen_at": now,
    }


def _stop(docked: DockedSku | None, offers: dict[int, Offer], now: datetime) -> None:
    """An upstream product that cannot be sold here as it is: its offer stops."""
    if docked is not None and docked.sku_id in offers:
        Offer.objects.filter(pk=offers[docked.sku_id].pk).update(
            remote_available=False, refreshed_at=now
        )


def _delist(docked: DockedSku, now: datetime) -> None:
    Sku.objects.filter(pk=docked.sku_id).update(active=False)
    Offer.objects.filter(sku_id=docked.sku_id, supplier__connection=docked.connection).update(
        active=False
    )
    DockedSku.objects.filter(pk=docked.pk).update(delisted_at=now)


def _stock(product: dict) -> int | None:
    return product["stock"] if product["kind"] == Sku.Kind.CARD else None


def _below_cost(connection: Connection) -> list[int]:
    """Mirrored SKUs on sale whose upstream price passed what our top level pays."""
    rows = list(
        DockedSku.objects.filter(connection=connection, delisted_at__isnull=True).select_related(
            "sku"
        )
    )
    with_top_prices(rows)
    return [docked.sku_id for docked in rows if docked.below_cost]


# --- reconciliation -------------------------------------------------------------------


RECONCILE_WINDOW = timedelta(hours=48)
# An attempt still processing upstream this long after we failed it is a mismatch.
SETTLE_GRACE = timedelta(hours=1)


@dataclass
class ReconcileReport:
    connection: str
    checked: int = 0
    unreachable: int = 0
    mismatches: list[dict] = field(default_factory=list)
    resolved: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def reconcile(
    connection: Connection, *, since: datetime | None = None, now: datetime | None = None
) -> ReconcileReport:
    """Ask the upstream about every order forwarded to it and decided here since
    `since` (default 48 h) and compare: delivered here but not there, failed or refunded
    here but delivered there, unknown there, or another amount than the cost we
    booked. Each mismatch is kept (Discrepancy) until a later run finds the two sides
    agree; the operator sees them in the console and `kameng dock discrepancies`."""
    now = now or timezone.now()
    since = since or now - RECONCILE_WINDOW
    adapter = _adapter(connection)
    report = ReconcileReport(connection.supplier.name)
    attempts = Attempt.objects.filter(
        supplier_id=connection.supplier_id, status__in=sorted(FINAL), finished_at__gte=since
    ).select_related("order")
    for attempt in attempts.order_by("pk").iterator():
        status = _query_patiently(adapter, attempt.request_id)
        if status is None:
            report.unreachable += 1
            continue
        report.checked += 1
        found = _mismatches(attempt, status, now)
        for kind, ours, theirs in found:
            _, created = Discrepancy.objects.get_or_create(
                attempt=attempt,
                kind=kind,
                resolved_at=None,
                defaults={
                    "connection": connection,
                    "ours": ours[:128],
                    "theirs": theirs[:128],
                    "found_at": now,
                },
            )
            report.mismatches.append(
                {
                    "order_no": attempt.order.order_no,
                    "request_id": attempt.request_id,
                    "kind": kind,
                    "ours": ours,
                    "theirs": theirs,
                    "new": created,
                }
            )
        kinds = [kind for kind, _, _ in found]
        report.resolved += (
            Discrepancy.objects.filter(attempt=attempt, resolved_at__isnull=True)
            .exclude(kind__in=kinds)
            .update(resolved_at=now, note="both sides agree on re-check")
        )
    return report


def reconcile_all(now: datetime | None = None) -> list[dict]:
    results = []
    for connection in Connection.objects.select_related("supplier").order_by("pk"):
        results.append(reconcile(connection, now=now).as_dict())
    return results


def _query_patiently(adapter: KamengV1Adapter, request_id: str, tries: int = 5):
    """The upstream's word on one request; its rate limit honoured (a few tries)."""
    for _ in range(tries):
        try:
            return adapter.query(request_id)
        except SupplierUnreachable as exc:
            if exc.retry_after is None:
                log.warning("reconcile %s: %s", request_id, exc)
                return None
            time.sleep(min(exc.retry_after, 5))
    return None


def _mismatches(attempt: Attempt, status, now: datetime) -> list[tuple[str, str, str]]:
    kind = Discrepancy.Kind
    ours = f"{attempt.status} {attempt.cost}"
    if not status.found:
        theirs = "no such order"
        if attempt.status == AttemptStatus.SUCCEEDED:
            return [(kind.MISSING_UPSTREAM, ours, theirs)]
        return []
    theirs = f"{status.message} {status.amount if status.amount is not None else '?'}"
    found = []
    if attempt.status == AttemptStatus.SUCCEEDED and status.outcome != Outcome.SUCCEEDED:
        found.append((kind.NOT_DELIVERED_UPSTREAM, ours, theirs))
    if attempt.status == AttemptStatus.FAILED:
        settled = attempt.finished_at is not None and attempt.finished_at < now - SETTLE_GRACE
        if status.outcome == Outcome.SUCCEEDED or (
            status.outcome == Outcome.PROCESSING and settled
        ):
            found.append((kind.DELIVERED_UPSTREAM, ours, theirs))
    charged = status.amount
    if status.outcome == Outcome.SUCCEEDED and charged is not None and charged != attempt.cost:
        found.append((kind.AMOUNT, ours, theirs))
    return found
