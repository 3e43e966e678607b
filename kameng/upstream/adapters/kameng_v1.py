"""kameng-v1: another Kameng site as a supplier (卡盟对接), through its open API v1
(docs/API.md) with one of that site's agent keys.

Our request id is the upstream order's `out_trade_no`, so a repeated submit returns the
order the first one made instead of buying twice. What each answer means here:

- 200/201: the upstream's order; its status decides (delivered/completed: succeeded,
  with the codes of a card order; failed/refunded: failed; anything else: processing);
- a business refusal (out of stock, not on sale, our balance there too low...): nothing
  was bought there, another supplier may try (an invalid account: no one can);
- 401 (a key or signature the upstream refuses): the request was not processed;
- 429, 5xx, a timeout, an answer that is not the API's: unknown, queried later (429
  after its Retry-After).

The upstream's webhooks are checked against the same secret (HMAC over timestamp and
body, 300 s window, X-Kameng-Key must be ours).
"""

import json
import logging
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx

from kameng import httpclient
from kameng.client import (
    HEADER_KEY,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    signed_headers,
    verify_webhook,
)
from kameng.upstream.adapters.base import (
    ForgedCallback,
    MalformedCallback,
    Outcome,
    ProductInfo,
    StatusReport,
    SubmitResult,
    SupplierAdapter,
    SupplierNotReached,
    SupplierUnreachable,
    TopupRequest,
    register,
)
from kameng.upstream.adapters.kameng_http import NOT_SENT

log = logging.getLogger(__name__)

SUCCEEDED_STATES = frozenset({"delivered", "completed", "disputed"})
FAILED_STATES = frozenset({"failed", "refunded"})
# Refusals after which the same request fails at any supplier: the order fails for good.
FINAL_REFUSALS = frozenset({"invalid_account", "invalid_input", "bad_request"})
# Refusals saying the product cannot be had there now: the offer is marked unavailable.
STOCK_OUT = frozenset({"out_of_stock", "sku_not_found", "sku_not_sellable"})


HEADERS = {"User-Agent": "Kameng-Docking/1", "Accept": "application/json"}


