"""An agent's money requests, decided by the operator: top-ups (money it paid in) and
withdrawals (money paid out to it). One state machine each::

    top-up:      submitted ──► approved     (the wallet is credited: services.top_up)
                     └───────► rejected     (with a reason; nothing moves)

    withdrawal:  submitted ──► paid         (holding account → external:payouts)
                     └───────► rejected     (with a reason; holding account → wallet)

A withdrawal's amount leaves the wallet when it is requested, into the holding account
platform:withdrawals: held money cannot be spent twice (ordered with, or withdrawn
again) while the operator transfers it.

Every decision is made by an active staff user, recorded with who, when and why (a
rejection must say why). Decisions lock the request's row and compare-and-set its
status; each posting has a journal key of its own (`withdrawal:{id}:paid` ...), so two
operators deciding at once decide once. Repeating the same decision is harmless (the
request as it is comes back; a payout only with the same payout reference); the other
decision on a decided request is RequestAlreadyDecided and changes nothing.
"""

from datetime import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from kameng.agents import services
from kameng.agents.errors import (
    NotAnOperator,
    OperatorNotFound,
    RequestAlreadyDecided,
    RequestNotFound,
    TooManyOpenRequests,
    TopUpReferenceUsed,
    WithdrawalReferenceReused,
)
from kameng.agents.models import Agent, TopUpRequest, WithdrawalRequest
from kameng.errors import ReasonRequired
from kameng.ledger import services as ledger
from kameng.ledger.models import Journal
from kameng.money import parse_money
from kameng.text import require_printable

TopUpStatus = TopUpRequest.Status
WithdrawalStatus = WithdrawalRequest.Status

TOP_UP_TRANSITIONS: dict[str, frozenset[str]] = {
    TopUpStatus.SUBMITTED: frozenset({TopUpStatus.APPROVED, TopUpStatus.REJECTED}),
    TopUpStatus.APPROVED: frozenset(),
    TopUpStatus.REJECTED: frozenset(),
}

WITHDRAWAL_TRANSITIONS: dict[str, frozenset[str]] = {
    WithdrawalStatus.SUBMITTED: frozenset({WithdrawalStatus.PAID, WithdrawalStatus.REJECTED}),
    WithdrawalStatus.PAID: frozenset(),
    WithdrawalStatus.REJECTED: frozenset(),
}

# Requests of one kind an agent may have waiting at once: the operator's queue is not
# a place to flood.
MAX_OPEN_REQUESTS = 10
MAX_REASON = 1000

Request = TopUpRequest | WithdrawalRequest


# --- top-ups -----------------------------------------------------------------------------


def request_top_up(
    agent: Agent, amount: Decimal | str | int, reference: str, note: str = ""
) -> TopUpRequest:
    """The agent paid `amount` in by bank transfer `reference` (its receipt number) and
    asks for its wallet to be credited. InvalidAmount, InvalidInput, TopUpReferenceUsed
    (this transfer is already claimed by a waiting or approved request),
    TooManyOpenRequests."""
    amount = parse_money(amount)
    reference = require_printable((reference or "").strip(), "the transfer reference")
    note = require_printable((note or "").strip(), "the note", limit=255, optional=True)
    _check_open(TopUpRequest, agent)
    if _live_top_up(reference).exists():
        raise _reference_used(reference)
    try:
        with transaction.atomic():
            return TopUpRequest.objects.create(
                agent=agent, amount=amount, reference=reference, note=note
            )
    except IntegrityError as exc:  # a concurrent request for the same transfer
        if _live_top_up(reference).exists():
            raise _reference_used(reference) from exc
        raise


def approve_top_up(request: TopUpRequest, operator: AbstractBaseUser) -> TopUpRequest:
    """The money arrived: credit the agent's wallet (journal `topup:request:{id}`).
    Approving an approved request again changes nothing."""
    _check_operator(operator)
    with transaction.atomic():
        current = _lock(TopUpRequest, request)
        if current.status == TopUpStatus.APPROVED:
            return _copy(current, request)
        _move(current, TopUpStatus.APPROVED, TOP_UP_TRANSITIONS, operator)
        services.top_up(current.agent, current.amount, reference=f"request:{current.pk}")
    return _copy(current, request)


def reject_top_up(request: TopUpRequest, operator: AbstractBaseUser, reason: str) -> TopUpRequest:
    """No such money arrived (or not as claimed): nothing is credited; the reason is
    shown to the agent. Rejecting a rejected request again changes nothing."""
    _check_operator(operator)
    reason = _reason(reason)
    with transaction.atomic():
        current = _lock(TopUpRequest, request)
        if current.status == TopUpStatus.REJECTED:
            return _copy(current, request)
        _move(current, TopUpStatus.REJECTED, TOP_UP_TRANSITIONS, operator, reason=reason)
    return _copy(current, request)


# --- withdrawals -------------------------------------------------------------------------


