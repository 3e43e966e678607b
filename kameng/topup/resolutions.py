"""The operator's side of direct top-ups: attempts Kameng could not decide on its own
(escalated, 待人工处理, or any still open) are resolved by a person — query the supplier
again, mark delivered (the supplier confirmed out of band), or fail and refund. Every
resolution is a Resolution row with who and why, and a note in the order's history,
written in the transaction that acts on it. A final attempt is never resolved (409).

The admin and `kameng topup-resolve` only translate to `resolve`.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from kameng.errors import InvalidInput, ReasonRequired
from kameng.orders import services as orders
from kameng.text import require_printable
from kameng.topup.errors import AttemptFinal, AttemptNotFound, OperatorNotFound
from kameng.topup.models import Attempt, Resolution
from kameng.topup.services import Report, accepted, conclude
from kameng.topup.states import FINAL
from kameng.upstream.adapters import Outcome, SupplierUnreachable, adapter_for

log = logging.getLogger(__name__)

Action = Resolution.Action
Heard = Resolution.Heard
MAX_REASON = 1000


@dataclass(frozen=True)
class Answer:
    """What the supplier said to the operator's query, and its outcome if definite."""

    heard: str
    detail: str = ""
    report: Report | None = None


def get_attempt(request_id: str) -> Attempt:
    attempt = (
        Attempt.objects.select_related("supplier", "order").filter(request_id=request_id).first()
    )
    if attempt is None:
        raise AttemptNotFound(f"no top-up attempt {request_id}", request_id=request_id)
    return attempt


def get_operator(username: str) -> AbstractBaseUser:
    """The active staff user who decides; anyone else is not an operator."""
    user = get_user_model().objects.filter(username=username, is_active=True, is_staff=True).first()
    if user is None:
        raise OperatorNotFound(f"no active staff user {username!r}")
    return user


def resolve(
    attempt: Attempt, action: str, *, operator: AbstractBaseUser, reason: str = ""
) -> Resolution:
    """One operator decision on an undecided attempt.

    query: ask the supplier now; a definite answer settles the attempt as a callback
    would (succeeded → delivered; failed → the next supplier, or refunded), anything
    else leaves it where it is. delivered: the supplier confirmed out of band; the
    order is delivered and the supplier is owed its cost when escrow settles. failed:
    the order fails and the buyer is refunded (no other supplier is tried). The last
    two need a reason.
    """
    if action not in Action.values:
        raise InvalidInput(f"unknown resolution {action!r}; known: {', '.join(Action.values)}")
    reason = _checked_reason(reason, required=action != Action.QUERY)
    _refuse_final(attempt)
    answer = _ask(attempt) if action == Action.QUERY else None  # outside any transaction
    now = timezone.now()
    who = operator.get_username()
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().select_related("order").get(pk=attempt.pk)
        before = locked.status
        if answer is not None:  # a query
            if answer.report is not None and before not in FINAL:
                _settle_by_query(locked, answer.report, now)
            orders.add_note(
                locked.order,
                now,
                f"top-up {locked.request_id} queried by operator {who}: {answer.heard}",
            )
        else:
            _refuse_final(locked)
            note = f"top-up {locked.request_id} marked {action} by operator {who}: {reason}"
            if action == Action.DELIVERED:
                conclude(locked, Report(Outcome.SUCCEEDED), now, note=note)
            else:
                failure = Report(Outcome.FAILED, retryable=False, code="operator", message=reason)
                conclude(locked, failure, now, note=note)
        resolution = Resolution.objects.create(
            attempt=locked,
            action=action,
            status_before=before,
            status_after=locked.status,
            reason=reason,
            heard=answer.heard if answer else "",
            detail=answer.detail[:255] if answer else "",
            operator=operator,
            at=now,
        )
    log.info(
        "top-up %s resolved by %s: %s (%s → %s)",
        attempt,
        who,
        action,
        before,
        resolution.status_after,
    )
    attempt.refresh_from_db()
    return resolution


def _settle_by_query(attempt: Attempt, report: Report, now: datetime) -> None:
    """Act on what the operator's query heard, as on one of Kameng's own queries."""
    if report.outcome == Outcome.PROCESSING:
        accepted(attempt.pk, report, now)
        attempt.refresh_from_db(fields=["status"])
    else:
        conclude(attempt, report, now)


def _ask(attempt: Attempt) -> Answer:
    try:
        status = adapter_for(attempt.supplier).query(attempt.request_id)
    except SupplierUnreachable as exc:
        return Answer(Heard.UNREACHABLE, str(exc))
    if not status.found:
        return Answer(Heard.NOT_FOUND, status.message)
    report = Report(status.outcome, status.supplier_order_no, True, status.code, status.message)
    return Answer(Heard(status.outcome.value), status.message, report)


def _refuse_final(attempt: Attempt) -> None:
    if attempt.status in FINAL:
        raise AttemptFinal(
            f"top-up attempt {attempt.request_id} has {attempt.status}; it cannot be resolved",
            request_id=attempt.request_id,
            status=attempt.status,
        )


def _checked_reason(reason: str, *, required: bool) -> str:
    reason = reason.strip()
    if required and not reason:
        raise ReasonRequired("say why: a reason is required to mark a top-up delivered or failed")
    return require_printable(reason, "the reason", limit=MAX_REASON, optional=True)