@register
class KamengV1Adapter(SupplierAdapter):
    name = "kameng-v1"
    label = "Kameng 站点对接 (open API v1)"

    # --- transport ---------------------------------------------------------------

    def _send(self, method: str, path: str, body: dict | None = None) -> httpx.Response:
        """One signed request; SupplierNotReached if it never left."""
        creds = self.credentials
        parts = urlsplit(creds.base_url)
        full_path = parts.path.rstrip("/") + path
        payload = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        headers = {
            **HEADERS,
            **signed_headers(creds.merchant_id, creds.secret, method, full_path, payload),
        }
        if not all(value.isascii() for value in headers.values()):
            raise SupplierNotReached("the key cannot be sent: not ASCII")
        if payload:
            headers["Content-Type"] = "application/json"
        url = f"{parts.scheme}://{parts.netloc}{full_path}"
        try:
            return httpclient.client().request(
                method, url, content=payload or None, headers=headers, timeout=self.timeout
            )
        except NOT_SENT as exc:
            raise SupplierNotReached(f"{url}: not sent: {type(exc).__name__}: {exc}") from exc
        except httpx.HTTPError as exc:
            raise SupplierUnreachable(f"{url}: {type(exc).__name__}: {exc}") from exc

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        """The API's JSON object, or SupplierUnreachable (a proxy's page, garbage)."""
        try:
            data = json.loads(response.content)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise SupplierUnreachable(
                f"{response.request.url}: HTTP {response.status_code}, not the API's answer"
            )
        return data

    def _call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        """(status, answer) for a 2xx or a 4xx refusal with its error code; 401 →
        SupplierNotReached (not processed), 429 and 5xx → SupplierUnreachable."""
        response = self._send(method, path, body)
        status = response.status_code
        if status == 429:
            raise SupplierUnreachable(f"{path}: rate limited (429)", retry_after=_seconds(response))
        if status >= 500 or status < 200 or 300 <= status < 400:
            raise SupplierUnreachable(f"{path}: HTTP {status}")
        answer = self._json(response)
        if status == 401:
            raise SupplierNotReached(f"{path}: refused our key: {_error(answer)}")
        if status >= 400 and not _error(answer)[0]:
            raise SupplierUnreachable(f"{path}: HTTP {status} without an error code")
        return status, answer

    # --- the catalogue (docking sync) ----------------------------------------------

    def list_products(self, updated_after: str | None = None) -> tuple[list[dict], str, bool]:
        """The products this key may buy (all, or those that may have changed since
        `updated_after`, a time on the upstream's clock): the API's product objects, the
        upstream's `as_of` time of the listing (the next `updated_after`), and whether
        the list is complete (a product missing from it is no longer on sale there)."""
        path = "/api/v1/products"
        if updated_after:
            path += "?" + urlencode({"updated_after": updated_after})
        status, answer = self._call("GET", path)
        products, as_of = answer.get("products"), answer.get("as_of")
        if status != 200 or not isinstance(products, list) or not isinstance(as_of, str):
            raise SupplierUnreachable(f"product list: HTTP {status} {_error(answer)}")
        complete = answer.get("complete") is True or not updated_after
        return [p for p in products if isinstance(p, dict)], as_of, complete

    # --- SupplierAdapter -----------------------------------------------------------

    def query_product(self, remote_sku: str) -> ProductInfo:
        sku_id = _sku_id(remote_sku)
        status, answer = self._call("GET", f"/api/v1/products/{sku_id}")
        if status == 404:
            return ProductInfo(remote_sku=remote_sku, cost=Decimal(0), stock=0, available=False)
        if status != 200:
            raise SupplierUnreachable(f"product {remote_sku}: {_error(answer)}")
        product = read_product(answer)
        if product is None or product["sku_id"] != sku_id:
            raise SupplierUnreachable(f"product {remote_sku}: not a product of the API")
        return ProductInfo(
            remote_sku=remote_sku,
            cost=product["price"],
            stock=product["stock"],
            available=product["in_stock"],
        )

    def submit(self, request: TopupRequest) -> SubmitResult:
        body: dict[str, Any] = {
            "out_trade_no": request.request_id,
            "sku_id": _sku_id(request.remote_sku),
            "quantity": request.quantity,
        }
        if request.account:
            body["account"] = request.account
        if request.callback_url:
            body["callback_url"] = request.callback_url
        status, answer = self._call("POST", "/api/v1/orders", body)
        if status == 400 and _error(answer)[0] == "invalid_callback_url":
            # The upstream will not call our address (not public to it): the order goes on
            # without webhooks, followed by queries alone. Nothing was bought by the
            # refused request, so its number is still free for this one.
            log.warning("%s refuses our callback URL: %s", self.credentials.base_url, answer)
            del body["callback_url"]
            status, answer = self._call("POST", "/api/v1/orders", body)
        if status in (200, 201):
            report = order_report(answer, request.request_id)
            return SubmitResult(
                outcome=report.outcome,
                supplier_order_no=report.supplier_order_no,
                retryable=report.outcome == Outcome.FAILED,  # refunded there: try another
                message=report.message,
                cards=report.cards,
            )
        code, message = _error(answer)
        if code == "duplicate_out_trade_no":
            # Our number holds another request there: only a query can say what it is.
            raise SupplierUnreachable(f"submit {request.request_id}: {code}: {message}")
        return SubmitResult(
            outcome=Outcome.FAILED,
            retryable=code not in FINAL_REFUSALS,
            code=code,
            message=message,
            stock_out=code in STOCK_OUT,
        )

    def query(self, request_id: str) -> StatusReport:
        path = "/api/v1/orders?" + urlencode({"out_trade_no": request_id})
        status, answer = self._call("GET", path)
        orders = answer.get("orders") if status == 200 else None
        if not isinstance(orders, list):
            raise SupplierUnreachable(f"query {request_id}: {_error(answer)}")
        if not orders:
            return StatusReport(request_id=request_id, outcome=Outcome.PROCESSING, found=False)
        if not isinstance(orders[0], dict):
            raise SupplierUnreachable(f"query {request_id}: not an order")
        return order_report(orders[0], request_id)

    def balance(self) -> Decimal | None:
        """Our prepaid balance there (what is left to buy with), None if unreadable."""
        status, answer = self._call("GET", "/api/v1/balance")
        return _money(answer.get("balance")) if status == 200 else None

    def order(self, order_no: str) -> dict:
        """One upstream order by its own number (reconciliation)."""
        status, answer = self._call("GET", f"/api/v1/orders/{quote(order_no, safe='')}")
        if status != 200:
            raise SupplierUnreachable(f"order {order_no}: {_error(answer)}")
        return answer

    def parse_callback(
        self, body: bytes, content_type: str, headers: Mapping[str, str] | None = None
    ) -> StatusReport:
        headers = headers or {}
        if headers.get(HEADER_KEY) != self.credentials.merchant_id:
            raise ForgedCallback(f"webhook signed for another key: {headers.get(HEADER_KEY)!r}")
        timestamp = headers.get(HEADER_TIMESTAMP) or ""
        signature = headers.get(HEADER_SIGNATURE) or ""
        if not verify_webhook(self.credentials.secret, timestamp, body, signature):
            raise ForgedCallback("webhook signature does not verify (or is older than 300 s)")
        try:
            order = json.loads(body)
        except ValueError as exc:
            raise MalformedCallback("webhook body is not JSON") from exc
        if not isinstance(order, dict) or not isinstance(order.get("out_trade_no"), str):
            raise MalformedCallback("webhook body is not an order")
        try:
            return order_report(order, order["out_trade_no"])
        except SupplierUnreachable as exc:
            raise MalformedCallback(str(exc)) from exc

    def callback_reply(self, accepted: bool) -> tuple[int, bytes, str]:
        if accepted:
            return 200, b'{"ok":true}', "application/json"
        return 400, b'{"ok":false}', "application/json"


