"""Order verbs. `place_order` is the whole story of a distributor's purchase; read it
top to bottom. Storefront (end-user) orders use `create_storefront_order` and
`record_payment`; both kinds end through `confirm_receipt`, `release_due_escrow`,
`open_dispute` / `resolve_dispute`.

Every order is scored by risk control (kameng.risk) before money moves, from where it
comes (`Origin`, given by the edge) and what it buys: allowed, it goes on as ever;
blocked, `RiskBlocked` and nothing moves; held, it waits in `review` with its money in
escrow until an operator decides (`approve_review` / `reject_review`).
"""

import dataclasses
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kameng import db, vault
from kameng.agents.errors import AgentInactive
from kameng.agents.models import Agent
from kameng.agents.pricing import (
    Quote,
    StaleQuote,
    check_version,
    forget_quote,
    forget_quotes,
    is_cached,
    sale_quote,
)
from kameng.catalog.errors import OutOfStock
from kameng.catalog.models import Sku
from kameng.catalog.queries import CURRENT_VERSION_SQL
from kameng.errors import DomainError, InvalidInput, ReasonRequired
from kameng.ledger import services as ledger
from kameng.ledger.models import Journal
from kameng.orders import consequences, fulfilment
from kameng.orders.errors import (
    ConfirmWindowClosed,
    DuplicateOutTradeNo,
    IllegalTransition,
    InvalidRechargeAccount,
    NotInReview,
    OrderNotFound,
    PaymentMismatch,
    PriceBelowCost,
)
from kameng.orders.models import Order, OrderEvent
from kameng.orders.states import AWAITING_PAYMENT, Status, can_move
from kameng.outbound import check_callback_url
from kameng.risk import services as risk
from kameng.risk.verdicts import BLOCK, CLI, REVIEW, OrderFacts, Origin, RiskBlocked, Verdict
from kameng.stock import queries as stock_queries
from kameng.text import require_printable


@dataclass(frozen=True)
class Placed:
    order: Order
    created: bool  # False: the same request was seen before and this is its order


def place_order(
    *,
    agent: Agent,
    sku_id: int,
    quantity: int,
    out_trade_no: str,
    recharge_account: str = "",
    callback_url: str = "",
    api_key_id: int | None = None,
    origin: Origin | None = None,
) -> Placed:
    """A distributor buys from its prepaid balance; card codes are delivered at once,
    a direct top-up (`recharge_account`) is handed to a supplier after commit.
    With `callback_url` (open API), each later status change is sent there, signed
    with the secret of `api_key_id`. `origin`: where the order comes from (the edge's
    channel, address, device), for risk control; the CLI's by default.

    Risk control scores it first (before the transaction): blocked → RiskBlocked, the
    attempt recorded and nothing else; held for review → the order is created `review`,
    its money in escrow and its codes reserved (a top-up not started) until an operator
    decides.

    One transaction: insert the order, take the codes (SKIP LOCKED) or open the first
    top-up attempt, move the money from the buyer's balance into escrow, record the
    risk assessment. Any failure rolls all of it back. Idempotent on (agent,
    out_trade_no): the same request again returns the same order (counted once by
    risk control).
    """
    _check_request(quantity, out_trade_no)
    recharge_account = recharge_account.strip()
    callback_url = callback_url.strip()
    if callback_url:
        check_callback_url(callback_url)  # 400 invalid_callback_url: not a public URL
        if api_key_id is None:
            raise InvalidInput("webhooks are signed with an API key: callback_url needs one")
    extra = f"{recharge_account}|{callback_url}" if callback_url else recharge_account
    request_hash = _request_hash(Order.Channel.AGENT, sku_id, quantity, extra)
    # A retry is scored like the first request (it may answer with a block or a hold: the
    # order it repeats is found below), but counted once in the velocity windows.
    assessment = _Assessment.of(
        origin, recharge_account=recharge_account, request_key=f"{agent.pk}:{out_trade_no}"
    )
    try:
        order = _priced_afresh_when_stale(
            lambda: _buy(
                agent,
                sku_id,
                quantity,
                out_trade_no,
                request_hash,
                recharge_account,
                callback=(callback_url, api_key_id),
                assessment=assessment,
            ),
            agent,
            sku_id,
        )
        return Placed(order, created=True)
    except (IntegrityError, DomainError) as exc:
        # A retry, or a racing identical request that committed first (its unique
        # (agent, out_trade_no) row made ours fail, or it took the last stock/funds):
        # answer with that order. A different request under the same number → 409.
        existing = _existing_order(agent, out_trade_no, request_hash)
        if existing is None:
            if isinstance(exc, RiskBlocked) and assessment is not None:
                assessment.refuse()  # the attempt kept for the operator, in its own commit
            raise
        return Placed(existing, created=False)


