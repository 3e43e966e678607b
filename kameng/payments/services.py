"""Taking a storefront order's payment through the operator's gateway, and giving money
back through it. The gateway classes (kameng.payments.gateways) only speak the protocol;
this module decides what what they heard means for an order.

Rules the code keeps (the ways 发卡 sites lose money, /work/shared/PROTOCOLS.md):
- a notify is verified over exactly the parameters received, must be for our merchant,
  say TRADE_SUCCESS, name an order of ours, and carry exactly that order's amount;
  anything else changes nothing, is recorded (GatewayEvent) and answered `fail`;
- one gateway trade pays one order once: the Payment moves pending → paid by
  compare-and-set, with the trade's number (unique), and the order is paid through
  orders.services.record_payment in the same transaction; repeats are answered
  `success` (only ever after that commit) and change nothing;
- money is never lost: a second trade for an order already paid (the buyer paid twice),
  or a trade for an order that can no longer be paid, is recorded and refunded through
  the gateway; a late payment for an expired order is delivered while stock lasts, else
  the order is refunded (orders decides) and so is the trade (the listener);
- notifies are not trusted to arrive: unpaid payments are queried on a back-off, and a
  trade seen only by query pays exactly like a notify;
- a refund whose outcome is unknown is asked about (query) before it is sent again; one
  the gateway refused stays `failed` for the operator (retry_refund).
Talking to the gateway happens outside any transaction.
"""

import contextlib
import logging
import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from kameng import guards, vault
from kameng.errors import DomainError, ReasonRequired
from kameng.orders import services as orders
from kameng.orders.errors import IllegalTransition, PaymentMismatch
from kameng.orders.models import Order
from kameng.orders.states import AWAITING_PAYMENT, Status
from kameng.payments.errors import (
    GatewayNotConfigured,
    InvalidGatewayConfig,
    InvalidTradeNo,
    MalformedNotify,
    NotifiesThrottled,
    NotifyTooLarge,
    OperatorNotFound,
    OrderNotPayable,
    PaymentAlreadyPaid,
    PaymentNotFound,
    PaymentTypeNotOffered,
    PaymentUnavailable,
    RefundNotFailed,
    RefundNotFound,
    TradeNoTaken,
    UnknownGatewayName,
)
from kameng.payments.gateways import (
    REGISTRY,
    TYPE_LABELS,
    ForgedNotify,
    GatewayAccount,
    GatewayUnreachable,
    InvalidGatewayAccount,
    InvalidPaymentRequest,
    Notify,
    PaymentGateway,
    PaymentRedirect,
    PaymentRequest,
    PaymentState,
    gateway_for,
)
from kameng.payments.models import GatewayConfig, GatewayEvent, Payment, Refund
from kameng.payments.states import (
    PaymentStatus,
    RefundStatus,
    payment_can_move,
    refund_can_move,
)
from kameng.risk import services as risk
from kameng.risk.models import Assessment
from kameng.risk.verdicts import STOREFRONT, Origin
from kameng.text import is_printable, require_printable

log = logging.getLogger(__name__)

Kind = GatewayEvent.Kind
Outcome = GatewayEvent.Outcome
Via = Payment.Via

DEFAULT_GATEWAY = "epay"
# The buyer's page after paying, served by the storefront (it calls handle_return).
RETURN_PATH = "/pay/return/{gateway}/"
# Failed notifies counted per address (+ the address), for the 429 limit.
FAILED_NOTIFIES_KEY = "kameng:notify:failed:"
EVENT_PARAMS_CHARS = 500
MAX_REASON = 1000
# A notify handled to one of these is answered `success`: nothing more to tell us.
ACKNOWLEDGED = frozenset(
    {Outcome.PAID, Outcome.DUPLICATE, Outcome.SECOND_TRADE, Outcome.NOT_PAYABLE}
)


# --- configuration ----------------------------------------------------------------------


def configure_gateway(
    name: str,
    *,
    url: str,
    pid: str,
    key: str | None,
    types: str | Sequence[str] = ("alipay", "wxpay"),
    enabled: bool = True,
) -> GatewayConfig:
    """Set a gateway's merchant account, refused (InvalidGatewayConfig) before anything
    is stored if it cannot work or cannot be safe: an empty or short key signs for
    anybody. `key=None` keeps the stored key (the admin's write-only field)."""
    if key is not None:  # refused before the database is touched
        check_gateway_config(name, url=url, pid=pid, key=key, types=types)
    with transaction.atomic():
        config = GatewayConfig.objects.select_for_update().filter(name=name).first()
        account = check_gateway_config(name, url=url, pid=pid, key=key, types=types, config=config)
        if config is None:
            config = GatewayConfig(name=name)
        config.url = account.url
        config.pid = account.pid
        config.types = ",".join(account.types)
        config.enabled = enabled
        config.key_encrypted = vault.encrypt(account.key)
        config.save()
    log.info("payment gateway %s configured: %s, pid %s", name, config.url, config.pid)
    return config


def check_gateway_config(
    name: str,
    *,
    url: str,
    pid: str,
    key: str | None,
    types: str | Sequence[str],
    config: GatewayConfig | None = None,
) -> GatewayAccount:
    """The account configure_gateway would store, or why not (InvalidGatewayConfig,
    UnknownGatewayName); stores nothing. `key=None` takes `config`'s stored key."""
    cls = REGISTRY.get(name)
    if cls is None:
        known = ", ".join(sorted(REGISTRY))
        raise UnknownGatewayName(f"unknown payment gateway {name!r}; known: {known}")
    if key is None:
        if config is None or not config.key_encrypted:
            raise InvalidGatewayConfig("the merchant key is required")
        key = vault.decrypt(config.key_encrypted, f"the {name} merchant key")
    if isinstance(types, str):
        types = types.split(",")
    wanted = tuple(dict.fromkeys(t.strip() for t in types if t.strip()))
    account = GatewayAccount(url=url.strip(), pid=pid.strip(), key=key, types=wanted)
    try:
        cls.check_account(account)
    except InvalidGatewayAccount as exc:
        raise InvalidGatewayConfig(str(exc)) from exc
    return account