# --- reading the API's objects -----------------------------------------------------------


def order_report(order: Mapping[str, Any], request_id: str) -> StatusReport:
    """What an upstream order object says about our request; SupplierUnreachable if it
    is not one (or is about another request)."""
    if order.get("out_trade_no") != request_id:
        raise SupplierUnreachable(f"order answer is about {order.get('out_trade_no')!r}")
    state = order.get("status")
    if not isinstance(state, str):
        raise SupplierUnreachable(f"order {request_id}: no status")
    if state in SUCCEEDED_STATES:
        outcome = Outcome.SUCCEEDED
    elif state in FAILED_STATES:
        outcome = Outcome.FAILED
    else:
        outcome = Outcome.PROCESSING
    cards = order.get("cards") or []
    if not isinstance(cards, list) or not all(_is_card(card) for card in cards):
        raise SupplierUnreachable(f"order {request_id}: malformed cards")
    order_no = order.get("order_no")
    amount = _money(order.get("amount"))
    return StatusReport(
        request_id=request_id,
        outcome=outcome,
        supplier_order_no=order_no if isinstance(order_no, str) else "",
        message=state,
        cards=tuple((card["code"], card["secret"]) for card in cards),
        amount=amount,
    )


def read_product(product: Mapping[str, Any]) -> dict[str, Any] | None:
    """A product object of the API with its types checked and money as Decimal; None if
    it is not one (the sync skips it)."""
    sku_id = product.get("sku_id")
    if not isinstance(sku_id, int) or isinstance(sku_id, bool) or sku_id < 1:
        return None
    face_value, price = _money(product.get("face_value")), _money(product.get("price"))
    texts = [product.get(key) for key in ("name", "product", "category", "kind")]
    stock = product.get("stock")
    if face_value is None or price is None or not all(isinstance(t, str) and t for t in texts):
        return None
    if product.get("kind") not in ("card", "direct"):
        return None
    if stock is not None and (not isinstance(stock, int) or isinstance(stock, bool)):
        return None
    return {
        "sku_id": sku_id,
        "name": product["name"],
        "product": product["product"],
        "category": product["category"],
        "kind": product["kind"],
        "face_value": face_value,
        "price": price,
        "in_stock": product.get("stock_state") == "in_stock",
        "stock": stock,
    }


def _money(value: Any) -> Decimal | None:
    if not isinstance(value, str):
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def _is_card(card: Any) -> bool:
    return (
        isinstance(card, dict)
        and isinstance(card.get("code"), str)
        and isinstance(card.get("secret"), str)
        and bool(card["secret"])
    )


def _sku_id(remote_sku: str) -> int:
    try:
        return int(remote_sku)
    except ValueError:
        raise SupplierNotReached(f"{remote_sku!r} is not an upstream SKU id") from None


def _error(answer: Mapping[str, Any]) -> tuple[str, str]:
    error = answer.get("error")
    if not isinstance(error, dict):
        return "", ""
    code, message = error.get("code"), error.get("message")
    return (code if isinstance(code, str) else ""), (message if isinstance(message, str) else "")


def _seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None