def request_withdrawal(agent: Agent, amount: Decimal | str | int, payee: str) -> WithdrawalRequest:
    """Ask for `amount` of the wallet to be paid to `payee` (bank or Alipay account, as
    text). The amount moves from the wallet to the holding account now, in the same
    transaction as the request: InsufficientBalance if the wallet cannot pay (and no
    request is made). InvalidAmount, InvalidInput, TooManyOpenRequests."""
    amount = parse_money(amount)
    payee = require_printable((payee or "").strip(), "the payee", limit=128)
    _check_open(WithdrawalRequest, agent)
    with transaction.atomic():
        request = WithdrawalRequest.objects.create(agent=agent, amount=amount, payee=payee)
        _post(
            request,
            "hold",
            Journal.Kind.WITHDRAWAL_HOLD,
            [(agent.wallet_id, -amount), (_holding(), amount)],
        )
    return request


def pay_withdrawal(
    request: WithdrawalRequest, operator: AbstractBaseUser, payout_reference: str
) -> WithdrawalRequest:
    """The operator transferred the money (bank transfer `payout_reference`): holding
    account → external:payouts, journal `withdrawal:{id}:paid`. Paying again with the
    same reference changes nothing; with another, RequestAlreadyDecided; a reference
    that paid another withdrawal, WithdrawalReferenceReused."""
    _check_operator(operator)
    reference = require_printable((payout_reference or "").strip(), "the payout reference")
    try:
        with transaction.atomic():
            current = _lock(WithdrawalRequest, request)
            if current.status == WithdrawalStatus.PAID and current.payout_reference == reference:
                return _copy(current, request)
            if current.status == WithdrawalStatus.SUBMITTED and _reference_taken(reference):
                raise _reference_reused(reference)
            _move(
                current,
                WithdrawalStatus.PAID,
                WITHDRAWAL_TRANSITIONS,
                operator,
                payout_reference=reference,
            )
            _post(
                current,
                "paid",
                Journal.Kind.WITHDRAWAL_PAID,
                [
                    (_holding(), -current.amount),
                    (ledger.system_account_id(ledger.PAYOUTS), current.amount),
                ],
                memo=f"{reference} by {operator.get_username()}",
            )
    except IntegrityError as exc:  # another withdrawal took the reference meanwhile
        if _reference_taken(reference):
            raise _reference_reused(reference) from exc
        raise
    return _copy(current, request)


def reject_withdrawal(
    request: WithdrawalRequest, operator: AbstractBaseUser, reason: str
) -> WithdrawalRequest:
    """Not paid out: the amount goes back from the holding account to the wallet
    (journal `withdrawal:{id}:returned`); the reason is shown to the agent. Rejecting
    a rejected request again changes nothing."""
    _check_operator(operator)
    reason = _reason(reason)
    with transaction.atomic():
        current = _lock(WithdrawalRequest, request)
        if current.status == WithdrawalStatus.REJECTED:
            return _copy(current, request)
        _move(current, WithdrawalStatus.REJECTED, WITHDRAWAL_TRANSITIONS, operator, reason=reason)
        _post(
            current,
            "returned",
            Journal.Kind.WITHDRAWAL_RETURNED,
            [(_holding(), -current.amount), (current.agent.wallet_id, current.amount)],
            memo=f"rejected by {operator.get_username()}",
        )
    return _copy(current, request)


# --- reading -------------------------------------------------------------------------------


def get_top_up_request(pk: int | str, *, agent: Agent | None = None) -> TopUpRequest:
    """One request; with `agent`, only if it is that agent's (else RequestNotFound)."""
    return _get(TopUpRequest, pk, agent)


def get_withdrawal_request(pk: int | str, *, agent: Agent | None = None) -> WithdrawalRequest:
    """One request; with `agent`, only if it is that agent's (else RequestNotFound)."""
    return _get(WithdrawalRequest, pk, agent)


def top_up_requests(
    *, agent: Agent | None = None, status: str | None = None
) -> QuerySet[TopUpRequest]:
    """Newest first; the operator's queue is status=submitted (oldest first: reverse)."""
    return _listing(TopUpRequest, agent, status)


def withdrawal_requests(
    *, agent: Agent | None = None, status: str | None = None
) -> QuerySet[WithdrawalRequest]:
    """Newest first; the operator's queue is status=submitted (oldest first: reverse)."""
    return _listing(WithdrawalRequest, agent, status)


def get_operator(username: str) -> AbstractBaseUser:
    """The active staff user of that name (the CLI's --operator), else OperatorNotFound."""
    user = get_user_model().objects.filter(username=username, is_active=True, is_staff=True).first()
    if user is None:
        raise OperatorNotFound(f"no active staff user {username!r}", username=username)
    return user


