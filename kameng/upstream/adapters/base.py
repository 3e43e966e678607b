"""The adapter interface every upstream protocol implements, and the registry.

Adapters only translate: Kameng's request → the supplier's wire format (with its
signing rule) and the supplier's answers → three outcomes. They never touch the
database; the workflow that decides what an answer means for an order lives in
`kameng.topup.services`.
"""

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings

from kameng import vault

if TYPE_CHECKING:
    from kameng.suppliers.models import Supplier


class Outcome(StrEnum):
    PROCESSING = "processing"  # accepted, not finished (also: any unknown state code)
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class SupplierUnreachable(Exception):
    """Timeout, connection error, or an answer we cannot trust (bad signature,
    garbage): the outcome is UNKNOWN. Never treat it as a failure; query later (not
    before `retry_after` seconds when the supplier said so: a 429's Retry-After)."""

    def __init__(self, message: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SupplierNotReached(SupplierUnreachable):
    """The request never left: the supplier's name did not resolve, it refused or did
    not accept the connection in time, the TLS handshake failed. Nothing reached the
    supplier this time, so this call cannot have started a top-up (an earlier call for
    the same request might have: that is the caller's to know)."""


class ForgedCallback(Exception):
    """A callback whose signature or merchant does not verify: ignore it entirely."""


class MalformedCallback(ForgedCallback):
    """A callback body that is not in the protocol's format at all (not JSON, nested):
    nothing could even be checked. Ignored like a forged one."""


@dataclass(frozen=True)
class SupplierCredentials:
    base_url: str
    merchant_id: str
    secret: str


@dataclass(frozen=True)
class ProductInfo:
    remote_sku: str
    cost: Decimal  # what the supplier charges us per unit
    stock: int | None  # None: the supplier does not say (unlimited / unknown)
    available: bool  # False: product closed / in maintenance


@dataclass(frozen=True)
class TopupRequest:
    request_id: str  # our order number at the supplier: unique per attempt, reused on retry
    remote_sku: str
    account: str  # phone number / game account to top up
    quantity: int
    callback_url: str


@dataclass(frozen=True)
class SubmitResult:
    """A definite answer to a submit. PROCESSING = accepted; FAILED = refused."""

    outcome: Outcome
    supplier_order_no: str = ""
    retryable: bool = False  # FAILED only: safe to fail over to the next supplier
    code: str = ""
    message: str = ""
    cards: tuple[tuple[str, str], ...] = ()  # SUCCEEDED card orders: (code, secret) pairs
    stock_out: bool = False  # FAILED: the product cannot be had there now


@dataclass(frozen=True)
class StatusReport:
    """What the supplier says about one of our requests (from a query or a callback)."""

    request_id: str
    outcome: Outcome
    supplier_order_no: str = ""
    found: bool = True  # False: the supplier has no order with this request id
    code: str = ""
    message: str = ""
    cards: tuple[tuple[str, str], ...] = ()  # SUCCEEDED card orders: (code, secret) pairs
    amount: Decimal | None = None  # what the supplier charged us, when it says


class SupplierAdapter(ABC):
    name: ClassVar[str]
    label: ClassVar[str]

    def __init__(self, credentials: SupplierCredentials, timeout: float | None = None) -> None:
        self.credentials = credentials
        self.timeout = timeout if timeout is not None else settings.KAMENG_SUPPLIER_TIMEOUT

    @abstractmethod
    def query_product(self, remote_sku: str) -> ProductInfo:
        """Stock and price of one product. Raises SupplierUnreachable."""

    @abstractmethod
    def submit(self, request: TopupRequest) -> SubmitResult:
        """Start a top-up. Raises SupplierUnreachable when the answer is unknown, and
        its SupplierNotReached when the request never left."""

    @abstractmethod
    def query(self, request_id: str) -> StatusReport:
        """Where our request stands. Raises SupplierUnreachable."""

    @abstractmethod
    def parse_callback(
        self, body: bytes, content_type: str, headers: Mapping[str, str] | None = None
    ) -> StatusReport:
        """Verify and read a callback (`headers`: the request's, for protocols that
        sign in them). Raises ForgedCallback."""

    @abstractmethod
    def callback_reply(self, accepted: bool) -> tuple[int, bytes, str]:
        """(HTTP status, body, content type) the supplier expects as our answer;
        anything but the success reply makes it send the callback again."""


REGISTRY: dict[str, type[SupplierAdapter]] = {}


def register(cls: type[SupplierAdapter]) -> type[SupplierAdapter]:
    REGISTRY[cls.name] = cls
    return cls


def adapter_for(supplier: "Supplier", timeout: float | None = None) -> SupplierAdapter:
    """The supplier's adapter with its credentials; vault.SecretUnreadable if its API
    secret cannot be decrypted (nothing can be signed or verified then)."""
    cls = REGISTRY[supplier.adapter]
    token = supplier.api_secret_encrypted
    credentials = SupplierCredentials(
        base_url=supplier.api_base_url.rstrip("/"),
        merchant_id=supplier.merchant_id,
        secret=vault.decrypt(token, f"the API secret of supplier {supplier.pk}") if token else "",
    )
    return cls(credentials, timeout=timeout)
