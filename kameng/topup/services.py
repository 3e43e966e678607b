"""Direct top-up workflow: submit to a supplier, learn the outcome (answer, callback or
query), then deliver, fail over to the next supplier, or refund; hand what stays
undecided too long to the operator (kameng.topup.resolutions is the operator's side).

Rules the code keeps (the suppliers' own documentation insists on them):
- a timeout or an untrusted answer is `unknown`, never `failed`: query before deciding;
- only a request that provably never reached the supplier (not sent, and never sent
  before) fails at once and fails over;
- nothing final moves again: duplicate, late and contradicting reports change nothing;
- deciding (attempt state, order state, money) is one transaction; talking to the
  supplier happens outside any transaction.
"""

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from kameng import guards, vault
from kameng.money import to_money
from kameng.orders import services as orders
from kameng.stock import services as stock
from kameng.suppliers.errors import SupplierNotFound
from kameng.suppliers.models import Offer, Supplier
from kameng.text import is_printable
from kameng.topup.dispatch import enqueue_query, open_attempt, query_delay
from kameng.topup.errors import BadCallbackBody, CallbacksThrottled, CallbackTooLarge
from kameng.topup.models import Attempt, Callback
from kameng.topup.routing import routes
from kameng.topup.states import FINAL, OPEN, UNSETTLED, AttemptStatus, can_move
from kameng.upstream.adapters import (
    REGISTRY,
    ForgedCallback,
    MalformedCallback,
    Outcome,
    SupplierNotReached,
    SupplierUnreachable,
    TopupRequest,
    adapter_for,
)

log = logging.getLogger(__name__)

NOT_SENT = "not_sent"  # error code of an attempt whose request never reached the supplier


@dataclass(frozen=True)
class Report:
    """A definite word from the supplier about one attempt."""

    outcome: Outcome
    supplier_order_no: str = ""
    retryable: bool = True  # failed: may the next supplier try? (async failures: yes)
    code: str = ""
    message: str = ""
    cards: tuple[tuple[str, str], ...] = ()  # succeeded forwarded card orders: the codes


def submit(attempt_id: int) -> None:
    """Send an attempt that has not been accepted yet. Sending twice is harmless: the
    request id is the same, and the supplier answers a repeat like the first time."""
    attempt = Attempt.objects.select_related("supplier", "order").filter(pk=attempt_id).first()
    if attempt is None or attempt.status not in (AttemptStatus.PENDING, AttemptStatus.UNKNOWN):
        return
    # Count this send before it leaves (committed: no transaction is open here), so a
    # later look at `submits` knows whether any send could have reached the supplier.
    counted = Attempt.objects.filter(
        pk=attempt.pk, status=attempt.status, submits=attempt.submits
    ).update(submits=F("submits") + 1)
    if not counted:
        return  # another worker is sending it right now, or it moved on
    attempt.submits += 1
    order = attempt.order
    request = TopupRequest(
        request_id=attempt.request_id,
        remote_sku=attempt.remote_sku,
        account=order.recharge_account,
        quantity=order.quantity,
        callback_url=callback_url(attempt.supplier_id),
    )
    try:
        result = _adapter(attempt.supplier).submit(request)
    except SupplierNotReached as exc:
        _not_sent(attempt, exc)
        return
    except SupplierUnreachable as exc:
        _unknown(attempt, exc)
        return
    if result.stock_out:  # the next orders are refused before money moves
        Offer.objects.filter(supplier_id=attempt.supplier_id, remote_sku=attempt.remote_sku).update(
            remote_available=False, refreshed_at=timezone.now()
        )
    apply(
        attempt.pk,
        Report(
            result.outcome,
            result.supplier_order_no,
            result.retryable,
            result.code,
            result.message,
            result.cards,
        ),
    )
    _schedule_query(attempt)  # unless decided: accepted, or an answer we could not use