def gateway(name: str = DEFAULT_GATEWAY) -> PaymentGateway:
    """The enabled gateway `name` with the operator's account. GatewayNotConfigured;
    SecretUnreadable if its key cannot be decrypted (keys changed without rotation)."""
    # A name from a URL may hold anything (a NUL cannot even be looked up on PostgreSQL).
    config = (
        GatewayConfig.objects.filter(name=name, enabled=True).first()
        if is_printable(name, limit=32)
        else None
    )
    if config is None:
        raise GatewayNotConfigured(f"payment gateway {_excerpt(name, 32)!r} is not configured")
    return _gateway_from(config)


def _gateway_from(config: GatewayConfig) -> PaymentGateway:
    key = vault.decrypt(config.key_encrypted, f"the {config.name} merchant key")
    account = GatewayAccount(config.url, config.pid, key, tuple(config.type_list))
    try:
        return gateway_for(config.name, account, timeout=settings.KAMENG_PAYMENT_GATEWAY_TIMEOUT)
    except KeyError as exc:  # UnknownGateway: a protocol removed from the code
        raise UnknownGatewayName(str(exc)) from exc
    except InvalidGatewayAccount as exc:  # stored before a stricter check existed
        raise InvalidGatewayConfig(str(exc)) from exc


def offered_types() -> list[tuple[str, str]]:
    """(type, label) of every payment type an enabled gateway offers, for the buyer."""
    offered: dict[str, str] = {}
    for config in GatewayConfig.objects.filter(enabled=True).order_by("name"):
        for kind in config.type_list:
            offered.setdefault(kind, TYPE_LABELS.get(kind, kind))
    return list(offered.items())


def _config_offering(kind: str) -> GatewayConfig:
    configs = list(GatewayConfig.objects.filter(enabled=True).order_by("name"))
    if not configs:
        raise GatewayNotConfigured("no payment gateway is configured")
    for config in configs:
        if kind in config.type_list:
            return config
    raise PaymentTypeNotOffered(f"payment type {kind!r} is not offered", type=kind[:16])


def notify_url(name: str) -> str:
    return settings.KAMENG_PUBLIC_URL + reverse("payments:notify", args=[name])


def return_url(name: str) -> str:
    return settings.KAMENG_PUBLIC_URL + RETURN_PATH.format(gateway=name)


# --- starting a payment -----------------------------------------------------------------


def start_payment(
    order: Order, *, type: str, client_ip: str, sitename: str = ""
) -> PaymentRedirect:
    """The signed form that sends the buyer's browser to the gateway (submit.php);
    `sitename` (the shop's name) is what the gateway's cashier page shows.

    Only a storefront order still in its payment window. The order's Payment is written
    first (its first query scheduled), so a trade the buyer makes is found even if no
    notify ever comes; asked again, the same Payment is reused (the type may change
    while unpaid) and the gateway sees the same out_trade_no (the order number)."""
    now = timezone.now()
    if order.channel != Order.Channel.STOREFRONT:
        raise OrderNotPayable(f"order {order.order_no} is not a storefront order")
    if order.status != Status.CREATED or (
        order.payment_deadline is not None and order.payment_deadline <= now
    ):
        raise OrderNotPayable(
            f"order {order.order_no} is {order.status}, not awaiting payment",
            order_no=order.order_no,
            status=order.status,
        )
    config = _config_offering(type)
    try:
        gw = _gateway_from(config)
    except vault.SecretUnreadable as exc:
        raise PaymentUnavailable(f"payment gateway {config.name}: {exc.message}") from exc
    payment = _open_payment(order, config.name, type, now)
    request = PaymentRequest(
        out_trade_no=order.order_no,
        amount=payment.amount,
        name=_goods_name(order),
        type=type,
        notify_url=notify_url(config.name),
        return_url=return_url(config.name),
        client_ip=client_ip if is_printable(client_ip) else "",
        sitename=sitename if is_printable(sitename) else "",
    )
    try:
        return gw.page_payment(request)
    except InvalidPaymentRequest as exc:  # our own settings (KAMENG_PUBLIC_URL), not the buyer
        log.error("payment of %s cannot be requested: %s", order.order_no, exc)
        raise PaymentUnavailable(f"the payment request is refused: {exc}") from exc


def _open_payment(order: Order, gateway_name: str, kind: str, now: datetime) -> Payment:
    payment = Payment.objects.filter(order=order).first()
    if payment is None:
        try:
            with transaction.atomic():
                return Payment.objects.create(
                    order=order,
                    gateway=gateway_name,
                    type=kind,
                    amount=order.amount,
                    created_at=now,
                    next_query_at=now + timedelta(seconds=settings.KAMENG_PAYMENT_QUERY_DELAYS[0]),
                )
        except IntegrityError:  # a twin request created it first
            payment = Payment.objects.get(order=order)
    if payment.status != PaymentStatus.PENDING:
        raise OrderNotPayable(f"order {order.order_no} is paid already", order_no=order.order_no)
    if (payment.gateway, payment.type) != (gateway_name, kind):
        Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PENDING).update(
            gateway=gateway_name, type=kind
        )
        payment.gateway, payment.type = gateway_name, kind
    return payment


