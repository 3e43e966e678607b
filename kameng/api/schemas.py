"""Request and response shapes of API v1 (the OpenAPI document is generated from
them). Money is a decimal string, e.g. "9.50"."""

from typing import Literal

from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from kameng.orders.states import Status as OrderStatus

MONEY = r"^-?\d+\.\d{2}$"
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f-\x9f]*$"
# Printable, and no white space at either end (it would be a different idempotency key).
_EDGE = r"[^\s\x00-\x1f\x7f-\x9f]"
OUT_TRADE_NO = rf"^{_EDGE}([^\x00-\x1f\x7f-\x9f]*{_EDGE})?$"
FREE_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"  # line breaks and tabs allowed


class ErrorBody(BaseModel):
    model_config = ConfigDict(extra="allow")  # details such as order_no, sku_id

    code: str = Field(description="stable machine-readable code; see docs/API.md")
    message: str


class Error(BaseModel):
    error: ErrorBody


class Product(BaseModel):
    sku_id: int
    name: str
    product: str
    category: str
    kind: Literal["card", "direct"] = Field(
        description="card: codes delivered in the answer; direct: top-up of `account`"
    )
    face_value: str = Field(pattern=MONEY)
    price: str = Field(pattern=MONEY, description="what this agent pays per unit")
    retail_price: str = Field(pattern=MONEY, description="this agent's storefront price")
    stock_state: Literal["in_stock", "out_of_stock"]
    stock: int | None = Field(description="unsold codes (card SKUs); null for direct")


class ProductList(BaseModel):
    products: list[Product]
    as_of: str = Field(
        description="the time of this listing on the platform's clock: the next updated_after"
    )
    complete: bool = Field(
        description="every SKU on sale is in the list (always without updated_after): a "
        "SKU missing from a complete list is no longer on sale"
    )


# ISO 8601 date and time (an earlier listing's as_of), to the second or finer, with an
# optional offset (none: UTC). ASCII digits only: a number is not a time here.
ISO_TIME = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?$"
)


class ProductFilter(BaseModel):
    updated_after: str | None = Field(
        default=None,
        pattern=ISO_TIME,
        json_schema_extra={"format": "date-time"},
        description="only SKUs that may have changed since (an earlier listing's as_of; "
        "allow a minute of overlap); may answer all of them (complete: true)",
    )


class Balance(BaseModel):
    currency: Literal["CNY"]
    balance: str = Field(pattern=MONEY, description="prepaid balance available to spend")
    held: str = Field(pattern=MONEY, description="own purchases in escrow, not yet settled")
    pending_earnings: str = Field(
        pattern=MONEY, description="spreads from orders below this agent, paid out on release"
    )


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    out_trade_no: str = Field(
        min_length=1,
        max_length=64,
        pattern=OUT_TRADE_NO,
        description="your order number: the idempotency key (no spaces at either end)",
    )
    # Strict: true, "2" and 2.0 are not numbers of items (the document says integer).
    sku_id: StrictInt = Field(ge=1, le=2**31 - 1)
    quantity: StrictInt = Field(default=1, ge=1, le=settings.KAMENG_MAX_ORDER_QUANTITY)
    account: str | None = Field(
        default=None, max_length=128, description="the account to top up (direct SKUs only)"
    )
    callback_url: str | None = Field(
        default=None,
        max_length=512,
        pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+([/?#]\S*)?$",
        description=(
            "an http(s) URL where status changes are POSTed; its host must be a public "
            "address or resolve to public addresses only (else 400 invalid_callback_url)"
        ),
    )


class OrderFilter(BaseModel):
    out_trade_no: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=NO_CONTROL_CHARACTERS
    )
    status: OrderStatus | None = None
    limit: int = Field(default=50, ge=1, le=200)


class DisputeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        min_length=1, max_length=2000, pattern=FREE_TEXT, description="what is wrong with it"
    )


class Card(BaseModel):
    code: str
    secret: str


class OrderOut(BaseModel):
    order_no: str
    out_trade_no: str
    sku_id: int
    quantity: int
    unit_price: str = Field(pattern=MONEY)
    amount: str = Field(pattern=MONEY)
    status: OrderStatus
    account: str | None
    created_at: str
    delivered_at: str | None
    confirm_deadline: str | None
    cards: list[Card] = Field(description="present once delivered (card SKUs)")


class OrderList(BaseModel):
    orders: list[OrderOut]


class WebhookTry(BaseModel):
    number: int
    at: str
    http_status: int | None = Field(
        description="your answer's status code (nothing else of the answer is kept); null: none"
    )
    error: str = Field(description="why the try failed, in Kameng's words; empty for a 2xx")
    duration_ms: int


class WebhookDelivery(BaseModel):
    event_id: str
    status: OrderStatus
    url: str
    state: Literal["pending", "delivered", "gave_up"]
    manual: bool
    tries: int
    created_at: str
    next_try_at: str | None
    finished_at: str | None
    attempts: list[WebhookTry]


class WebhookLog(BaseModel):
    deliveries: list[WebhookDelivery]