def _adapter(supplier: Supplier):
    """The supplier's adapter; its secret unreadable (keys changed without rotate-keys)
    means nothing can be signed, so nothing is sent: SupplierNotReached."""
    try:
        return adapter_for(supplier)
    except vault.SecretUnreadable as exc:
        log.error("supplier %s: %s", supplier, exc.message)
        raise SupplierNotReached(exc.message) from exc


def _not_sent(attempt: Attempt, exc: SupplierNotReached) -> None:
    """This send never left. If it was the attempt's only send ever, the supplier has
    never seen the request: fail it as retryable, so the next supplier tries. If an
    earlier send (a timed-out one, one a crashed worker made) may have landed, nothing
    is proven: the attempt is unknown and queried like after a timeout."""
    now = timezone.now()
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().select_related("order").get(pk=attempt.pk)
        # Checked under the lock: a twin task that started a second send meanwhile
        # raised `submits`, and may have reached the supplier. (Escalated while this
        # send was on its way is still unsent: the operator need not decide it.)
        waiting = locked.status in (AttemptStatus.PENDING, AttemptStatus.ESCALATED)
        if waiting and locked.submits == 1:
            log.warning(
                "top-up %s: not sent to %s, failing over: %s", locked, attempt.supplier, exc
            )
            conclude(locked, Report(Outcome.FAILED, code=NOT_SENT, message=str(exc)[:255]), now)
            return
    _unknown(attempt, exc)


def _unknown(attempt: Attempt, exc: SupplierUnreachable) -> None:
    """No trusted answer: the top-up may or may not have happened; query later."""
    log.warning("top-up %s: no trusted answer from %s: %s", attempt, attempt.supplier, exc)
    _set(attempt, AttemptStatus.UNKNOWN, message=str(exc)[:255])
    _schedule_query(attempt, at_least=exc.retry_after or 0)


def query(attempt_id: int) -> None:
    """Ask the supplier where an undecided attempt stands (after a timeout, when no
    callback came, or while the operator has it). Not found and never accepted: the
    submit got lost, send it again. Never sent at all (a lost task): just send it."""
    attempt = Attempt.objects.select_related("supplier").filter(pk=attempt_id).first()
    if attempt is None or attempt.status in FINAL:
        return
    if attempt.status == AttemptStatus.PENDING and attempt.submits == 0:
        submit(attempt.pk)  # nothing to ask about: no send ever started
        return
    Attempt.objects.filter(pk=attempt.pk).update(queries=F("queries") + 1)
    attempt.queries += 1
    try:
        status = _adapter(attempt.supplier).query(attempt.request_id)
    except SupplierUnreachable as exc:
        log.warning("top-up %s: query failed: %s", attempt, exc)
        _schedule_query(attempt, at_least=exc.retry_after or 0)
        return
    if not status.found:
        if attempt.status in (AttemptStatus.PENDING, AttemptStatus.UNKNOWN):
            submit(attempt.pk)
            return
        # Accepted earlier (submitted), or waiting for the operator (escalated: never
        # resubmitted on its own, so an order held that long is not topped up late).
        log.error("top-up %s: %s has no order %s", attempt, attempt.supplier, attempt.request_id)
        _schedule_query(attempt)
        return
    apply(
        attempt.pk,
        Report(status.outcome, status.supplier_order_no, True, status.code, cards=status.cards),
    )
    _schedule_query(attempt)  # unless decided


def apply(attempt_id: int, report: Report) -> str:
    """Act on what the supplier said; returns the Callback.Effect it had."""
    now = timezone.now()
    if report.outcome == Outcome.PROCESSING:
        accepted(attempt_id, report, now)
        return Callback.Effect.APPLIED
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update(of=("self", "order"))
            .select_related("order__sku")
            .get(pk=attempt_id)
        )
        return conclude(attempt, report, now)


def accepted(attempt_id: int, report: Report, now: datetime) -> None:
    """The supplier has the order and is working on it (an escalated one stays with
    the operator: it only waits for the outcome)."""
    Attempt.objects.filter(
        pk=attempt_id, status__in=[AttemptStatus.PENDING, AttemptStatus.UNKNOWN]
    ).update(
        status=AttemptStatus.SUBMITTED,
        supplier_order_no=report.supplier_order_no[:64],
        submitted_at=now,
    )