def _buy(
    agent: Agent,
    sku_id: int,
    quantity: int,
    out_trade_no: str,
    request_hash: str,
    recharge_account: str,
    *,
    callback: tuple[str, int | None] = ("", None),
    assessment: "_Assessment | None" = None,
) -> Order:
    sku, prices = sale_quote(agent, sku_id)  # SkuNotFound / SkuNotSellable
    _check_recharge_account(sku, recharge_account)
    if not agent.active:
        raise AgentInactive("this agent account is disabled")
    fulfil = fulfilment.for_sku(sku)
    # Before any money moves: who delivers (a top-up's supplier; none able → out_of_stock).
    prepared = fulfil.prepare(sku, quantity, prices.top_price)
    now = timezone.now()
    held = False
    if assessment is not None:
        # Risk control decides before the transaction: block → RiskBlocked (nothing
        # taken); review → the order is created held (`review`), delivery waits.
        verdict = assessment.score(agent, sku.pk, quantity, prices.unit_price * quantity, now)
        held = verdict.decision == REVIEW
    delivered = fulfil.immediate and not held
    status = Status.REVIEW if held else Status.DELIVERED if delivered else Status.DELIVERING
    order = _new_order(
        agent,
        Order.Channel.AGENT,
        sku,
        quantity,
        prices,
        now,
        out_trade_no=out_trade_no,
        request_hash=request_hash,
        recharge_account=recharge_account,
        callback_url=callback[0],
        api_key_id=callback[1],
        status=status,
        held_for_review=held,
        paid_at=now,
        delivered_at=now if delivered else None,
        confirm_deadline=_confirm_deadline(now) if delivered else None,
    )
    with transaction.atomic():
        _insert(order, [Status.CREATED, Status.PAID, order.status], now, prices, assessment)
        if held:
            fulfil.reserve(order, now)  # codes held for the operator's decision
        else:
            fulfil.start(order, prepared, now)  # codes taken, or the first attempt opened
        # Last, so the shared escrow row is locked only until the commit right after.
        ledger.post(
            key=f"order:{order.order_no}:pay",
            kind=Journal.Kind.ORDER_PAY,
            reference=order.order_no,
            lines=[(agent.wallet_id, -order.amount), (_escrow_id(order), order.amount)],
        )
    return order


# (sku, quote, quantity) → (unit price, amount): a storefront's price tiers and coupon.
StorefrontPrice = Callable[[Sku, Quote, int], tuple[Decimal, Decimal]]


