"""kameng-supply v1: the generic signed HTTP protocol (docs/SUPPLIER_PROTOCOL.md).

Flat JSON over POST, every object signed with HMAC-SHA256 over its sorted fields.
Anything we cannot trust (no answer, bad signature, garbage) is UNKNOWN and raises
SupplierUnreachable: only a verified refusal may fail an order over to another supplier.
A request that never left (see NOT_SENT) raises its subclass SupplierNotReached.
"""

import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from kameng import httpclient
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

logger = logging.getLogger(__name__)

PROTOCOL = "kameng-supply v1"
CONTENT_TYPE = "application/json; charset=utf-8"

# Order states on the wire.
STATE_PROCESSING = 0
STATE_SUCCESS = 1
STATE_FAILED = 9
_STATES = {
    STATE_PROCESSING: Outcome.PROCESSING,
    STATE_SUCCESS: Outcome.SUCCEEDED,
    STATE_FAILED: Outcome.FAILED,
}

# Answer codes.
OK = 0
OUT_OF_STOCK = 1001
CHANNEL_MAINTENANCE = 1002
PRODUCT_CLOSED = 1003
UNKNOWN_PRODUCT = 1004
INVALID_ACCOUNT = 2001
ORDER_NO_REUSED = 2002
ORDER_NOT_FOUND = 3001
MALFORMED_REQUEST = 4000
BAD_SIGN = 4001
STALE_TIMESTAMP = 4002
UNKNOWN_MERCHANT = 4003
# Refusals after which another supplier would get the same answer: the order fails for
# good. Every other refusal (including codes we do not know) created nothing upstream,
# so failing over to the next supplier is safe.
FINAL_REFUSALS = frozenset({INVALID_ACCOUNT, ORDER_NO_REUSED})

# httpx errors raised before a byte of the request was written (httpcore maps only
# connect_tcp and start_tls failures to ConnectError / ConnectTimeout, which includes
# a name that does not resolve; PoolTimeout is waiting for a free connection;
# UnsupportedProtocol and InvalidURL come before any connection). Every later error
# (WriteError, ReadTimeout, RemoteProtocolError...) may follow a request the supplier
# received, so it stays UNKNOWN.
NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.InvalidURL,
)


HEADERS = {"Content-Type": CONTENT_TYPE, "User-Agent": f"Kameng ({PROTOCOL})"}


def _render(value: Any) -> str:
    """The sign-string form of one value; money travels as strings, so no floats."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return str(value)
    raise TypeError(f"{PROTOCOL} fields must be strings, integers or booleans, got {value!r}")


def sign_string(fields: Mapping[str, Any]) -> str:
    """`k1=v1&k2=v2…` over the non-empty fields except `sign`, sorted by key."""
    items = sorted(
        (key, _render(value))
        for key, value in fields.items()
        if key != "sign" and value is not None and value != ""
    )
    return "&".join(f"{key}={value}" for key, value in items)


def sign(fields: Mapping[str, Any], secret: str) -> str:
    """Lowercase hex HMAC-SHA256 of the sign string, keyed with the shared secret."""
    message = sign_string(fields).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify(fields: Mapping[str, Any], secret: str) -> bool:
    """True if `fields["sign"]` is right; constant-time, never raises on garbage."""
    given = fields.get("sign")
    if not isinstance(given, str) or not given:
        return False
    try:
        expected = sign(fields, secret)
    except TypeError:  # a nested or float value: not something a v1 peer signs
        return False
    return hmac.compare_digest(expected, given.lower())


def signed(fields: Mapping[str, Any], secret: str) -> dict[str, Any]:
    """A copy of `fields` with its `sign` added."""
    body = {key: value for key, value in fields.items() if key != "sign"}
    body["sign"] = sign(body, secret)
    return body


def encode(fields: Mapping[str, Any]) -> bytes:
    """The wire form of one object: compact UTF-8 JSON."""
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def state_outcome(state: Any) -> Outcome:
    """Map a wire state; an unknown one is not a verdict, so it stays PROCESSING (alert)."""
    if isinstance(state, int) and not isinstance(state, bool) and state in _STATES:
        return _STATES[state]
    logger.warning("%s: unknown order state %r, treated as processing", PROTOCOL, state)
    return Outcome.PROCESSING


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.?)*+(?:"|\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _brackets_outside_strings(body: bytes) -> bytes:
    """The body's brackets, string literals left out: b"{}" for a flat JSON object.
    Linear in the body's length, whatever it holds."""
    return _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)


