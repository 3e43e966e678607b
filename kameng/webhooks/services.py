"""Webhooks to distributors: every status change of an open-API order with a
callback_url is POSTed there, signed with the secret of the key that placed it,
until the distributor answers 2xx or the retry schedule runs out (about an hour).

A try has one deadline for all of it (KAMENG_WEBHOOK_TIMEOUT: lookup, connect, TLS,
sending, the answer's status and headers; transport.py), and goes only to a checked
public address (kameng/outbound.py). It is claimed first by moving `next_try_at` to the end
of a lease well past that deadline, so a task that runs twice, or the poller racing a
queued task, never sends twice at once, and the lease never runs out under a running
try; a worker that dies mid-try leaves the delivery due again once the lease ends.

Of the answer only the status code is kept (and a short reason of our own): what a
receiver says is never stored or shown.
"""

import json
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kameng.client import HEADER_KEY, HEADER_SIGNATURE, HEADER_TIMESTAMP, webhook_signature
from kameng.orders.models import Order
from kameng.orders.queries import order_view
from kameng.vault import decrypt
from kameng.webhooks import dispatch, transport
from kameng.webhooks.errors import NoCallbackUrl, ResendLimitReached, ResendPending
from kameng.webhooks.models import Delivery, DeliveryTry
from kameng.webhooks.states import DeliveryState, can_move

USER_AGENT = "Kameng-Webhook/1"


@dataclass(frozen=True)
class Outcome:
    http_status: int | None
    error: str  # why it was not a 2xx, in our words
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.http_status is not None and 200 <= self.http_status < 300


def try_delivery(delivery_id: int) -> str | None:
    """Make the next try of a due delivery; returns its state after, None if not due."""
    now = timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id, state=DeliveryState.PENDING, next_try_at__lte=now
    ).update(next_try_at=now + lease())
    if not claimed:
        return None
    delivery = Delivery.objects.select_related("order__agent", "order__api_key").get(pk=delivery_id)
    outcome = _post(delivery, payload(delivery))
    return _record(delivery, outcome, now)


def payload(delivery: Delivery) -> bytes:
    """The order as the distributor's GET would show it now, plus which change this
    announces. Built at send time: card secrets are never stored in clear."""
    order = delivery.order
    body = order_view(order, viewer=order.agent)
    body["event"] = {
        "id": delivery.event_id,
        "type": "order.status_changed",
        "status": delivery.status,
        "at": delivery.created_at.isoformat(),
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def lease() -> timedelta:
    """How long a claimed try keeps everyone else off: twice its deadline plus a
    minute (for the payload, the record, a busy database)."""
    return timedelta(seconds=2 * settings.KAMENG_WEBHOOK_TIMEOUT + 60)


def resend(order: Order) -> Delivery:
    """The distributor asks for the order's current state to be sent again. Bounded,
    since each re-send is up to seven requests from us: one at a time per order
    (a unique constraint on pending manual deliveries, so racing requests too), and
    at most KAMENG_WEBHOOK_RESENDS_PER_DAY in any 24 hours."""
    if not order.callback_url:
        raise NoCallbackUrl(f"order {order.order_no} has no callback_url")
    limit = settings.KAMENG_WEBHOOK_RESENDS_PER_DAY
    if limit <= 0:
        raise ResendLimitReached("manual re-sends are turned off on this platform")
    now = timezone.now()
    manual = Delivery.objects.filter(order=order, manual=True)
    pending = manual.filter(state=DeliveryState.PENDING).first()
    if pending is not None:
        raise _still_pending(pending)
    window = timedelta(days=1)
    recent = list(
        manual.filter(created_at__gt=now - window)
        .order_by("created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(recent) >= limit:
        retry_after = max(1, math.ceil((recent[0] + window - now).total_seconds()))
        raise ResendLimitReached(
            f"at most {limit} re-sends of one order in 24 hours; retry after {retry_after} s",
            retry_after=retry_after,
        )
    try:
        with transaction.atomic():
            return dispatch.order_changed(order, now, manual=True)
    except IntegrityError:  # a racing re-send of the same order was first
        raise _still_pending(manual.filter(state=DeliveryState.PENDING).first()) from None


def _still_pending(pending: Delivery | None) -> ResendPending:
    if pending is None:  # it finished in the meantime
        return ResendPending("another re-send of this order was being made; try again")
    when = f", next try at {pending.next_try_at.isoformat()}" if pending.next_try_at else ""
    return ResendPending(
        f"a re-send of this order is still pending ({pending.event_id}{when})",
        event_id=pending.event_id,
    )


def poll_due(limit: int = 500) -> int:
    """Queue every pending delivery that is due (a lost task, a lease that ran out)."""
    due = list(
        Delivery.objects.filter(state=DeliveryState.PENDING, next_try_at__lte=timezone.now())
        .order_by("next_try_at")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in due:
        dispatch.enqueue(delivery_id)
    return len(due)


def _post(delivery: Delivery, body: bytes) -> Outcome:
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        HEADER_TIMESTAMP: timestamp,
        HEADER_SIGNATURE: webhook_signature(
            decrypt(delivery.order.api_key.secret_encrypted), timestamp, body
        ),
        "X-Kameng-Event-Id": delivery.event_id,
        # Which key's secret signed it (a distributor may hold several).
        HEADER_KEY: delivery.order.api_key.app_key,
    }
    started = time.monotonic()
    status, reason = transport.post(delivery.url, body, headers, settings.KAMENG_WEBHOOK_TIMEOUT)
    return Outcome(status, reason[:255], _elapsed_ms(started))


def _record(delivery: Delivery, outcome: Outcome, started_at: datetime) -> str:
    number = delivery.tries + 1
    delays = settings.KAMENG_WEBHOOK_RETRY_DELAYS
    now = timezone.now()
    fields: dict = {"tries": number}
    if outcome.delivered:
        fields.update(state=DeliveryState.DELIVERED, finished_at=now, next_try_at=None)
    elif number > len(delays):
        fields.update(state=DeliveryState.GAVE_UP, finished_at=now, next_try_at=None)
    else:
        fields["next_try_at"] = now + timedelta(seconds=delays[number - 1])
    target = fields.get("state", DeliveryState.PENDING)
    assert target == DeliveryState.PENDING or can_move(delivery.state, target)
    with transaction.atomic():
        DeliveryTry.objects.create(
            delivery=delivery,
            number=number,
            at=started_at,
            http_status=outcome.http_status,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
        )
        Delivery.objects.filter(pk=delivery.pk, tries=delivery.tries).update(**fields)
        if target == DeliveryState.PENDING:
            countdown = delays[number - 1]
            transaction.on_commit(lambda: dispatch.enqueue(delivery.pk, countdown=countdown))
    return target


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