def create_storefront_order(
    *,
    seller: Agent,
    sku_id: int,
    quantity: int,
    buyer_contact: str = "",
    out_trade_no: str | None = None,
    recharge_account: str = "",
    price: StorefrontPrice | None = None,
    now: datetime | None = None,
    origin: Origin | None = None,
    within: "tuple[Callable[[], None], Callable[[Order], None]] | None" = None,
) -> Placed:
    """An end user orders on `seller`'s storefront; it waits in `created` for payment
    until `payment_deadline` (KAMENG_PAYMENT_WINDOW_MINUTES), its goods held meanwhile
    (card codes reserved; a top-up checked deliverable). No goods → OutOfStock and
    nothing is created.

    The seller's retail price, or `price` (the storefront's tiers and coupon, from the
    quote); never below the seller's own cost (PriceBelowCost).

    Risk control scores it first, before the transaction, from `origin` (the buyer's
    address, device, contact...; the CLI's by default): blocked → RiskBlocked, nothing
    created; held for review → created as usual, and once paid it waits in `review`
    instead of being delivered (`record_payment`).

    `within` = (first, then): what the caller needs in the order's own transaction,
    before the order is inserted and once it exists (the storefront's open-order bound,
    its coupon use, its checkout row). The order's transaction is opened here, so the
    caller must not hold one: a blocked attempt is recorded in its own commit."""
    now = now or timezone.now()
    order_no = _new_order_no(now)
    out_trade_no = out_trade_no or f"web-{order_no}"
    _check_request(quantity, out_trade_no)
    recharge_account = recharge_account.strip()
    request_hash = _request_hash(
        Order.Channel.STOREFRONT, sku_id, quantity, f"{buyer_contact}|{recharge_account}"
    )
    existing = _existing_order(seller, out_trade_no, request_hash)
    if existing is not None:
        return Placed(existing, created=False)
    if not seller.active:
        raise AgentInactive("this storefront's agent account is disabled")
    assessment = _Assessment.of(origin, contact=buyer_contact, recharge_account=recharge_account)
    first, then = within or (None, None)

    def create() -> Order:
        sku, prices = sale_quote(seller, sku_id, retail=True)
        _check_recharge_account(sku, recharge_account)
        unit_price, amount = (
            price(sku, prices, quantity)
            if price is not None
            else (prices.unit_price, prices.unit_price * quantity)
        )
        own_cost = prices.links[-1].unit_price * quantity
        if amount < own_cost:
            raise PriceBelowCost(f"{amount} is below the seller's own cost {own_cost}")
        held = False
        if assessment is not None:
            verdict = assessment.score(seller, sku.pk, quantity, amount, now)
            held = verdict.decision == REVIEW
        order = _new_order(
            seller,
            Order.Channel.STOREFRONT,
            sku,
            quantity,
            prices,
            now,
            order_no=order_no,
            unit_price=unit_price,
            amount=amount,
            out_trade_no=out_trade_no,
            request_hash=request_hash,
            buyer_contact=buyer_contact[:128],
            recharge_account=recharge_account,
            status=Status.CREATED,
            held_for_review=held,
            payment_deadline=now + timedelta(minutes=settings.KAMENG_PAYMENT_WINDOW_MINUTES),
        )
        with transaction.atomic():
            if first is not None:
                first()
            _insert(order, [Status.CREATED], now, prices, assessment)
            fulfilment.for_sku(sku).reserve(order, now)
            if then is not None:
                then(order)
        return order

    try:
        order = _priced_afresh_when_stale(create, seller, sku_id, retail=True)
    except IntegrityError:
        existing = _existing_order(seller, out_trade_no, request_hash)
        if existing is None:
            raise
        return Placed(existing, created=False)
    except RiskBlocked:
        if assessment is not None:
            assessment.refuse()  # the attempt kept for the operator, in its own commit
        raise
    return Placed(order, created=True)


def expire_unpaid(now: datetime | None = None, limit: int = 500) -> int:
    """Storefront orders whose payment window passed unpaid: `expired`, their held codes
    back on sale. Each order is its own transaction; safe to run concurrently and twice.
    A payment that still arrives pays the order (`record_payment`)."""
    now = now or timezone.now()
    due = list(
        Order.objects.filter(status=Status.CREATED, payment_deadline__lte=now)
        .order_by("payment_deadline")
        .values_list("pk", flat=True)[:limit]
    )
    expired = 0
    for pk in due:
        order = Order.objects.select_related("sku").get(pk=pk)
        try:
            with transaction.atomic():
                _transition(order, Status.EXPIRED, now, note="payment window passed")
                fulfilment.for_sku(order.sku).release(order)
        except IllegalTransition:
            continue  # paid meanwhile
        expired += 1
    return expired