def conclude(attempt: Attempt, report: Report, now: datetime, *, note: str = "") -> str:
    """A definite outcome for an attempt locked by the caller's transaction: deliver,
    fail over, or fail and refund (`note`: for the order's history, else the reason
    given by the supplier). Final attempts do not move; returns the Callback.Effect."""
    if attempt.status in FINAL:
        if attempt.status != report.outcome:
            log.error(
                "top-up %s is %s, but the supplier now says %s: left as it is",
                attempt,
                attempt.status,
                report.outcome,
            )
            return Callback.Effect.CONTRADICTION
        return Callback.Effect.DUPLICATE
    order = attempt.order
    forwarded = report.outcome == Outcome.SUCCEEDED and order.sku.forwarded
    if forwarded and not _store_cards(attempt, report, now):
        return Callback.Effect.APPLIED  # left open: queried again for usable codes
    if report.outcome == Outcome.SUCCEEDED:
        _set(
            attempt,
            AttemptStatus.SUCCEEDED,
            supplier_order_no=report.supplier_order_no[:64] or attempt.supplier_order_no,
            finished_at=now,
        )
        orders.deliver_direct(order, now, note=note or "topped up")
        return Callback.Effect.APPLIED
    _set(
        attempt,
        AttemptStatus.FAILED,
        retryable=report.retryable,
        error_code=report.code[:32],
        message=report.message[:255],
        finished_at=now,
    )
    if report.retryable and _fail_over(attempt, now):
        return Callback.Effect.APPLIED
    orders.fail_direct(order, now, note=note or f"top-up failed: {report.code or 'supplier'}")
    return Callback.Effect.APPLIED


def _store_cards(attempt: Attempt, report: Report, now: datetime) -> bool:
    """A forwarded card order's codes, as the upstream delivered them, become the
    order's cards (encrypted). Not exactly as many as ordered, or a code this site
    already holds: nothing is stored and the attempt stays open (logged; queried again,
    escalated to the operator if it never comes right)."""
    order = attempt.order
    if len(report.cards) != order.quantity:
        log.error(
            "forwarded %s: %s delivered %d codes for %d ordered: not accepted",
            attempt,
            attempt.supplier,
            len(report.cards),
            order.quantity,
        )
        return False
    try:
        with transaction.atomic():
            stock.record_bought_cards(
                order_id=order.pk,
                sku_id=order.sku_id,
                supplier_id=attempt.supplier_id,
                unit_cost=to_money(attempt.cost / order.quantity),
                cards=list(report.cards),
                source=f"{attempt.request_id} ({report.supplier_order_no or 'upstream'})",
                now=now,
            )
    except IntegrityError:
        log.error("forwarded %s: a delivered code is already held here: not accepted", attempt)
        return False
    return True


def _fail_over(failed: Attempt, now) -> bool:
    """Open an attempt at the best supplier not tried yet for this order, if any."""
    order = failed.order
    tried = frozenset(order.topup_attempts.values_list("supplier_id", flat=True))
    remaining = routes(order.sku_id, order.quantity, order.platform_unit_price, tried)
    if not remaining:
        return False
    open_attempt(order, remaining[0], failed.number + 1, now)
    return True


# Stored per refused callback: enough to recognise it, too little to fill the database.
CALLBACK_EXCERPT_CHARS = 300
VERIFIED_CALLBACK_CHARS = 4000  # a signed one is evidence: kept whole (v1: ~300 bytes)
FAILED_CALLBACKS_KEY = "kameng:callback:failed:"  # + remote address: the failure count


@dataclass(frozen=True)
class CallbackReply:
    """The answer in the supplier's own dialect (its success reply, or its refusal)."""

    status: int
    body: bytes
    content_type: str


