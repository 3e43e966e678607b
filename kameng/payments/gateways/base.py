"""The interface every payment-gateway protocol implements, and the registry.

Gateways only translate: a payment Kameng wants → the gateway's wire format (with its
signing rule), and the gateway's answers and notifies → the values below. They never
touch the database. Deciding what a notify means for an order (the amount equals the
order's, the trade number is that order's, handling it once) is the caller's job.
"""

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar
from urllib.parse import urlencode, urlsplit

from django.utils.translation import gettext_noop

from kameng.money import InvalidAmount, parse_money
from kameng.text import is_printable

# What buyers see for each payment type a gateway may offer (msgids for the pages'
# English catalogue: gettext_noop marks them, the pages translate them).
TYPE_LABELS = {
    "alipay": gettext_noop("支付宝"),
    "wxpay": gettext_noop("微信支付"),
    "qqpay": gettext_noop("QQ钱包"),
    "bank": gettext_noop("网银支付"),
    "jdpay": gettext_noop("京东支付"),
    "paypal": gettext_noop("PayPal"),
}

MIN_KEY_LENGTH = 16  # shorter keys can be guessed; an empty one signs for anybody
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class GatewayUnreachable(Exception):
    """Timeout, connection error, or an answer that is not the protocol's: the outcome
    is UNKNOWN (a payment may have been created, a refund made). Ask again later."""


class GatewayRefused(Exception):
    """A definite "no" from the gateway (its code != 1); the message is its `msg`."""


class ForgedNotify(Exception):
    """A notify (or return_url visit) we cannot trust: bad signature, another merchant,
    missing fields, a money value that is not an amount. Ignore it entirely."""


class InvalidGatewayAccount(ValueError):
    """The operator's configuration is refused before anything is signed with it."""


class InvalidPaymentRequest(ValueError):
    """A payment Kameng itself asked for is malformed (a bug, not the buyer's doing)."""


class UnknownGateway(KeyError):
    """No gateway of that name is registered. (A KeyError, with a readable message.)"""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown payment gateway"


@dataclass(frozen=True)
class GatewayAccount:
    """What the operator configured for one gateway."""

    url: str  # the gateway's base URL; submit.php, mapi.php and api.php live under it
    pid: str  # merchant id
    key: str  # merchant key (the MD5 secret)
    types: tuple[str, ...] = ("alipay", "wxpay")  # payment types offered to buyers


@dataclass(frozen=True)
class PaymentRequest:
    out_trade_no: str  # our order number at the gateway: reused when asked again
    amount: Decimal
    name: str  # goods name shown to the buyer
    type: str  # one of the account's types
    notify_url: str
    return_url: str
    client_ip: str = ""
    param: str = ""  # echoed back in notifies
    sitename: str = ""
    device: str = ""


@dataclass(frozen=True)
class PaymentRedirect:
    """Page payment: the buyer's browser is sent to `url` with `fields`."""

    url: str
    fields: dict[str, str]
    method: str = "POST"

    def get_url(self) -> str:
        """The same as one GET URL (for a link or a 302; POST keeps it out of logs)."""
        separator = "&" if "?" in self.url else "?"
        return f"{self.url}{separator}{urlencode(self.fields)}"


@dataclass(frozen=True)
class ApiPayment:
    """mapi.php's answer: where the buyer pays (a URL, a QR code's content, an app link)."""

    trade_no: str
    pay_url: str = ""
    qrcode: str = ""
    urlscheme: str = ""


class PaymentState(StrEnum):
    UNPAID = "unpaid"
    PAID = "paid"
    REFUNDED = "refunded"
    UNKNOWN = "unknown"  # the gateway named a state we do not know: not a verdict


@dataclass(frozen=True)
class Notify:
    """A notify (or return_url visit) whose signature verified."""

    trade_no: str  # the gateway's
    out_trade_no: str  # ours: check it is the order being paid
    type: str
    money: Decimal  # check it equals the order's amount
    paid: bool
    param: str
    name: str


@dataclass(frozen=True)
class QueryResult:
    found: bool  # False: the gateway has no trade with this out_trade_no (state UNPAID)
    state: PaymentState
    trade_no: str = ""
    out_trade_no: str = ""
    money: Decimal | None = None
    type: str = ""


@dataclass(frozen=True)
class RefundResult:
    ok: bool
    message: str = ""


def _check_url(url: str, what: str) -> str | None:
    """None if `url` is an http(s) URL with a host, else why not."""
    if not url or _CONTROL.search(url) or any(ch.isspace() for ch in url):
        return f"{what} must be an http or https URL"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        return f"{what} is not a valid URL: {url!r}"
    if parts.scheme not in ("http", "https"):
        return f"{what} must be an http or https URL, got {url!r}"
    if not parts.hostname:
        return f"{what} has no host: {url!r}"
    return None