def record_payment(*, order_no: str, amount: Decimal, payment_ref: str) -> Order:
    """The gateway says the end user paid: money into escrow, then deliver the codes
    (those held for the order, or any still in stock when its window had passed) or
    start the top-up. No goods left → the order fails and the payment is refunded, in
    the same transaction. An order risk control held: `review` instead, its codes still
    held for it, until an operator decides (`approve_review` / `reject_review`).

    Safe to call again with the same payment: the order as it is. A different payment of
    an order already paid → IllegalTransition (the caller refunds it)."""
    order = get_order(order_no)
    if order.channel != Order.Channel.STOREFRONT:
        raise InvalidInput("only storefront orders are paid through a gateway")
    if amount != order.amount:
        raise PaymentMismatch(f"paid {amount}, order {order_no} costs {order.amount}")
    for _ in range(3):  # the window may close (or a twin may pay) while we try
        if order.status not in AWAITING_PAYMENT:
            if order.payment_ref == payment_ref:
                return order  # a repeated notification
            raise IllegalTransition(f"order {order_no} is {order.status}, not awaiting payment")
        now = timezone.now()
        try:
            with transaction.atomic():
                _pay_and_deliver(order, amount, payment_ref, now)
            return order
        except (IllegalTransition, IntegrityError):
            # Expired, or paid by a twin notification, meanwhile: look again.
            order.refresh_from_db()
    raise IllegalTransition(f"order {order_no} kept changing; try again")


def _pay_and_deliver(order: Order, amount: Decimal, payment_ref: str, now: datetime) -> None:
    """Escrow the payment and deliver the codes (or start the top-up); nothing left to
    deliver → fail and refund. Held by risk control: `review`, nothing delivered."""
    before = order.status
    _transition(order, Status.PAID, now, payment_ref=payment_ref, paid_at=now)
    ledger.post(
        key=f"order:{order.order_no}:pay",
        kind=Journal.Kind.ORDER_PAY,
        reference=order.order_no,
        lines=[(ledger.system_account_id(ledger.PAYMENTS), -amount), (_escrow_id(order), amount)],
    )
    if order.held_for_review:
        _hold_for_review(order, now, codes_released=before == Status.EXPIRED)
    else:
        _deliver_paid(order, now)


def _hold_for_review(order: Order, now: datetime, *, codes_released: bool) -> None:
    """A paid storefront order risk control held: it waits in `review` with its codes
    (those reserved at checkout; paid after its window, taken again now). No goods left
    → fail and refund, as for any paid order."""
    fulfil = fulfilment.for_sku(order.sku)
    try:
        with transaction.atomic():
            if codes_released:  # paid after its window: its codes went back to stock
                fulfil.reserve(order, now)
    except (OutOfStock, PriceBelowCost) as exc:
        _transition(order, Status.FAILED, now, note=exc.code)
        _refund(order, now)
        return
    _transition(order, Status.REVIEW, now, note="risk control: held for review")


def _deliver_paid(order: Order, now: datetime, *, note: str = "") -> None:
    """Deliver a paid order (its codes, or the top-up started); no goods → fail (codes
    still held for it back on sale) and refund."""
    fulfil = fulfilment.for_sku(order.sku)
    try:
        with transaction.atomic():  # a savepoint: goods that cannot be had keep the payment
            prepared = fulfil.prepare(order.sku, order.quantity, order.platform_unit_price)
            fulfil.start(order, prepared, now)  # the codes held for it first, or the top-up
    except (OutOfStock, PriceBelowCost) as exc:
        _transition(order, Status.FAILED, now, note=f"{note}; {exc.code}" if note else exc.code)
        fulfil.release(order)
        _refund(order, now)
        return
    if fulfil.immediate:
        _transition(
            order,
            Status.DELIVERED,
            now,
            note=note,
            delivered_at=now,
            confirm_deadline=_confirm_deadline(now),
        )
    else:
        _transition(order, Status.DELIVERING, now, note=note)


def confirm_receipt(order: Order) -> Order:
    """The buyer confirms it got what it paid for: release escrow along the chain.

    Also from `disputed`: a buyer may withdraw its own complaint (the goods worked after
    all) before the operator decides; it is the buyer's money either way."""
    note = "complaint withdrawn; confirmed by buyer" if order.status == Status.DISPUTED else ""
    with transaction.atomic():
        _transition(order, Status.COMPLETED, timezone.now(), note=note or "confirmed by buyer")
        _settle(order)
    return order