def receive_callback(
    supplier_id: int,
    body: bytes | None,
    content_type: str,
    remote_addr: str = "",
    headers: Mapping[str, str] | None = None,
) -> CallbackReply:
    """A supplier's callback: verify, find our attempt, apply, answer in its dialect.

    `body` is None when it was larger than KAMENG_CALLBACK_MAX_BYTES (left unread).
    Every callback is recorded; a refused one (too large, malformed, forged, or our
    own copy of the secret unreadable) counts against its address, and past
    KAMENG_CALLBACK_FAILURE_LIMIT the address's failures are no longer recorded one by
    one (CallbacksThrottled, 429). A callback that verifies is always applied.
    """
    supplier = Supplier.objects.filter(pk=supplier_id, mode=Supplier.Mode.API).first()
    if supplier is None or supplier.adapter not in REGISTRY:
        raise SupplierNotFound(f"no API supplier {supplier_id}")
    limit = settings.KAMENG_CALLBACK_MAX_BYTES
    if body is None or len(body) > limit:
        _refuse(supplier, Callback.Effect.TOO_LARGE, remote_addr, b"", f"more than {limit} bytes")
        raise CallbackTooLarge(f"a callback body may have at most {limit} bytes")
    try:
        adapter = adapter_for(supplier)
    except vault.SecretUnreadable as exc:
        _refuse(supplier, Callback.Effect.UNVERIFIABLE, remote_addr, body, exc.message)
        raise
    try:
        status = adapter.parse_callback(body, content_type, headers)
    except MalformedCallback as exc:
        _refuse(supplier, Callback.Effect.MALFORMED, remote_addr, body, str(exc))
        raise BadCallbackBody(str(exc)) from None
    except ForgedCallback as exc:
        _refuse(supplier, Callback.Effect.FORGED, remote_addr, body, str(exc))
        return CallbackReply(*adapter.callback_reply(False))
    # Our request ids are short and printable; anything else cannot be one of ours
    # (and a NUL could not even be looked up on PostgreSQL).
    request_id = status.request_id
    ours = is_printable(request_id, limit=48)
    attempt = (
        Attempt.objects.filter(supplier=supplier, request_id=request_id).first() if ours else None
    )
    if attempt is None:
        effect = Callback.Effect.UNKNOWN_REQUEST
    else:
        supplier_order_no = _excerpt(status.supplier_order_no, 64)
        effect = apply(
            attempt.pk, Report(status.outcome, supplier_order_no, True, cards=status.cards)
        )
    Callback.objects.create(
        supplier=supplier,
        request_id=_excerpt(request_id, 64),
        outcome=status.outcome,
        effect=effect,
        body=_excerpt(body.decode("utf-8", "replace"), VERIFIED_CALLBACK_CHARS),
        remote_addr=remote_addr,
    )
    return CallbackReply(*adapter.callback_reply(attempt is not None))


def _refuse(supplier: Supplier, effect: str, remote_addr: str, body: bytes, reason: str) -> None:
    """Record a callback we could not accept, unless its address is over the limit of
    recorded failures: then only the first one over it is recorded (THROTTLED), and
    CallbacksThrottled is raised. (Logged likewise: a flood does not flood the log.)"""
    most, window = settings.KAMENG_CALLBACK_FAILURE_LIMIT
    failures, left = guards.store().count(FAILED_CALLBACKS_KEY + remote_addr, window)
    if failures > most:
        if failures == most + 1:
            note = (
                f"more than {most} failed callbacks in {window} s from this address: "
                "the rest of this window is answered 429 and not recorded"
            )
            log.warning("callbacks for %s from %s: %s", supplier, remote_addr, note)
            Callback.objects.create(
                supplier=supplier,
                effect=Callback.Effect.THROTTLED,
                body="",
                reason=note,
                remote_addr=remote_addr,
            )
        raise CallbacksThrottled(max(1, math.ceil(left)))
    log.warning("%s callback for %s from %s: %s", effect, supplier, remote_addr, reason)
    Callback.objects.create(
        supplier=supplier,
        effect=effect,
        body=_excerpt(body[: CALLBACK_EXCERPT_CHARS * 4].decode("utf-8", "replace")),
        reason=_excerpt(reason, 255),
        remote_addr=remote_addr,
    )