def request_view(request: Request) -> dict:
    """A request as plain data (CLI, API)."""
    view = {
        "id": request.pk,
        "kind": "top_up" if isinstance(request, TopUpRequest) else "withdrawal",
        "agent": request.agent.user.username,
        "amount": str(request.amount),
        "status": request.status,
        "created_at": request.created_at.isoformat(),
        "decided_at": request.decided_at.isoformat() if request.decided_at else None,
        "decided_by": request.decided_by.get_username() if request.decided_by_id else None,
        "reason": request.reason,
    }
    if isinstance(request, TopUpRequest):
        view.update(reference=request.reference, note=request.note)
    else:
        view.update(payee=request.payee, payout_reference=request.payout_reference or None)
    return view


# --- helpers -------------------------------------------------------------------------------


def _check_operator(operator: AbstractBaseUser | None) -> None:
    ok = operator is not None and operator.is_authenticated
    if not (ok and operator.is_active and getattr(operator, "is_staff", False)):
        raise NotAnOperator("only an active staff user decides top-up and withdrawal requests")


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired("say why: a rejection needs a reason (the agent sees it)")
    if len(reason) > MAX_REASON:
        raise ReasonRequired(f"the reason must be at most {MAX_REASON} characters")
    return reason


def _check_open(model: type[models.Model], agent: Agent) -> None:
    waiting = model.objects.filter(agent=agent, status="submitted").count()
    if waiting >= MAX_OPEN_REQUESTS:
        raise TooManyOpenRequests(
            f"{agent} already has {waiting} requests waiting; at most {MAX_OPEN_REQUESTS}"
        )


def _live_top_up(reference: str) -> QuerySet[TopUpRequest]:
    return TopUpRequest.objects.filter(
        reference=reference, status__in=[TopUpStatus.SUBMITTED, TopUpStatus.APPROVED]
    )


def _reference_used(reference: str) -> TopUpReferenceUsed:
    return TopUpReferenceUsed(
        f"transfer {reference!r} is already claimed by a top-up request waiting or approved",
        reference=reference,
    )


def _reference_taken(reference: str) -> bool:
    return WithdrawalRequest.objects.filter(payout_reference=reference).exists()


def _reference_reused(reference: str) -> WithdrawalReferenceReused:
    return WithdrawalReferenceReused(
        f"payout reference {reference!r} already paid another withdrawal", reference=reference
    )


def _holding() -> int:
    return ledger.system_account_id(ledger.WITHDRAWALS)


def _post(
    request: WithdrawalRequest,
    step: str,
    kind: str,
    lines: list[tuple[int, Decimal]],
    *,
    memo: str = "",
) -> int:
    return ledger.post(
        key=f"withdrawal:{request.pk}:{step}",
        kind=kind,
        reference=f"W{request.pk}",
        lines=lines,
        memo=(f"提现申请 #{request.pk} {memo}").strip()[:255],
    )


def _lock(model: type[models.Model], request: Request) -> Request:
    """The request's current row, locked until commit (PostgreSQL; SQLite serialises
    writers anyway), with its agent."""
    return model.objects.select_for_update().select_related("agent__user").get(pk=request.pk)


def _move(
    current: Request,
    target: str,
    transitions: dict[str, frozenset[str]],
    operator: AbstractBaseUser,
    **fields: object,
) -> None:
    """Compare-and-set the status with who decided and when; refused moves raise
    RequestAlreadyDecided and change nothing."""
    if target not in transitions[current.status]:
        raise RequestAlreadyDecided(
            f"{type(current).__name__} #{current.pk} is {current.status}; it cannot be {target}",
            status=current.status,
        )
    now: datetime = timezone.now()
    changes = {"status": target, "decided_at": now, "decided_by": operator, **fields}
    updated = type(current).objects.filter(pk=current.pk, status=current.status).update(**changes)
    if updated != 1:
        raise RequestAlreadyDecided(f"{type(current).__name__} #{current.pk} was decided meanwhile")
    for name, value in changes.items():
        setattr(current, name, value)


def _copy(current: Request, request: Request) -> Request:
    """The caller's object brought up to date (it may be held by a page or a command)."""
    if current is not request:
        for field in ("status", "decided_at", "decided_by_id", "reason"):
            setattr(request, field, getattr(current, field))
        if isinstance(current, WithdrawalRequest):
            request.payout_reference = current.payout_reference
    return request


def _get(model: type[models.Model], pk: int | str, agent: Agent | None) -> Request:
    rows = model.objects.select_related("agent__user", "decided_by")
    if agent is not None:
        rows = rows.filter(agent=agent)
    try:
        return rows.get(pk=int(pk))
    except (model.DoesNotExist, ValueError, TypeError) as exc:
        raise RequestNotFound(f"no {model._meta.model_name} #{pk}", id=str(pk)) from exc


def _listing(model: type[models.Model], agent: Agent | None, status: str | None) -> QuerySet:
    rows = model.objects.select_related("agent__user", "decided_by")
    if agent is not None:
        rows = rows.filter(agent=agent)
    if status is not None:
        rows = rows.filter(status=status)
    return rows.order_by("-pk")
