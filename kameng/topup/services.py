"""Direct top-up workflow: submit to a supplier, learn the outcome (answer, callback or
query), then deliver, fail over to the next supplier, or refund.

Rules the code keeps (the suppliers' own documentation insists on them):
- a timeout or an untrusted answer is `unknown`, never `failed`: query before deciding;
- nothing final moves again: duplicate, late and contradicting reports change nothing;
- deciding (attempt state, order state, money) is one transaction; talking to the
  supplier happens outside any transaction.
"""

import logging
import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from kameng import guards, vault
from kameng.orders import services as orders
from kameng.supply.adapters import (
    REGISTRY,
    ForgedCallback,
    MalformedCallback,
    Outcome,
    SupplierUnreachable,
    TopupRequest,
    adapter_for,
)
from kameng.supply.errors import SupplierNotFound
from kameng.supply.models import Supplier
from kameng.topup.dispatch import enqueue_query, open_attempt, query_delay
from kameng.topup.errors import BadCallbackBody, CallbacksThrottled, CallbackTooLarge
from kameng.topup.models import Attempt, Callback
from kameng.topup.routing import routes
from kameng.topup.states import FINAL, OPEN, AttemptStatus, can_move

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Report:
    """A definite word from the supplier about one attempt."""

    outcome: Outcome
    supplier_order_no: str = ""
    retryable: bool = True  # failed: may the next supplier try? (async failures: yes)
    code: str = ""
    message: str = ""


def submit(attempt_id: int) -> None:
    """Send an attempt that has not been accepted yet. Sending twice is harmless: the
    request id is the same, and the supplier answers a repeat like the first time."""
    attempt = Attempt.objects.select_related("supplier", "order").filter(pk=attempt_id).first()
    if attempt is None or attempt.status not in (AttemptStatus.PENDING, AttemptStatus.UNKNOWN):
        return
    order = attempt.order
    request = TopupRequest(
        request_id=attempt.request_id,
        remote_sku=attempt.remote_sku,
        account=order.recharge_account,
        quantity=order.quantity,
        callback_url=callback_url(attempt.supplier_id),
    )
    try:
        result = adapter_for(attempt.supplier).submit(request)
    except SupplierUnreachable as exc:
        log.warning("top-up %s: no trusted answer from %s: %s", attempt, attempt.supplier, exc)
        _set(attempt, AttemptStatus.UNKNOWN, message=str(exc)[:255])
        _schedule_query(attempt)
        return
    apply(
        attempt.pk,
        Report(
            result.outcome, result.supplier_order_no, result.retryable, result.code, result.message
        ),
    )
    if result.outcome == Outcome.PROCESSING:
        _schedule_query(attempt)


def query(attempt_id: int) -> None:
    """Ask the supplier where an open attempt stands (after a timeout, or when no
    callback came). Not found and never accepted: the submit got lost, send it again."""
    attempt = Attempt.objects.select_related("supplier").filter(pk=attempt_id).first()
    if attempt is None or attempt.status in FINAL:
        return
    Attempt.objects.filter(pk=attempt.pk).update(queries=F("queries") + 1)
    attempt.queries += 1
    try:
        status = adapter_for(attempt.supplier).query(attempt.request_id)
    except SupplierUnreachable as exc:
        log.warning("top-up %s: query failed: %s", attempt, exc)
        _schedule_query(attempt)
        return
    if not status.found:
        if attempt.status != AttemptStatus.SUBMITTED:
            submit(attempt.pk)
            return
        log.error("top-up %s: %s lost an order it had accepted", attempt, attempt.supplier)
        _schedule_query(attempt)
        return
    apply(attempt.pk, Report(status.outcome, status.supplier_order_no, True, status.code))
    if status.outcome == Outcome.PROCESSING:
        _schedule_query(attempt)


def apply(attempt_id: int, report: Report) -> str:
    """Act on what the supplier said; returns the Callback.Effect it had."""
    now = timezone.now()
    if report.outcome == Outcome.PROCESSING:
        Attempt.objects.filter(
            pk=attempt_id, status__in=[AttemptStatus.PENDING, AttemptStatus.UNKNOWN]
        ).update(
            status=AttemptStatus.SUBMITTED,
            supplier_order_no=report.supplier_order_no[:64],
            submitted_at=now,
        )
        return Callback.Effect.APPLIED
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().select_related("order").get(pk=attempt_id)
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
        if report.outcome == Outcome.SUCCEEDED:
            _set(
                attempt,
                AttemptStatus.SUCCEEDED,
                supplier_order_no=report.supplier_order_no[:64] or attempt.supplier_order_no,
                finished_at=now,
            )
            orders.deliver_direct(order, now)
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
        orders.fail_direct(order, now, note=f"top-up failed: {report.code or 'supplier'}")
    return Callback.Effect.APPLIED


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
    supplier_id: int, body: bytes | None, content_type: str, remote_addr: str = ""
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
        status = adapter.parse_callback(body, content_type)
    except MalformedCallback as exc:
        _refuse(supplier, Callback.Effect.MALFORMED, remote_addr, body, str(exc))
        raise BadCallbackBody(str(exc)) from None
    except ForgedCallback as exc:
        _refuse(supplier, Callback.Effect.FORGED, remote_addr, body, str(exc))
        return CallbackReply(*adapter.callback_reply(False))
    # Our request ids are short and printable; anything else cannot be one of ours
    # (and a NUL could not even be looked up on PostgreSQL).
    request_id = status.request_id
    ours = len(request_id) <= 48 and request_id.isprintable()
    attempt = (
        Attempt.objects.filter(supplier=supplier, request_id=request_id).first() if ours else None
    )
    if attempt is None:
        effect = Callback.Effect.UNKNOWN_REQUEST
    else:
        supplier_order_no = _excerpt(status.supplier_order_no, 64)
        effect = apply(attempt.pk, Report(status.outcome, supplier_order_no, True))
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
    """The safety net behind callbacks and queued queries: every open attempt whose
    query time has passed is claimed (its next query moved on) and queried."""
    now = timezone.now()
    due = list(
        Attempt.objects.filter(status__in=OPEN, next_query_at__lte=now)
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


def callback_url(supplier_id: int) -> str:
    return settings.KAMENG_PUBLIC_URL + reverse("topup-callback", args=[supplier_id])


def _schedule_query(attempt: Attempt) -> None:
    """Query later unless the attempt has become final meanwhile (a fast callback)."""
    delay = query_delay(attempt.queries)
    still_open = Attempt.objects.filter(pk=attempt.pk, status__in=OPEN).update(
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