def _goods_name(order: Order) -> str:
    sku = order.sku
    name = f"{sku.product.name} {sku.name}"
    if order.quantity > 1:
        name += f" ×{order.quantity}"
    return "".join(ch for ch in name if ch.isprintable())[:127].strip() or order.order_no


# --- notifies ---------------------------------------------------------------------------


def receive_notify(
    gateway_name: str, *, query: bytes, body: bytes | None, content_type: str, remote_ip: str
) -> bool:
    """The notify endpoint: a bounded read of the raw request, then handle_notify.

    `body` is None when it was larger than KAMENG_PAYMENT_NOTIFY_MAX_BYTES (left
    unread). Too large → NotifyTooLarge (413); not a flat list of UTF-8 parameters,
    more than KAMENG_PAYMENT_NOTIFY_MAX_PARAMS, a NUL, a name twice → MalformedNotify
    (400). Each refusal is recorded and counted against its address (NotifiesThrottled)."""
    limit = settings.KAMENG_PAYMENT_NOTIFY_MAX_BYTES
    if body is None or len(body) > limit or len(query) > limit:
        _refuse(gateway_name, Outcome.TOO_LARGE, remote_ip, f"more than {limit} bytes")
        raise NotifyTooLarge(f"a notify may have at most {limit} bytes")
    try:
        params = parse_notify(query, body, content_type)
    except MalformedNotify as exc:
        raw = (query + b" " + body)[: EVENT_PARAMS_CHARS * 4].decode("utf-8", "replace")
        _refuse(gateway_name, Outcome.MALFORMED, remote_ip, exc.message, raw_params=raw)
        raise
    return handle_notify(gateway_name, params, remote_ip)


FORM_TYPES = frozenset({"", "application/x-www-form-urlencoded"})