def _excerpt(text: str, limit: int = CALLBACK_EXCERPT_CHARS) -> str:
    """The first `limit` characters, with control characters (NUL included, which
    PostgreSQL text cannot hold) written as escapes."""
    safe = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in text)
    return safe[:limit]


def poll_due(limit: int = 500) -> int:
    """The safety net behind callbacks and queued queries: attempts undecided for too
    long go to the operator; every undecided attempt whose query time has passed is
    claimed (its next query moved on) and queried. Returns how many were queried."""
    now = timezone.now()
    escalate_due(now, limit)
    due = list(
        Attempt.objects.filter(status__in=UNSETTLED, next_query_at__lte=now)
        .order_by("next_query_at")
        .values_list("pk", "next_query_at", "queries")[:limit]
    )
    claimed = 0
    for pk, at, queries in due:
        # Each claim counts as a query for the back-off, so a worker that is down does
        # not get the same attempts queued again every round at the same pace.
        later = now + timedelta(seconds=query_delay(queries + 1))
        claim = Attempt.objects.filter(pk=pk, next_query_at=at)
        if claim.update(next_query_at=later, queries=F("queries") + 1):
            enqueue_query(pk, countdown=0)
            claimed += 1
    return claimed


def escalate_due(now: datetime, limit: int = 500) -> int:
    """Hand every attempt still open KAMENG_TOPUP_ESCALATE_AFTER_SECONDS after it was
    opened to the operator (待人工处理), with a note in the order's history. Its money
    stays in escrow: the top-up may have happened. Returns how many were escalated."""
    after = settings.KAMENG_TOPUP_ESCALATE_AFTER_SECONDS
    due = list(
        Attempt.objects.filter(status__in=OPEN, created_at__lte=now - timedelta(seconds=after))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    escalated = 0
    for pk in due:
        with transaction.atomic():
            attempt = Attempt.objects.select_for_update().select_related("order").get(pk=pk)
            was = attempt.status
            if was in OPEN and _set(attempt, AttemptStatus.ESCALATED):
                log.error(
                    "top-up %s: still %s after %ss, escalated to the operator", attempt, was, after
                )
                orders.add_note(
                    attempt.order,
                    now,
                    f"top-up {attempt.request_id} escalated to the operator: "
                    f"still {was} after {after:g} s",
                )
                escalated += 1
    return escalated


def callback_url(supplier_id: int) -> str:
    return settings.KAMENG_PUBLIC_URL + reverse("topup-callback", args=[supplier_id])


def _schedule_query(attempt: Attempt, *, at_least: float = 0) -> None:
    """Query later unless the attempt has been decided meanwhile (a fast callback);
    `at_least`: seconds the supplier asked us to wait (a 429's Retry-After)."""
    delay = max(query_delay(attempt.queries), at_least)
    still_open = Attempt.objects.filter(pk=attempt.pk, status__in=UNSETTLED).update(
        next_query_at=timezone.now() + timedelta(seconds=delay)
    )
    if still_open:
        enqueue_query(attempt.pk, countdown=delay)


def _set(attempt: Attempt, target: str, **fields) -> bool:
    """Compare-and-set the attempt's status; False if it moved meanwhile."""
    current = attempt.status
    if current != target and not can_move(current, target):
        return False
    if target in FINAL:
        fields["next_query_at"] = None
    if target == AttemptStatus.SUBMITTED:
        fields.setdefault("submitted_at", timezone.now())
    moved = Attempt.objects.filter(pk=attempt.pk, status=current).update(status=target, **fields)
    if moved:
        attempt.status = target
        for name, value in fields.items():
            setattr(attempt, name, value)
    return bool(moved)
