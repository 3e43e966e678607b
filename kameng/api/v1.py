"""API v1 for distributors: each handler translates HTTP to one service call and back.

Mounted at /api/v1/; OpenAPI document at /api/v1/openapi.json, browsable at
/api/v1/docs. Errors are {"error": {"code", "message", ...}} with a 4xx status.
"""

from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Path, Query
from ninja import Status as Answer
from ninja.errors import HttpError, ValidationError
from ninja.renderers import JSONRenderer

from kameng.api import schemas
from kameng.api.auth import SignedRequest
from kameng.api.errors import RateLimited
from kameng.clientip import client_ip
from kameng.errors import DomainError, InvalidInput
from kameng.orders import catalog, queries
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.risk.verdicts import API, Origin
from kameng.text import require_printable
from kameng.webhooks import services as webhooks
from kameng.webhooks.queries import delivery_entry, delivery_log


class Utf8JSON(JSONRenderer):
    """Chinese as itself, not \\u escapes (webhook bodies are written the same way)."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    renderer=Utf8JSON(),
    title="Kameng 卡盟 open API",
    version="1",
    description=(
        "For distributors' shops, bots and sub-sites. Signing, error codes, webhooks "
        "and worked examples: docs/API.md."
    ),
    auth=SignedRequest(),
    urls_namespace="api-v1",
    docs_url="/docs",
)

ERRORS = {code: schemas.Error for code in (400, 401, 402, 403, 404, 409, 429)}


def _error(request: HttpRequest, status: int, code: str, message: str, **details) -> HttpResponse:
    body = {"error": {"code": code, "message": message, **details}}
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = [
        {"field": _field_name(e.get("loc", ())), "problem": str(e.get("msg"))} for e in exc.errors
    ]
    message = "the request does not match the API"
    return _error(request, 400, "invalid_input", message, fields=fields)


def _field_name(location: tuple) -> str:
    """("body", "body", "quantity") → "quantity"; ("path", "sku_id") → "sku_id"."""
    parts = [str(part) for part in location[1:]]
    if len(parts) > 1 and parts[0] in {"body", "filters"}:
        parts = parts[1:]
    return ".".join(parts) or str(location[0] if location else "")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "bad_request", str(exc))


ORDER_NO = Path(..., pattern=r"^[A-Za-z0-9]{1,32}$")


def agent_of(request: HttpRequest):
    return request.auth.agent


def own_order(request: HttpRequest, order_no: str) -> Order:
    """One of the caller's own purchases; anyone else's order is simply not found."""
    return orders.get_order(order_no, agent=agent_of(request), channel=Order.Channel.AGENT)


# --- products and balance ------------------------------------------------------------


@api.get("/products", response={200: schemas.ProductList, **ERRORS}, tags=["products"])
def list_products(request: HttpRequest, filters: Query[schemas.ProductFilter]):
    """The SKUs this agent may buy, at its own price, with stock state; with
    `updated_after`, those that may have changed since (a docked site's sync)."""
    as_of = timezone.now()
    since = _time(filters.updated_after, "updated_after") if filters.updated_after else None
    changed = catalog.changed_since(since) if since is not None else None
    products = catalog.offers_for(agent_of(request), changed=changed)
    return {"products": products, "as_of": as_of.isoformat(), "complete": changed is None}


def _time(text: str, name: str) -> datetime:
    """An ISO 8601 time the document's pattern let through (a time without an offset is
    UTC); one that is no real date (month 13) is a 400 like any bad input."""
    try:
        parsed = parse_datetime(text)
    except ValueError:
        parsed = None
    if parsed is None:
        raise InvalidInput(f"{name} is not a date and time: {text!r}")
    return timezone.make_aware(parsed, UTC) if timezone.is_naive(parsed) else parsed


@api.get("/products/{sku_id}", response={200: schemas.Product, **ERRORS}, tags=["products"])
def get_product(request: HttpRequest, sku_id: int = Path(..., ge=1, le=2**31 - 1)):
    return catalog.offer_for(agent_of(request), sku_id)


@api.get("/balance", response={200: schemas.Balance, **ERRORS}, tags=["account"])
def get_balance(request: HttpRequest):
    return queries.balance_view(agent_of(request))


# --- orders ------------------------------------------------------------------------------


@api.post(
    "/orders", response={200: schemas.OrderOut, 201: schemas.OrderOut, **ERRORS}, tags=["orders"]
)
def create_order(request: HttpRequest, body: schemas.OrderIn):
    """Buy from the prepaid balance. 201: a new order; 200: this out_trade_no was
    already used for the same request (same order returned); 409
    duplicate_out_trade_no: used for a different one; 403 risk_blocked: refused by risk
    control (no reason is given)."""
    agent = agent_of(request)
    placed = orders.place_order(
        agent=agent,
        sku_id=body.sku_id,
        quantity=body.quantity,
        out_trade_no=body.out_trade_no,
        recharge_account=body.account or "",
        callback_url=body.callback_url or "",
        api_key_id=request.auth.pk,
        origin=Origin(channel=API, ip=client_ip(request)),
    )
    return Answer(201 if placed.created else 200, queries.order_view(placed.order, viewer=agent))


@api.get("/orders", response={200: schemas.OrderList, **ERRORS}, tags=["orders"])
def list_orders(request: HttpRequest, filters: Query[schemas.OrderFilter]):
    """This agent's orders, newest first; `out_trade_no` finds the one with your number."""
    agent = agent_of(request)
    if filters.out_trade_no is not None:
        require_printable(filters.out_trade_no, "out_trade_no")
    found = queries.agent_orders(
        agent, out_trade_no=filters.out_trade_no, status=filters.status, limit=filters.limit
    )
    return {"orders": [queries.order_view(order, viewer=agent) for order in found]}


@api.get("/orders/{order_no}", response={200: schemas.OrderOut, **ERRORS}, tags=["orders"])
def get_order(request: HttpRequest, order_no: str = ORDER_NO):
    return queries.order_view(own_order(request, order_no), viewer=agent_of(request))


@api.post("/orders/{order_no}/confirm", response={200: schemas.OrderOut, **ERRORS}, tags=["orders"])
def confirm_order(request: HttpRequest, order_no: str = ORDER_NO):
    """Confirm receipt: escrow is released along the chain now instead of after the
    confirmation window. 409 illegal_transition if the order is not delivered."""
    order = orders.confirm_receipt(own_order(request, order_no))
    return queries.order_view(order, viewer=agent_of(request))


@api.post("/orders/{order_no}/dispute", response={200: schemas.OrderOut, **ERRORS}, tags=["orders"])
def dispute_order(request: HttpRequest, body: schemas.DisputeIn, order_no: str = ORDER_NO):
    """Complain before the confirmation window closes: escrow stays held until the
    operator decides (upheld → refunded)."""
    order = orders.open_dispute(own_order(request, order_no), body.reason)
    return queries.order_view(order, viewer=agent_of(request))


@api.get(
    "/orders/{order_no}/webhooks",
    response={200: schemas.WebhookLog, **ERRORS},
    tags=["webhooks"],
)
def list_webhooks(request: HttpRequest, order_no: str = ORDER_NO):
    """Every webhook sent for this order and each try (status code or error)."""
    return {"deliveries": delivery_log(own_order(request, order_no))}


@api.post(
    "/orders/{order_no}/webhooks",
    response={202: schemas.WebhookDelivery, **ERRORS},
    tags=["webhooks"],
)
def resend_webhook(request: HttpRequest, order_no: str = ORDER_NO):
    """Send the order's current state to its callback_url again (a new delivery).
    409 no_callback_url: the order has none; 409 resend_pending: an earlier re-send
    of this order is still pending; 429 resend_limit: the order's re-sends in 24 hours
    are used up (detail retry_after, seconds)."""
    order = own_order(request, order_no)
    delivery = webhooks.resend(order)
    return Answer(202, delivery_entry(delivery))


@csrf_exempt  # a POST to a wrong path is a 404 like a GET, not the CSRF failure page
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Anything else under /api/v1/: a JSON 404 like the rest of the API."""
    return _error(request, 404, "not_found", f"no API endpoint {request.path}")