def release_due_escrow(now: datetime | None = None, limit: int = 500) -> int:
    """Auto-confirm delivered orders whose confirmation window has passed without a
    complaint. Each order is its own transaction; safe to run concurrently and twice."""
    now = now or timezone.now()
    due = list(
        Order.objects.filter(status=Status.DELIVERED, confirm_deadline__lte=now)
        .order_by("confirm_deadline")
        .values_list("pk", flat=True)[:limit]
    )
    released = 0
    for pk in due:
        order = Order.objects.get(pk=pk)
        try:
            with transaction.atomic():
                _transition(order, Status.COMPLETED, now, note="confirmation window passed")
                _settle(order)
        except IllegalTransition:
            continue  # confirmed, disputed or released by someone else meanwhile
        released += 1
    return released


def open_dispute(order: Order, reason: str) -> Order:
    """The buyer complains before the window closes; escrow stays held."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("say what is wrong with the order")
    now = timezone.now()
    if order.status == Status.DELIVERED and order.confirm_deadline and order.confirm_deadline < now:
        raise ConfirmWindowClosed(f"the confirmation window of {order.order_no} has closed")
    _transition(order, Status.DISPUTED, now, note=reason[:255], dispute_reason=reason)
    return order


def resolve_dispute(order: Order, *, upheld: bool, note: str = "", operator: str = "") -> Order:
    """Operator decision: upheld → refund the payer, codes marked invalid; otherwise
    the sale stands and escrow is released. The order's history keeps why and who."""
    now = timezone.now()
    note = (note.strip() or ("dispute upheld" if upheld else "dispute rejected"))[:200]
    if operator:
        note = f"{note} (by {operator})"
    with transaction.atomic():
        if upheld:
            _transition(order, Status.REFUNDED, now, note=note, closed_at=now)
            fulfilment.for_sku(order.sku).withdraw(order)
            _post_refund(order)
        else:
            _transition(order, Status.COMPLETED, now, note=note)
            _settle(order)
    return order


def approve_review(order: Order, *, by: str, note: str = "") -> Order:
    """Operator decision on an order risk control held: it goes on exactly as an
    allowed order would have (its reserved codes delivered, or the top-up started); the
    goods no longer to be had → failed and refunded. Kept as a `normal` label for the
    next training. Decided once: a second decision → NotInReview."""
    note = " ".join((note or "").split())[:200]
    now = timezone.now()
    with transaction.atomic():
        order = _in_review(order)
        history = f"risk review approved by {by}" + (f": {note}" if note else "")
        _deliver_paid(order, now, note=history[:255])
        risk.label(order.order_no, "normal", by=by, note=note)
    return order


def reject_review(order: Order, *, by: str, reason: str) -> Order:
    """Operator decision on an order risk control held: refused, the money back to its
    payer (the agent's prepaid balance; a storefront buyer through the gateway's
    refund), its reserved codes back on sale. Kept as a `fraud` label for the next
    training. The reason is required (ReasonRequired); decided once (NotInReview)."""
    reason = " ".join((reason or "").split())[:200]
    if not reason:
        raise ReasonRequired("rejecting a held order needs a reason")
    now = timezone.now()
    with transaction.atomic():
        order = _in_review(order)
        note = f"risk review rejected by {by}: {reason}"[:255]
        _transition(order, Status.REFUNDED, now, note=note, closed_at=now)
        fulfilment.for_sku(order.sku).release(order)
        _post_refund(order)
        risk.label(order.order_no, "fraud", by=by, note=reason)
    return order


def _in_review(order: Order) -> Order:
    """The order, its row locked (decisions on one order take turns), if it still waits
    for a risk review; else NotInReview (decided already, or never held)."""
    current = (
        Order.objects.select_for_update(of=("self",))
        .select_related("sku", "agent")
        .filter(pk=order.pk)
        .first()
    )
    if current is None or current.status != Status.REVIEW:
        status = current.status if current is not None else "gone"
        raise NotInReview(
            f"order {order.order_no} is {status}: it is not waiting for a risk review",
            order_no=order.order_no,
            status=status,
        )
    return current


def deliver_direct(order: Order, now: datetime, *, note: str = "topped up") -> None:
    """A supplier topped the account up: the confirmation window starts. Runs inside
    the caller's transaction (kameng.topup decides)."""
    _transition(
        order,
        Status.DELIVERED,
        now,
        note=note[:255],
        delivered_at=now,
        confirm_deadline=_confirm_deadline(now),
    )


def fail_direct(order: Order, now: datetime, *, note: str) -> None:
    """No supplier could top the account up: fail and refund, in the caller's
    transaction."""
    _transition(order, Status.FAILED, now, note=note[:255])
    _refund(order, now)