def parse_notify(query: bytes, body: bytes, content_type: str) -> dict[str, str]:
    """The parameters of a query string plus a form body, checked before anything is
    decoded: at most KAMENG_PAYMENT_NOTIFY_MAX_PARAMS of them; each name once; UTF-8;
    no NUL. Raises MalformedNotify."""
    kind = content_type.split(";")[0].strip().lower()
    if body and kind not in FORM_TYPES:
        raise MalformedNotify(f"a notify is form-encoded, not {kind[:64]!r}")
    most = settings.KAMENG_PAYMENT_NOTIFY_MAX_PARAMS
    pieces = [p for raw in (query, body) if raw for p in raw.split(b"&") if p]
    if len(pieces) > most:
        raise MalformedNotify(f"more than {most} parameters")
    params: dict[str, str] = {}
    for piece in pieces:
        raw_name, _, raw_value = piece.partition(b"=")
        try:
            name = unquote_to_bytes(raw_name.replace(b"+", b" ")).decode("utf-8")
            value = unquote_to_bytes(raw_value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedNotify("parameters must be UTF-8") from None
        if "\x00" in name or "\x00" in value:
            raise MalformedNotify("a parameter holds a NUL")
        if name in params:
            raise MalformedNotify(f"parameter {_excerpt(name, 64)!r} is given twice")
        params[name] = value
    return params


def handle_notify(gateway_name: str, params: Mapping[str, str], remote_ip: str = "") -> bool:
    """A gateway's asynchronous notify. True: answer `success` (it has been handled and
    committed, now or before: a repeat changes nothing). False: answer `fail`: forged,
    for another merchant, not TRADE_SUCCESS, an order we do not have, the wrong amount,
    or an order changing right now (the gateway asks again). Every notify is recorded;
    forged ones count against `remote_ip` (NotifiesThrottled past the limit)."""
    try:
        gw = gateway(gateway_name)
    except (GatewayNotConfigured, UnknownGatewayName, InvalidGatewayConfig) as exc:
        _refuse(gateway_name, Outcome.UNCONFIGURED, remote_ip, exc.message, params=params)
        return False
    except vault.SecretUnreadable as exc:
        log.error("notify for %s cannot be verified: %s", gateway_name, exc.message)
        _event(gateway_name, Kind.NOTIFY, Outcome.UNCONFIGURED, detail=exc.message, params=params)
        return False
    try:
        notify = gw.verify_notify(params)
    except ForgedNotify as exc:
        _refuse(gateway_name, Outcome.FORGED, remote_ip, str(exc), params=params)
        return False
    outcome = _apply_trade_report(gateway_name, notify, Kind.NOTIFY, params, remote_ip)
    return outcome in ACKNOWLEDGED


def _apply_trade_report(
    gateway_name: str, notify: Notify, kind: str, params: Mapping[str, str], remote_ip: str
) -> str:
    """A verified notify: check it against the order, then take the trade."""

    def record(outcome: str, payment: Payment | None = None, detail: str = "") -> str:
        _event(
            gateway_name,
            kind,
            outcome,
            payment=payment,
            out_trade_no=notify.out_trade_no,
            trade_no=notify.trade_no,
            detail=detail,
            params=params,
            remote_ip=remote_ip,
        )
        return outcome

    order = _storefront_order(notify.out_trade_no)
    if order is None:
        log.warning("%s notify for an unknown order %r", gateway_name, notify.out_trade_no)
        return record(Outcome.UNKNOWN_ORDER, detail="no storefront order has this number")
    payment = Payment.objects.filter(order=order).first()
    if not notify.paid:
        if payment is not None and not payment.events.filter(outcome=Outcome.NOT_PAID).exists():
            payment_failed(order)  # once per payment, however often the gateway says so
        return record(Outcome.NOT_PAID, payment, f"trade_status {params.get('trade_status')!r}")
    if notify.money != order.amount:
        log.error(
            "%s notify for %s: paid %s, the order costs %s",
            gateway_name,
            order.order_no,
            notify.money,
            order.amount,
        )
        return record(
            Outcome.WRONG_MONEY, payment, f"money {notify.money}, the order costs {order.amount}"
        )
    if not _trade_no_fits(gateway_name, notify.trade_no):
        return record(Outcome.MALFORMED, payment, "trade_no is not a trade number")
    outcome, payment, detail = _take_trade(
        order,
        gateway_name=gateway_name,
        trade_no=notify.trade_no,
        money=notify.money,
        kind=notify.type,
        via=Via.NOTIFY,
    )
    return record(outcome, payment, detail)


class _Undo(Exception):
    """Roll back the trade's transaction and report `outcome` instead."""

    def __init__(self, outcome: str, detail: str = "") -> None:
        super().__init__(outcome)
        self.outcome = outcome
        self.detail = detail


def _take_trade(
    order: Order,
    *,
    gateway_name: str,
    trade_no: str,
    money: Decimal,
    kind: str,
    via: str,
    operator: AbstractBaseUser | None = None,
    reason: str = "",
) -> tuple[str, Payment, str]:
    """A trade the gateway (or the operator) says paid `money` for `order` (checked to
    be its amount): (outcome, the order's payment, detail). One transaction: the
    Payment pending → paid with the trade, then the order paid (record_payment).

    Already paid by this trade: DUPLICATE. By another trade: SECOND_TRADE, refunded. The
    order can no longer be paid: NOT_PAYABLE, refunded. The operator (via=OPERATOR) is
    refused instead of anything being refunded."""
    payment = _payment_of(order, gateway_name, kind)
    strict = via == Via.OPERATOR
    if payment.status == PaymentStatus.PENDING:
        now = timezone.now()
        fields: dict = {
            "status": PaymentStatus.PAID,
            "trade_no": trade_no,
            "gateway": gateway_name,
            "paid_via": via,
            "paid_at": now,
            "next_query_at": None,
        }
        if kind and is_printable(kind, limit=16):
            fields["type"] = kind
        if operator is not None:
            fields.update(confirmed_by=operator, confirm_reason=reason)
        try:
            with transaction.atomic():
                if _move_payment(payment, PaymentStatus.PAID, **fields):
                    outcome, detail = _pay_order(order, payment, trade_no, money, strict=strict)
                    return outcome, payment, detail
        except IntegrityError:  # the trade number is another payment's
            if strict:
                raise TradeNoTaken(f"trade {trade_no} paid another order") from None
            payment.refresh_from_db()
            return Outcome.TRADE_NO_TAKEN, payment, "the trade number paid another order"
        except _Undo as undo:
            payment.refresh_from_db()
            return undo.outcome, payment, undo.detail
        payment.refresh_from_db()  # paid by someone else meanwhile; committed now
    if payment.trade_no == trade_no:
        return Outcome.DUPLICATE, payment, ""
    if strict:
        raise PaymentAlreadyPaid(
            f"order {order.order_no} was paid by trade {payment.trade_no}",
            order_no=order.order_no,
        )
    return _second_trade(payment, gateway_name, trade_no, money)


def _pay_order(
    order: Order, payment: Payment, trade_no: str, money: Decimal, *, strict: bool
) -> tuple[str, str]:
    """Inside the trade's transaction: pay the order (delivered, or refunded by orders
    when no goods are left: the listener refunds the trade)."""
    try:
        paid = orders.record_payment(
            order_no=order.order_no, amount=money, payment_ref=f"{payment.gateway}:{trade_no}"
        )
    except PaymentMismatch as exc:
        raise _Undo(Outcome.WRONG_MONEY, exc.message) from exc
    except IllegalTransition as exc:
        order.refresh_from_db()
        if order.status in AWAITING_PAYMENT:  # it kept changing: the gateway asks again
            raise _Undo(Outcome.RETRY_LATER, exc.message) from exc
        if strict:
            raise OrderNotPayable(
                f"order {order.order_no} is {order.status}; it cannot be paid",
                order_no=order.order_no,
                status=order.status,
            ) from exc
        log.error(
            "trade %s paid order %s, which is %s: refunding it",
            trade_no,
            order.order_no,
            order.status,
        )
        _open_refund(
            payment,
            payment.gateway,
            trade_no,
            money,
            f"order {order.order_no} was {order.status} when trade {trade_no} paid it",
        )
        return Outcome.NOT_PAYABLE, f"order {order.status}: the trade is refunded"
    order.status = paid.status
    return Outcome.PAID, f"order {paid.status}"


def _second_trade(
    payment: Payment, gateway_name: str, trade_no: str, money: Decimal
) -> tuple[str, Payment, str]:
    """The order was paid by another trade: this money goes back, never lost."""
    if Payment.objects.filter(trade_no=trade_no).exists():
        return Outcome.TRADE_NO_TAKEN, payment, "the trade number paid another order"
    if Refund.objects.filter(trade_no=trade_no).exists():
        return Outcome.DUPLICATE, payment, "a second trade, already being refunded"
    log.warning(
        "order %s paid twice (trades %s and %s): refunding %s",
        payment.order_id,
        payment.trade_no,
        trade_no,
        trade_no,
    )
    try:
        with transaction.atomic():
            _open_refund(
                payment,
                gateway_name,
                trade_no,
                money,
                f"paid twice: trade {payment.trade_no} had paid the order",
            )
    except IntegrityError:  # a twin notify recorded it first
        return Outcome.DUPLICATE, payment, "a second trade, already being refunded"
    return Outcome.SECOND_TRADE, payment, f"trade {payment.trade_no} had paid the order"


def _payment_of(order: Order, gateway_name: str, kind: str) -> Payment:
    """The order's payment; made here if the trade came without start_payment."""
    payment = Payment.objects.filter(order=order).first()
    if payment is not None:
        return payment
    try:
        with transaction.atomic():
            return Payment.objects.create(
                order=order,
                gateway=gateway_name,
                type=kind if is_printable(kind, limit=16) else "",
                amount=order.amount,
            )
    except IntegrityError:
        return Payment.objects.get(order=order)


def _storefront_order(order_no: str) -> Order | None:
    if not is_printable(order_no, limit=32):
        return None
    return (
        Order.objects.filter(order_no=order_no, channel=Order.Channel.STOREFRONT)
        .select_related("sku__product")
        .first()
    )


def _trade_no_fits(gateway_name: str, trade_no: str) -> bool:
    """Printable, and short enough to be the order's payment_ref "<gateway>:<trade_no>"."""
    return is_printable(trade_no, limit=64 - len(gateway_name) - 1) and " " not in trade_no


# --- the buyer's return and queries -----------------------------------------------------


def handle_return(
    gateway_name: str, params: Mapping[str, str], remote_ip: str = ""
) -> Order | None:
    """The buyer's browser came back from the gateway: the order it paid, or None if
    the parameters do not verify. Never proof of payment: it pays nothing itself, but
    asks the gateway at once (query) when the order is still unpaid, so the buyer does
    not see "unpaid" because the notify is late."""
    try:
        gw = gateway(gateway_name)
    except DomainError:
        return None
    try:
        notify = gw.verify_notify(params)
    except ForgedNotify as exc:
        if remote_ip:
            with contextlib.suppress(NotifiesThrottled):  # not recorded past the limit
                _refuse(gateway_name, Outcome.FORGED, remote_ip, str(exc), params, Kind.RETURN)
        return None
    order = _storefront_order(notify.out_trade_no)
    if order is None:
        return None
    payment = Payment.objects.filter(order=order).first()
    if payment is not None and payment.status == PaymentStatus.PENDING:
        check_payment(payment)
        order.refresh_from_db()
    return order


def check_payment(payment: Payment) -> str:
    """Ask the gateway where an unpaid payment stands; a paid trade pays the order
    exactly as a notify would. Returns the outcome recorded (GatewayEvent)."""
    payment.refresh_from_db()
    if payment.status != PaymentStatus.PENDING:
        return Outcome.SEEN
    order = Order.objects.select_related("sku__product").get(pk=payment.order_id)

    def record(outcome: str, detail: str = "", trade_no: str = "") -> str:
        _event(
            payment.gateway,
            Kind.QUERY,
            outcome,
            payment=payment,
            out_trade_no=order.order_no,
            trade_no=trade_no,
            detail=detail,
        )
        return outcome

    try:
        gw = gateway(payment.gateway)
    except DomainError as exc:
        log.error("payment of %s cannot be queried: %s", order.order_no, exc.message)
        return record(Outcome.UNCONFIGURED, exc.message)
    try:
        result = gw.query(order.order_no)
    except GatewayUnreachable as exc:
        log.warning("query of %s failed: %s", order.order_no, exc)
        return record(Outcome.UNREACHABLE, _scrub(str(exc), gw.account.key))
    if not result.found or result.state == PaymentState.UNPAID:
        return record(Outcome.UNPAID, "" if result.found else "the gateway has no such trade")
    if result.state != PaymentState.PAID:
        return record(Outcome.NOT_PAID, f"the gateway says {result.state}", result.trade_no)
    if result.money != order.amount:
        log.error("query of %s: paid %s, costs %s", order.order_no, result.money, order.amount)
        return record(Outcome.WRONG_MONEY, f"money {result.money}, the order costs {order.amount}")
    if not _trade_no_fits(payment.gateway, result.trade_no):
        return record(Outcome.MALFORMED, "the answer has no usable trade_no")
    outcome, _, detail = _take_trade(
        order,
        gateway_name=payment.gateway,
        trade_no=result.trade_no,
        money=result.money,
        kind=result.type,
        via=Via.QUERY,
    )
    return record(outcome, detail, result.trade_no)


def query_after(created_at: datetime, queries: int, now: datetime) -> datetime | None:
    """When to ask about an unpaid payment next, `queries` queries in: the delays of
    KAMENG_PAYMENT_QUERY_DELAYS, then every KAMENG_PAYMENT_QUERY_EVERY s; None once
    that falls KAMENG_PAYMENT_QUERY_HOURS after the payment was opened."""
    delays = settings.KAMENG_PAYMENT_QUERY_DELAYS
    gap = delays[queries] if queries < len(delays) else settings.KAMENG_PAYMENT_QUERY_EVERY
    at = now + timedelta(seconds=gap)
    if at > created_at + timedelta(hours=settings.KAMENG_PAYMENT_QUERY_HOURS):
        return None
    return at


def poll_unpaid(now: datetime | None = None, limit: int = 500) -> int:
    """The beat's safety net behind notifies: every unpaid payment whose query time has
    passed is claimed (its next query moved on, the claim counted for the back-off, so
    a worker that is down does not get it queued every round) and queried by a task.
    Returns how many were claimed."""
    now = now or timezone.now()
    due = list(
        Payment.objects.filter(status=PaymentStatus.PENDING, next_query_at__lte=now)
        .order_by("next_query_at")
        .values_list("pk", "next_query_at", "queries", "created_at")[:limit]
    )
    claimed = 0
    for pk, at, queries, created_at in due:
        later = query_after(created_at, queries + 1, now)
        claim = Payment.objects.filter(pk=pk, status=PaymentStatus.PENDING, next_query_at=at)
        if claim.update(next_query_at=later, queries=F("queries") + 1):
            _enqueue_check(pk)
            claimed += 1
    return claimed


# --- the operator -----------------------------------------------------------------------


def get_operator(username: str) -> AbstractBaseUser:
    """The active staff user who decides; anyone else is not an operator."""
    user = get_user_model().objects.filter(username=username, is_active=True, is_staff=True).first()
    if user is None:
        raise OperatorNotFound(f"no active staff user {username!r}")
    return user


def get_payment(order_no: str) -> Payment:
    payment = Payment.objects.select_related("order").filter(order__order_no=order_no).first()
    if payment is None:
        raise PaymentNotFound(f"no payment for order {order_no}", order_no=order_no)
    return payment


def confirm_payment(
    order_no: str, *, trade_no: str, operator: AbstractBaseUser, reason: str
) -> Payment:
    """The operator confirms a payment the gateway never reported (seen in the
    gateway's console, a bank statement): the order is paid as by a notify, once; the
    same confirmation again changes nothing. Recorded with who and why."""
    reason = reason.strip()
    if not reason:
        raise ReasonRequired("say why: a reason is required to confirm a payment")
    require_printable(reason, "the reason", limit=MAX_REASON)
    trade_no = trade_no.strip()
    order = orders.get_order(order_no, channel=Order.Channel.STOREFRONT)
    payment = Payment.objects.filter(order=order).first()
    gateway_name = payment.gateway if payment is not None else _default_gateway_name()
    if not _trade_no_fits(gateway_name, trade_no):
        most = 64 - len(gateway_name) - 1
        raise InvalidTradeNo(f"the trade number must be 1–{most} printable characters, no spaces")
    if payment is not None and payment.status != PaymentStatus.PENDING:
        if payment.trade_no == trade_no:
            return payment  # confirmed (or reported) already: nothing changes
        raise PaymentAlreadyPaid(
            f"order {order_no} was paid by trade {payment.trade_no}", order_no=order_no
        )
    if order.status not in AWAITING_PAYMENT:
        raise OrderNotPayable(
            f"order {order_no} is {order.status}; it cannot be paid",
            order_no=order_no,
            status=order.status,
        )
    outcome, payment, detail = _take_trade(
        order,
        gateway_name=gateway_name,
        trade_no=trade_no,
        money=order.amount,
        kind=payment.type if payment is not None else "",
        via=Via.OPERATOR,
        operator=operator,
        reason=reason,
    )
    if outcome == Outcome.PAID:
        who = operator.get_username()
        log.warning("order %s paid by trade %s, confirmed by %s", order_no, trade_no, who)
        _event(
            gateway_name,
            Kind.OPERATOR,
            Outcome.CONFIRMED,
            payment=payment,
            out_trade_no=order_no,
            trade_no=trade_no,
            detail=f"confirmed by {who}: {reason}; {detail}",
        )
    elif outcome != Outcome.DUPLICATE:
        raise OrderNotPayable(f"order {order_no} could not be paid now ({outcome}); try again")
    payment.refresh_from_db()
    return payment


def _default_gateway_name() -> str:
    config = GatewayConfig.objects.filter(enabled=True).order_by("name").first()
    return config.name if config is not None else DEFAULT_GATEWAY


# --- refunds ----------------------------------------------------------------------------


def payment_failed(order: Order) -> None:
    """The buyer's payment of a storefront order failed, or was given up (the order
    closed unpaid after the buyer went to the gateway): counted by risk control for its
    failed-payment burst rule (card testing), from where the order came (its risk
    assessment: the buyer's address and device)."""
    seen = (
        Assessment.objects.filter(order_no=order.order_no)
        .values_list("ip", "device_id", "contact")
        .first()
    )
    ip, device, contact = seen or ("", "", order.buyer_contact)
    origin = Origin(
        channel=STOREFRONT,
        ip=ip,
        device_id=device,
        contact=contact,
        recharge_account=order.recharge_account,
    )
    risk.payment_failed(origin, timezone.now())


def refund_order(order: Order, previous: str) -> Refund | None:
    """A storefront order became `refunded` (orders has given the money back in its
    books): give the buyer the money back through the gateway, if a trade paid it.
    Inside the order's transaction; the refund is sent after the commit."""
    payment = Payment.objects.filter(order=order, status=PaymentStatus.PAID).first()
    if payment is None or not payment.trade_no:
        return None
    return request_refund(payment, reason=f"order {order.order_no} refunded (was {previous})")


def request_refund(payment: Payment, *, reason: str) -> Refund:
    """Refund the payment's own trade (once: asked again, the same Refund)."""
    existing = Refund.objects.filter(trade_no=payment.trade_no).first()
    if existing is not None:
        return existing
    return _open_refund(payment, payment.gateway, payment.trade_no, payment.amount, reason)


def _open_refund(
    payment: Payment, gateway_name: str, trade_no: str, amount: Decimal, reason: str
) -> Refund:
    """In the caller's transaction: the Refund row, and its first try queued once that
    transaction commits (the beat picks it up if the task is lost)."""
    now = timezone.now()
    with transaction.atomic():
        refund = Refund.objects.create(
            payment=payment,
            gateway=gateway_name,
            trade_no=trade_no,
            amount=amount,
            reason=reason[:255],
            created_at=now,
            next_try_at=now + timedelta(seconds=_refund_lease()),
        )
    transaction.on_commit(lambda: _enqueue_refund(refund.pk))
    return refund


def send_refund(refund: Refund) -> Refund:
    """One try at a pending refund (a task; safe twice: one sender claims it).

    If an earlier request may have reached the gateway (`sends`), ask first: refunded
    already → succeeded without sending again. The gateway refuses → failed, for the
    operator. Unreachable → tried again later (KAMENG_PAYMENT_REFUND_RETRY_DELAYS),
    failed for the operator after the last."""
    refund.refresh_from_db()
    if refund.status != RefundStatus.PENDING:
        return refund
    now = timezone.now()
    claim = Refund.objects.filter(pk=refund.pk, status=RefundStatus.PENDING, tries=refund.tries)
    if not claim.update(tries=F("tries") + 1, next_try_at=now + timedelta(seconds=_refund_lease())):
        return refund  # another worker has it
    refund.tries += 1
    order_no = Order.objects.values_list("order_no", flat=True).get(pk=refund.payment.order_id)
    try:
        gw = gateway(refund.gateway)
    except DomainError as exc:
        return _refund_later(refund, order_no, exc.message)
    if refund.sends:
        try:
            seen = gw.query(order_no)
        except GatewayUnreachable as exc:
            return _refund_later(refund, order_no, _scrub(f"query: {exc}", gw.account.key))
        if seen.found and seen.trade_no == refund.trade_no and seen.state == PaymentState.REFUNDED:
            return _refund_done(refund, order_no, "the gateway had refunded it already")
    Refund.objects.filter(pk=refund.pk).update(sends=F("sends") + 1)
    refund.sends += 1
    try:
        result = gw.refund(out_trade_no=order_no, money=refund.amount, trade_no=refund.trade_no)
    except GatewayUnreachable as exc:
        return _refund_later(refund, order_no, _scrub(str(exc), gw.account.key))
    if result.ok:
        return _refund_done(refund, order_no, result.message)
    return _refund_refused(refund, order_no, _scrub(result.message, gw.account.key))


def _refund_done(refund: Refund, order_no: str, message: str) -> Refund:
    now = timezone.now()
    with transaction.atomic():
        if _move_refund(refund, RefundStatus.SUCCEEDED, done_at=now, next_try_at=None):
            payment = refund.payment
            if payment.trade_no == refund.trade_no:
                _move_payment(payment, PaymentStatus.REFUNDED)
    _event(
        refund.gateway,
        Kind.REFUND,
        Outcome.REFUNDED,
        payment=refund.payment,
        out_trade_no=order_no,
        trade_no=refund.trade_no,
        detail=f"{refund.amount} refunded: {message}",
    )
    log.info("trade %s of order %s refunded", refund.trade_no, order_no)
    return refund


def _refund_refused(refund: Refund, order_no: str, message: str) -> Refund:
    _move_refund(
        refund,
        RefundStatus.FAILED,
        last_error=message[:255] or "refused",
        next_try_at=None,
        done_at=timezone.now(),
    )
    _event(
        refund.gateway,
        Kind.REFUND,
        Outcome.REFUSED,
        payment=refund.payment,
        out_trade_no=order_no,
        trade_no=refund.trade_no,
        detail=message,
    )
    log.error("refund of trade %s (order %s) refused: %s", refund.trade_no, order_no, message)
    return refund


def _refund_later(refund: Refund, order_no: str, error: str) -> Refund:
    """No answer: try again after the next delay; after the last one, failed."""
    delays = settings.KAMENG_PAYMENT_REFUND_RETRY_DELAYS
    _event(
        refund.gateway,
        Kind.REFUND,
        Outcome.UNREACHABLE,
        payment=refund.payment,
        out_trade_no=order_no,
        trade_no=refund.trade_no,
        detail=error,
    )
    if refund.tries > len(delays):
        log.error("refund of trade %s: no answer after %s tries", refund.trade_no, refund.tries)
        _move_refund(
            refund,
            RefundStatus.FAILED,
            last_error=f"no answer after {refund.tries} tries: {error}"[:255],
            next_try_at=None,
            done_at=timezone.now(),
        )
        return refund
    later = timezone.now() + timedelta(seconds=delays[refund.tries - 1])
    Refund.objects.filter(pk=refund.pk, status=RefundStatus.PENDING).update(
        last_error=error[:255], next_try_at=later
    )
    refund.last_error, refund.next_try_at = error[:255], later
    log.warning("refund of trade %s: %s; again at %s", refund.trade_no, error, later)
    return refund


def resend_due_refunds(now: datetime | None = None, limit: int = 500) -> int:
    """Pending refunds whose next try is due (a retry's delay, or a lost task's lease):
    claimed and queued. Returns how many."""
    now = now or timezone.now()
    due = list(
        Refund.objects.filter(status=RefundStatus.PENDING, next_try_at__lte=now)
        .order_by("next_try_at")
        .values_list("pk", "next_try_at")[:limit]
    )
    claimed = 0
    lease = now + timedelta(seconds=_refund_lease())
    for pk, at in due:
        claim = Refund.objects.filter(pk=pk, status=RefundStatus.PENDING, next_try_at=at)
        if claim.update(next_try_at=lease):
            _enqueue_refund(pk)
            claimed += 1
    return claimed


def get_refund(refund_id: int) -> Refund:
    refund = Refund.objects.select_related("payment__order").filter(pk=refund_id).first()
    if refund is None:
        raise RefundNotFound(f"no refund {refund_id}", refund_id=refund_id)
    return refund


def retry_refund(refund: Refund, operator: AbstractBaseUser) -> Refund:
    """The operator sends a failed refund again (after fixing the gateway's settings
    or balance): pending, a fresh round of tries, queued; recorded with who."""
    who = operator.get_username()
    with transaction.atomic():
        if not _move_refund(
            refund,
            RefundStatus.PENDING,
            tries=0,
            done_at=None,
            next_try_at=timezone.now() + timedelta(seconds=_refund_lease()),
        ):
            refund.refresh_from_db()
            raise RefundNotFailed(
                f"refund {refund.pk} is {refund.status}; only a failed one is retried",
                refund_id=refund.pk,
                status=refund.status,
            )
        _event(
            refund.gateway,
            Kind.OPERATOR,
            Outcome.RETRIED,
            payment=refund.payment,
            out_trade_no=refund.payment.order.order_no,
            trade_no=refund.trade_no,
            detail=f"refund retried by {who} (last error: {refund.last_error})",
        )
        pk = refund.pk
        transaction.on_commit(lambda: _enqueue_refund(pk))
    log.warning("refund of trade %s retried by %s", refund.trade_no, who)
    return refund


def _refund_lease() -> float:
    """How long a claimed try may take before the beat queues it again."""
    return settings.KAMENG_PAYMENT_GATEWAY_TIMEOUT * 2 + 60


# --- state ------------------------------------------------------------------------------


def _move_payment(payment: Payment, target: str, **fields) -> bool:
    """Compare-and-set the payment's status; False if it moved meanwhile."""
    return _move(payment, target, payment_can_move, fields)


def _move_refund(refund: Refund, target: str, **fields) -> bool:
    return _move(refund, target, refund_can_move, fields)


def _move(obj: Payment | Refund, target: str, can_move, fields: dict) -> bool:
    current = obj.status
    if not can_move(current, target):
        return False
    fields = {**fields, "status": target}
    moved = type(obj).objects.filter(pk=obj.pk, status=current).update(**fields)
    if moved:
        for name, value in fields.items():
            setattr(obj, name, value)
    return bool(moved)


# --- the record -------------------------------------------------------------------------


def _refuse(
    gateway_name: str,
    outcome: str,
    remote_ip: str,
    detail: str,
    params: Mapping[str, str] | None = None,
    kind: str = Kind.NOTIFY,
    *,
    raw_params: str = "",
) -> None:
    """Record a notify we could not accept, unless its address is over the limit of
    recorded failures: then only the first one over it is recorded (THROTTLED), and
    NotifiesThrottled is raised."""
    most, window = settings.KAMENG_PAYMENT_NOTIFY_FAILURE_LIMIT
    failures, left = guards.store().count(FAILED_NOTIFIES_KEY + remote_ip, window)
    if failures > most:
        if failures == most + 1:
            note = (
                f"more than {most} failed notifies in {window} s from this address: "
                "the rest of this window is answered 429 and not recorded"
            )
            log.warning("notifies for %s from %s: %s", gateway_name, remote_ip, note)
            _event(gateway_name, kind, Outcome.THROTTLED, detail=note, remote_ip=remote_ip)
        raise NotifiesThrottled(max(1, math.ceil(left)))
    log.warning("%s %s for %s from %s: %s", outcome, kind, gateway_name, remote_ip, detail)
    _event(
        gateway_name,
        kind,
        outcome,
        out_trade_no=(params or {}).get("out_trade_no", ""),
        trade_no=(params or {}).get("trade_no", ""),
        detail=detail,
        params=params,
        raw_params=raw_params,
        remote_ip=remote_ip,
    )


def _event(
    gateway_name: str,
    kind: str,
    outcome: str,
    *,
    payment: Payment | None = None,
    out_trade_no: str = "",
    trade_no: str = "",
    detail: str = "",
    params: Mapping[str, str] | None = None,
    raw_params: str = "",
    remote_ip: str = "",
) -> GatewayEvent:
    return GatewayEvent.objects.create(
        gateway=_excerpt(gateway_name, 32),
        kind=kind,
        outcome=outcome,
        payment=payment,
        out_trade_no=_excerpt(str(out_trade_no), 64),
        trade_no=_excerpt(str(trade_no), 64),
        detail=_excerpt(detail, 255),
        params=_excerpt(raw_params or _params_text(params), EVENT_PARAMS_CHARS),
        remote_ip=_excerpt(remote_ip, 64),
        at=timezone.now(),
    )


def _params_text(params: Mapping[str, str] | None) -> str:
    """`k=v&…` as received, cut short; a parameter named `key` is never kept."""
    if not params:
        return ""
    text = "&".join(f"{k}={v}" for k, v in list(params.items())[:64] if k != "key")
    return text[: EVENT_PARAMS_CHARS * 2]


def _excerpt(text: str, limit: int) -> str:
    """The first `limit` characters, control characters (NUL included, which
    PostgreSQL text cannot hold) written as escapes."""
    safe = "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in text[:limit]
    )
    return safe[:limit]


def _scrub(text: str, key: str) -> str:
    """Never store the merchant key, whatever a transport error repeats of a URL."""
    return text.replace(key, "***") if key else text


# --- tasks ------------------------------------------------------------------------------


def _enqueue_check(payment_id: int) -> None:
    from kameng.payments.tasks import check_payment as task

    task.delay(payment_id)


def _enqueue_refund(refund_id: int) -> None:
    from kameng.payments.tasks import send_refund as task

    task.delay(refund_id)