class PaymentGateway(ABC):
    name: ClassVar[str]
    label: ClassVar[str]
    # The payment types this protocol knows; an account offers some of them.
    payment_types: ClassVar[frozenset[str]]

    def __init__(self, account: GatewayAccount, *, timeout: float = 5.0) -> None:
        self.check_account(account)
        self.account = account
        self.timeout = timeout

    @classmethod
    def check_account(cls, account: GatewayAccount) -> None:
        """Refuse a configuration that cannot work or cannot be safe, when it is entered
        rather than at the first payment. Raises InvalidGatewayAccount."""
        problem = _check_url(account.url, "the gateway URL")
        if problem is None:
            parts = urlsplit(account.url)
            if parts.query or parts.fragment:
                problem = f"the gateway URL must not have a query or fragment: {account.url!r}"
        if problem:
            raise InvalidGatewayAccount(problem)
        if not account.pid or not is_printable(account.pid) or account.pid.strip() != account.pid:
            raise InvalidGatewayAccount("the merchant id (pid) must be 1–64 printable characters")
        key = account.key
        if not key:
            raise InvalidGatewayAccount("the merchant key is empty: anybody could sign for it")
        if len(key) < MIN_KEY_LENGTH:
            raise InvalidGatewayAccount(
                f"the merchant key is too short ({len(key)} characters, at least "
                f"{MIN_KEY_LENGTH}): copy the whole key from the gateway"
            )
        if key.strip() != key or not key.isprintable():
            raise InvalidGatewayAccount(
                "the merchant key has spaces at its ends or control characters"
            )
        if not account.types:
            raise InvalidGatewayAccount("no payment type offered")
        unknown = [t for t in account.types if t not in cls.payment_types]
        if unknown:
            raise InvalidGatewayAccount(
                f"unknown payment types {unknown}; {cls.label} knows {sorted(cls.payment_types)}"
            )

    def check_request(self, request: PaymentRequest) -> Decimal:
        """The request's amount, after refusing what no gateway should be sent.
        Raises InvalidPaymentRequest."""
        try:
            amount = parse_money(request.amount)
        except InvalidAmount as exc:
            raise InvalidPaymentRequest(str(exc)) from exc
        if request.type not in self.account.types:
            raise InvalidPaymentRequest(
                f"payment type {request.type!r} is not offered (offered: {self.account.types})"
            )
        if not is_printable(request.out_trade_no) or " " in request.out_trade_no:
            raise InvalidPaymentRequest("out_trade_no must be 1–64 printable characters, no space")
        if not request.name or len(request.name) > 127 or _CONTROL.search(request.name):
            raise InvalidPaymentRequest("name must be 1–127 characters, no control characters")
        for what, url in (("notify_url", request.notify_url), ("return_url", request.return_url)):
            problem = _check_url(url, what)
            if problem:
                raise InvalidPaymentRequest(problem)
        for what, value in (
            ("client_ip", request.client_ip),
            ("param", request.param),
            ("sitename", request.sitename),
            ("device", request.device),
        ):
            if len(value) > 255 or _CONTROL.search(value):
                raise InvalidPaymentRequest(f"{what} must be at most 255 characters, no controls")
        return amount

    @abstractmethod
    def page_payment(self, request: PaymentRequest) -> PaymentRedirect:
        """Where to send the buyer's browser. Makes no network call."""

    @abstractmethod
    def api_payment(self, request: PaymentRequest) -> ApiPayment:
        """Create the payment server to server. Raises GatewayRefused, and
        GatewayUnreachable when the outcome is unknown (asking again with the same
        out_trade_no and amount is safe)."""

    @abstractmethod
    def verify_notify(self, params: Mapping[str, str]) -> Notify:
        """Verify and read a notify's parameters, exactly as received. Raises ForgedNotify."""

    @abstractmethod
    def query(self, out_trade_no: str) -> QueryResult:
        """Where our trade stands at the gateway. Raises GatewayUnreachable."""

    @abstractmethod
    def refund(self, *, out_trade_no: str, money: Decimal, trade_no: str = "") -> RefundResult:
        """Ask the gateway to refund. Raises GatewayUnreachable when the outcome is
        unknown: query before asking again, a gateway may refuse a second refund."""


REGISTRY: dict[str, type[PaymentGateway]] = {}


def register(cls: type[PaymentGateway]) -> type[PaymentGateway]:
    REGISTRY[cls.name] = cls
    return cls


def gateway_for(name: str, account: GatewayAccount, *, timeout: float = 5.0) -> PaymentGateway:
    """The gateway `name` with the operator's account (checked: InvalidGatewayAccount)."""
    cls = REGISTRY.get(name)
    if cls is None:
        raise UnknownGateway(
            f"unknown payment gateway {name!r}; known: {', '.join(sorted(REGISTRY)) or 'none'}"
        )
    return cls(account, timeout=timeout)