def add_note(order: Order, now: datetime, note: str) -> None:
    """Something worth the order's history happened without a status change (a top-up
    escalated to the operator, an operator's query): an event from its status to itself."""
    OrderEvent.objects.create(
        order=order, from_status=order.status, to_status=order.status, note=note[:255], at=now
    )


def reveal_cards(order: Order, viewer: Agent) -> list[tuple[str, str]]:
    """Decrypted (code, secret) pairs, for the order's own agent only."""
    if order.agent_id != viewer.pk:
        raise OrderNotFound(f"order {order.order_no} not found")
    return [(code, vault.decrypt(token)) for code, token in stock_queries.order_cards(order.pk)]


def get_order(order_no: str, *, agent: Agent | None = None, channel: str | None = None) -> Order:
    """Load an order; with `agent` (and `channel`), only if it is that agent's (and came
    through that channel), else: not found."""
    rows = Order.objects.filter(order_no=order_no)
    if agent is not None:
        rows = rows.filter(agent=agent)
    if channel is not None:
        rows = rows.filter(channel=channel)
    order = rows.first()
    if order is None:
        raise OrderNotFound(f"order {order_no} not found", order_no=order_no)
    return order


# --- money ------------------------------------------------------------------------------


def _settle(order: Order) -> None:
    """Escrow → supplier cost, each agent's spread, the platform's fee."""
    # A top-up owes the supplier that delivered it; a card order, the cards' suppliers.
    costs = fulfilment.for_sku(order.sku).supplier_costs(order)
    fee = order.platform_gross - sum((cost for _, cost in costs), Decimal(0))
    lines = [(_escrow_id(order), -order.amount)]
    lines += [(int(account_id), Decimal(amount)) for account_id, amount in order.spreads]
    lines += costs
    lines.append((ledger.system_account_id(ledger.REVENUE), fee))
    ledger.post(
        key=f"order:{order.order_no}:settle",
        kind=Journal.Kind.ORDER_SETTLE,
        reference=order.order_no,
        lines=lines,
    )


def _refund(order: Order, now: datetime) -> None:
    _transition(order, Status.REFUNDED, now, closed_at=now)
    _post_refund(order)


def _post_refund(order: Order) -> None:
    payer = (
        order.agent.wallet_id
        if order.channel == Order.Channel.AGENT
        else ledger.system_account_id(ledger.PAYMENTS)
    )
    ledger.post(
        key=f"order:{order.order_no}:refund",
        kind=Journal.Kind.ORDER_REFUND,
        reference=order.order_no,
        lines=[(_escrow_id(order), -order.amount), (payer, order.amount)],
    )


def _escrow_id(order: Order) -> int:
    """The escrow account the order's money sits in (orders from before escrow was
    split: the first one)."""
    return order.escrow_account_id or ledger.system_account_id(ledger.ESCROW)


# --- state ------------------------------------------------------------------------------


def _transition(order: Order, target: str, now: datetime, *, note: str = "", **fields) -> None:
    """Compare-and-set the status; zero rows updated means someone else moved it first."""
    current = order.status
    if not can_move(current, target):
        raise IllegalTransition(f"order {order.order_no} cannot go from {current} to {target}")
    updated = Order.objects.filter(pk=order.pk, status=current).update(status=target, **fields)
    if updated != 1:
        order.refresh_from_db()
        raise IllegalTransition(
            f"order {order.order_no} moved to {order.status} meanwhile; {target} refused"
        )
    order.status = target
    for name, value in fields.items():
        setattr(order, name, value)
    OrderEvent.objects.create(order=order, from_status=current, to_status=target, note=note, at=now)
    consequences.status_changed(order, current, now)  # webhooks, ...: the list is there