@register
class KamengHttpAdapter(SupplierAdapter):
    name = "kameng-http"
    label = "Kameng 通用签名 HTTP (kameng-supply v1)"

    # --- transport ---------------------------------------------------------------

    def _call(self, path: str, fields: dict[str, Any]) -> dict[str, Any]:
        """POST one signed request; return the verified answer or raise SupplierUnreachable."""
        creds = self.credentials
        request = signed(
            {
                **fields,
                "merchant_id": creds.merchant_id,
                "timestamp": int(time.time()),
                "nonce": secrets.token_hex(8),
            },
            creds.secret,
        )
        url = f"{creds.base_url.rstrip('/')}{path}"
        try:
            response = httpclient.client().post(
                url, content=encode(request), headers=HEADERS, timeout=self.timeout
            )
        except NOT_SENT as exc:
            raise SupplierNotReached(f"{url}: not sent: {type(exc).__name__}: {exc}") from exc
        except httpx.HTTPError as exc:
            raise SupplierUnreachable(f"{url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise SupplierUnreachable(f"{url}: HTTP {response.status_code}")
        try:
            answer = json.loads(response.content)
        except ValueError as exc:
            raise SupplierUnreachable(f"{url}: answer is not JSON") from exc
        if not isinstance(answer, dict):
            raise SupplierUnreachable(f"{url}: answer is not a JSON object")
        if not verify(answer, creds.secret):
            raise SupplierUnreachable(f"{url}: answer signature does not verify")
        if not _is_int(answer.get("code")):
            raise SupplierUnreachable(f"{url}: answer has no integer code")
        return answer

    @staticmethod
    def _text(answer: Mapping[str, Any], key: str) -> str:
        value = answer.get(key)
        return value if isinstance(value, str) else ""

    # --- SupplierAdapter -----------------------------------------------------------

    def query_product(self, remote_sku: str) -> ProductInfo:
        answer = self._call("/products/query", {"product_id": remote_sku})
        code = answer["code"]
        if code == UNKNOWN_PRODUCT:
            return ProductInfo(remote_sku=remote_sku, cost=Decimal(0), stock=0, available=False)
        if code != OK:
            raise SupplierUnreachable(
                f"product query {remote_sku}: code {code} {self._text(answer, 'message')}"
            )
        if answer.get("product_id") != remote_sku:
            raise SupplierUnreachable(f"product query {remote_sku}: answer is about another one")
        price, stock, status = answer.get("price"), answer.get("stock"), answer.get("status")
        try:
            cost = Decimal(price) if isinstance(price, str) else None
        except InvalidOperation:
            cost = None
        if cost is None or not cost.is_finite() or cost < 0:
            raise SupplierUnreachable(f"product query {remote_sku}: bad price {price!r}")
        if not _is_int(stock) or stock < -1:
            raise SupplierUnreachable(f"product query {remote_sku}: bad stock {stock!r}")
        return ProductInfo(
            remote_sku=remote_sku,
            cost=cost,
            stock=None if stock == -1 else stock,
            available=status == "on",
        )

    def submit(self, request: TopupRequest) -> SubmitResult:
        answer = self._call(
            "/orders/submit",
            {
                "out_order_no": request.request_id,
                "product_id": request.remote_sku,
                "account": request.account,
                "quantity": request.quantity,
                "callback_url": request.callback_url,
            },
        )
        code, message = answer["code"], self._text(answer, "message")
        if code != OK:
            return SubmitResult(
                outcome=Outcome.FAILED,
                retryable=code not in FINAL_REFUSALS,
                code=str(code),
                message=message,
            )
        if answer.get("out_order_no") != request.request_id:
            raise SupplierUnreachable(f"submit {request.request_id}: answer is about another one")
        outcome = state_outcome(answer.get("state"))
        return SubmitResult(
            outcome=outcome,
            supplier_order_no=self._text(answer, "order_no"),
            # Accepted, then failed at once: like a failed callback, another may try.
            retryable=outcome == Outcome.FAILED,
            message=message,
        )

    def query(self, request_id: str) -> StatusReport:
        answer = self._call("/orders/query", {"out_order_no": request_id})
        code, message = answer["code"], self._text(answer, "message")
        if code == ORDER_NOT_FOUND:
            return StatusReport(
                request_id=request_id,
                outcome=Outcome.PROCESSING,
                found=False,
                code=str(code),
                message=message,
            )
        if code != OK:
            raise SupplierUnreachable(f"query {request_id}: code {code} {message}")
        if answer.get("out_order_no") != request_id:
            raise SupplierUnreachable(f"query {request_id}: answer is about another one")
        return StatusReport(
            request_id=request_id,
            outcome=state_outcome(answer.get("state")),
            supplier_order_no=self._text(answer, "order_no"),
            message=message,
        )

    def parse_callback(
        self, body: bytes, content_type: str, headers: Mapping[str, str] | None = None
    ) -> StatusReport:
        # The content type is not trusted either way: only the signature counts.
        # v1 objects are flat: checked before parsing, so no nesting reaches the parser
        # (`[` × 100000 would exhaust its recursion limit).
        if _brackets_outside_strings(body) != b"{}":
            raise MalformedCallback("callback body is not one flat JSON object")
        try:
            fields = json.loads(body)
        except ValueError as exc:
            raise MalformedCallback("callback body is not JSON") from exc
        if not isinstance(fields, dict):
            raise MalformedCallback("callback body is not a JSON object")
        if not verify(fields, self.credentials.secret):
            raise ForgedCallback("callback signature does not verify")
        if fields.get("merchant_id") != self.credentials.merchant_id:
            raise ForgedCallback(f"callback for another merchant: {fields.get('merchant_id')!r}")
        request_id = fields.get("out_order_no")
        if not isinstance(request_id, str) or not request_id:
            raise ForgedCallback("callback without out_order_no")
        # No timestamp window here: a replayed genuine callback repeats a final state, and
        # refusing one for clock skew would only delay a real result.
        return StatusReport(
            request_id=request_id,
            outcome=state_outcome(fields.get("state")),
            supplier_order_no=self._text(fields, "order_no"),
        )

    def callback_reply(self, accepted: bool) -> tuple[int, bytes, str]:
        if accepted:
            return 200, b"success", "text/plain"
        return 400, b"fail", "text/plain"