def _priced_afresh_when_stale(
    buy: Callable[[], Order], agent: Agent, sku_id: int, *, retail: bool = False
) -> Order:
    """Run `buy` (which prices the order with `sale_quote` and inserts it); if the
    quote was stale (a price changed since this process cached it), its transaction
    has rolled back: forget the cached quotes and buy again, priced afresh.

    A refusal judged on a cached quote before the transaction could check its version
    (the SKU's kind for a recharge account, a price for a supplier's cost) is judged
    once more on a fresh quote: the SKU may have changed since it was cached."""
    for _ in range(2):
        cached = is_cached(agent, sku_id, retail=retail)
        try:
            return buy()
        except StaleQuote:
            forget_quotes()
        except DomainError:
            if not cached:
                raise
            forget_quote(agent, sku_id, retail=retail)
    return buy()  # priced straight from the database twice and still raced: rare


def _insert(
    order: Order,
    path: list[str],
    now: datetime,
    prices: Quote,
    assessment: "_Assessment | None" = None,
) -> None:
    """INSERT a new order with the history of the states it starts in (several, when it
    is paid and delivered in the same transaction) and its risk assessment: one
    statement on PostgreSQL. The same statement reads the quote version back: a quote
    that went stale meanwhile raises StaleQuote (the caller's transaction rolls back)."""
    previous = ""
    params: list = []
    for status in path:
        assert not previous or can_move(previous, status), f"{previous} → {status}"
        params += [previous, status, db.db_datetime(now)]
        previous = status
    values = ", ".join(["({id}, %s, %s, '', %s)"] * len(path))
    history = (
        "INSERT INTO orders_orderevent (order_id, from_status, to_status, note, at)"
        f" VALUES {values}"
    )
    then = [(history, params)]
    if assessment is not None:
        then.append(assessment.statement(order.order_no))
    check_version(prices, db.insert(order, then=then, read_back=CURRENT_VERSION_SQL))


# --- helpers ----------------------------------------------------------------------------


class _Assessment:
    """One order's risk assessment: scored once before its transaction (a retry priced
    afresh is not counted twice), recorded inside it with the order, or on its own when
    risk control refused the order (`refuse`)."""

    def __init__(self, origin: Origin, request_key: str = "") -> None:
        self.origin = origin
        self.request_key = request_key
        self.verdict: Verdict | None = None
        self.facts: OrderFacts | None = None

    @classmethod
    def of(
        cls,
        origin: Origin | None,
        *,
        contact: str = "",
        recharge_account: str = "",
        request_key: str = "",
    ) -> "_Assessment | None":
        """None when scoring is off (KAMENG_RISK_ENABLED). What the order itself says
        (contact, recharge account) fills what the edge left empty."""
        if not settings.KAMENG_RISK_ENABLED:
            return None
        origin = origin or Origin(channel=CLI)
        if (contact and not origin.contact) or (recharge_account and not origin.recharge_account):
            origin = dataclasses.replace(
                origin,
                contact=origin.contact or contact,
                recharge_account=origin.recharge_account or recharge_account,
            )
        return cls(origin, request_key)

    def score(self, seller: Agent, sku_id: int, quantity: int, amount: Decimal, now) -> Verdict:
        """The verdict; blocked → RiskBlocked (its message names no rule)."""
        if self.verdict is None:
            self.facts = OrderFacts(
                origin=self.origin,
                seller_id=seller.pk,
                seller=_username(seller),
                sku_id=sku_id,
                quantity=quantity,
                amount=amount,
                at=now,
                request_key=self.request_key,
            )
            self.verdict = risk.score(self.facts)
        if self.verdict.decision == BLOCK:
            raise RiskBlocked("the order was refused by risk control")
        return self.verdict

    def statement(self, order_no: str) -> tuple[str, list]:
        """The INSERT the order's own statement runs: the assessment commits with it."""
        assert self.verdict is not None and self.facts is not None
        return risk.record_statement(self.verdict, self.facts, order_no=order_no)

    def refuse(self) -> None:
        """A blocked attempt, kept for the operator in its own small transaction (no
        order exists). Inside a caller's transaction it commits with that one."""
        if self.verdict is not None and self.facts is not None:
            with transaction.atomic():
                risk.record(self.verdict, self.facts, order_no="")


_USERNAMES: dict[int, str] = {}


def _username(agent: Agent) -> str:
    """The agent's username without a query per order (the open API loads agents
    without their user; a username does not change)."""
    if "user" in agent._state.fields_cache:
        return agent.user.username
    name = _USERNAMES.get(agent.user_id)
    if name is None:
        if len(_USERNAMES) > 10_000:
            _USERNAMES.clear()
        name = _USERNAMES[agent.user_id] = agent.user.username
    return name


def _check_request(quantity: int, out_trade_no: str) -> None:
    limit = settings.KAMENG_MAX_ORDER_QUANTITY
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= limit:
        raise InvalidInput(f"quantity must be a whole number from 1 to {limit}")
    require_printable(out_trade_no, "out_trade_no")
    if out_trade_no != out_trade_no.strip():
        raise InvalidInput("out_trade_no must not begin or end with spaces")


_ACCOUNT = re.compile(r"[0-9A-Za-z_@.+-]{3,64}")


def _check_recharge_account(sku: Sku, account: str) -> None:
    """A direct top-up needs the account to top up; a card order must not carry one."""
    if sku.kind == Sku.Kind.DIRECT and not _ACCOUNT.fullmatch(account):
        raise InvalidRechargeAccount(
            "a direct top-up needs the account to top up: 3–64 letters, digits or _@.+-"
        )
    if sku.kind == Sku.Kind.CARD and account:
        raise InvalidRechargeAccount("this SKU delivers card codes; it takes no account")


def _request_hash(channel: str, sku_id: int, quantity: int, extra: str) -> str:
    return hashlib.sha256(f"{channel}|{sku_id}|{quantity}|{extra}".encode()).hexdigest()


def _existing_order(agent: Agent, out_trade_no: str, request_hash: str) -> Order | None:
    order = Order.objects.filter(agent=agent, out_trade_no=out_trade_no).first()
    if order is not None and order.request_hash != request_hash:
        raise DuplicateOutTradeNo(
            f"out_trade_no {out_trade_no!r} was already used for a different order",
            order_no=order.order_no,
        )
    return order


def _new_order(
    agent: Agent,
    channel: str,
    sku: Sku,
    quantity: int,
    prices: Quote,
    now: datetime,
    *,
    order_no: str = "",
    unit_price: Decimal | None = None,
    amount: Decimal | None = None,
    **fields,
) -> Order:
    """An order at `prices` (the split of escrow fixed now), not yet saved; a storefront
    may charge its own `unit_price` and `amount` (tiers, coupon) above the seller's cost."""
    order_no = order_no or _new_order_no(now)
    unit_price = prices.unit_price if unit_price is None else unit_price
    amount = unit_price * quantity if amount is None else amount
    return Order(
        order_no=order_no,
        agent=agent,
        channel=channel,
        sku=sku,
        quantity=quantity,
        unit_price=unit_price,
        amount=amount,
        spreads=_spreads_json(prices, quantity, amount),
        platform_gross=prices.top_price * quantity,
        escrow_account_id=ledger.escrow_account_id(order_no),
        created_at=now,
        **fields,
    )


def _new_order_no(now: datetime) -> str:
    return f"K{timezone.localtime(now):%y%m%d%H%M%S}{secrets.randbelow(10**12):012d}"


def _confirm_deadline(now: datetime) -> datetime:
    return now + timedelta(hours=settings.KAMENG_ESCROW_CONFIRM_HOURS)


def _spreads_json(prices: Quote, quantity: int, amount: Decimal | None = None) -> list[list]:
    return [[account_id, str(earned)] for account_id, earned in prices.spreads(quantity, amount)]


def supplier_reply(order: Order, *, supplier: str, text: str) -> OrderEvent:
    """A supplier's answer to a complaint about its goods (what it checked, what it
    found), kept in the order's history for the operator who decides the dispute.
    Taken only while the order is disputed (IllegalTransition after the decision);
    one line of at most 200 printable characters (InvalidInput)."""
    text = require_printable(" ".join((text or "").split()), "reply", limit=200)
    with transaction.atomic():
        current = Order.objects.select_for_update().only("pk", "status").get(pk=order.pk)
        if current.status != Status.DISPUTED:
            raise IllegalTransition(
                f"order {order.order_no} is {current.status}; a supplier replies only "
                "while it is disputed"
            )
        return OrderEvent.objects.create(
            order_id=current.pk,
            from_status=current.status,
            to_status=current.status,
            note=f"供应商说明（{supplier}）：{text}"[:255],
            at=timezone.now(),
        )
