"""A simulated supplier speaking kameng-supply v1, for tests, benchmarks and demos.

Stdlib HTTP server plus a scheduler thread (kameng/simulation.py, shared with the payment
simulator); no Django setup needed. Its misbehaviour is switchable at runtime through
`SimConfig` (rates) and, deterministically, through magic substrings in the account (like
a payment sandbox's test cards):

    FAIL     accepted, then state 9          REFUSE   refused 1002 (maintenance)
    BADACCT  refused 2001 (also: account not matching ACCOUNT_RE)
    HANG     the submit answer hangs `hang_seconds`; the order is still created
    DUP      the callback is delivered twice FORGE    callbacks carry a wrong sign
    LATE     callbacks come `late_seconds` later
    NOCB     no callback at all (only a query tells)

    with SimulatedSupplier(SimConfig(products={"P10": SimProduct(Decimal("9.50"))})) as sim:
        adapter = KamengHttpAdapter(SupplierCredentials(sim.url, "sim", "sim-secret"))
"""

import contextlib
import itertools
import json
import random
import re
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from kameng.simulation import Scheduler, SimHandler, SimulatedServer
from kameng.upstream.adapters.kameng_http import (
    BAD_SIGN,
    CHANNEL_MAINTENANCE,
    CONTENT_TYPE,
    INVALID_ACCOUNT,
    MALFORMED_REQUEST,
    OK,
    ORDER_NO_REUSED,
    ORDER_NOT_FOUND,
    OUT_OF_STOCK,
    PRODUCT_CLOSED,
    STALE_TIMESTAMP,
    STATE_FAILED,
    STATE_PROCESSING,
    STATE_SUCCESS,
    UNKNOWN_MERCHANT,
    UNKNOWN_PRODUCT,
    encode,
    signed,
    verify,
)

ACCOUNT_RE = re.compile(r"^[0-9A-Za-z_@.+-]{3,64}$")
TIMESTAMP_WINDOW = 300  # seconds either side of the supplier's clock

MESSAGES = {
    OK: "ok",
    OUT_OF_STOCK: "库存不足 out of stock",
    CHANNEL_MAINTENANCE: "通道维护中 channel maintenance",
    PRODUCT_CLOSED: "商品已下架 product closed",
    UNKNOWN_PRODUCT: "商品不存在 unknown product",
    INVALID_ACCOUNT: "充值账号无效 invalid account",
    ORDER_NO_REUSED: "订单号重复且内容不同 out_order_no reused with different content",
    ORDER_NOT_FOUND: "订单不存在 order not found",
    MALFORMED_REQUEST: "请求格式错误 malformed request",
    BAD_SIGN: "签名错误 bad sign",
    STALE_TIMESTAMP: "时间戳过期或重放 stale timestamp or replayed nonce",
    UNKNOWN_MERCHANT: "商户不存在 unknown merchant",
}


@dataclass
class SimProduct:
    price: Decimal
    stock: int | None = None  # None: unlimited (answered as -1)
    on: bool = True


@dataclass
class SimConfig:
    """Everything may be changed while the supplier runs; each request reads it afresh."""

    merchant_id: str = "sim"
    secret: str = "sim-secret"
    products: dict[str, SimProduct] = field(default_factory=dict)
    latency: float = 0.0  # seconds before each HTTP answer
    process_time: float = 0.2  # accepted → final state (then the callback)
    fail_rate: float = 0.0  # accepted, later state 9
    refuse_rate: float = 0.0  # submit refused 1002
    timeout_rate: float = 0.0  # submit answer hangs, the order is created anyway
    hang_seconds: float = 30.0
    bad_sign_rate: float = 0.0  # the order's callbacks carry a wrong sign
    duplicate_callback_rate: float = 0.0
    callback_delay: float = 0.0  # extra seconds between the final state and its callback
    late_seconds: float = 3.0  # extra delay for LATE accounts
    callback_tries: int = 6  # attempts per delivery until the answer is "success"
    callback_retry_seconds: float = 0.5  # first backoff, doubling
    callback_timeout: float = 5.0
    seed: int | None = None


@dataclass
class SimOrder:
    out_order_no: str
    order_no: str
    product_id: str
    account: str
    quantity: int
    callback_url: str
    final_state: int  # what `state` becomes at `due`
    due: float  # time.monotonic() when processing ends
    state: int = STATE_PROCESSING
    # One (HTTP status, reply body) per callback attempt; status 0: no HTTP answer.
    callbacks: list[tuple[int, str]] = field(default_factory=list)
    forge: bool = False
    duplicate: bool = False
    late: bool = False
    no_callback: bool = False


class _Handler(SimHandler):
    def do_POST(self) -> None:
        sim = self.server.sim
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        route = sim._routes().get(self.path.split("?", 1)[0].rstrip("/"))
        if route is None:
            self._reply(404, b"not found", "text/plain")
            return
        answer, hang = route(raw)
        delay = sim.config.latency + hang
        if delay > 0:
            sim._stopping.wait(delay)
        self._reply(200, encode(answer), CONTENT_TYPE)

    def do_GET(self) -> None:
        self._reply(405, b"POST only", "text/plain")


class SimulatedSupplier(SimulatedServer):
    """A kameng-supply v1 supplier on a local port; `start()` it or use `with`."""

    handler = _Handler
    thread_name = "sim-supplier"
    title = "simulated supplier"

    def __init__(
        self,
        config: SimConfig,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        callback_workers: int = 16,
    ) -> None:
        super().__init__(
            host,
            port,
            scheduler=Scheduler("sim-scheduler"),
            pool=ThreadPoolExecutor(callback_workers, thread_name_prefix="sim-callback"),
            http=httpx.Client(trust_env=False),
        )
        self.config = config
        self.orders: dict[str, SimOrder] = {}
        self.submits = 0
        self.queries = 0
        self.product_queries = 0
        self._rng = random.Random(config.seed)
        self._order_seq = itertools.count(1)
        self._nonces: dict[str, float] = {}

    # --- protocol --------------------------------------------------------------------

    def _routes(self) -> dict[str, Callable[[bytes], tuple[dict[str, Any], float]]]:
        return {
            "/products/query": self._product_query,
            "/orders/submit": self._submit,
            "/orders/query": self._query,
        }

    def _answer(self, code: int, **data: Any) -> dict[str, Any]:
        return signed({"code": code, "message": MESSAGES.get(code, ""), **data}, self.config.secret)

    def _authenticate(self, raw: bytes) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(request, None) when it may be served, else (None, the signed refusal)."""
        try:
            request = json.loads(raw)
        except ValueError:
            return None, self._answer(MALFORMED_REQUEST)
        if not isinstance(request, dict):
            return None, self._answer(MALFORMED_REQUEST)
        cfg = self.config
        if request.get("merchant_id") != cfg.merchant_id:
            return None, self._answer(UNKNOWN_MERCHANT)
        if not verify(request, cfg.secret):
            return None, self._answer(BAD_SIGN)
        timestamp, nonce = request.get("timestamp"), request.get("nonce")
        if not _is_int(timestamp) or abs(time.time() - timestamp) > TIMESTAMP_WINDOW:
            return None, self._answer(STALE_TIMESTAMP)
        if not isinstance(nonce, str) or not nonce:
            return None, self._answer(MALFORMED_REQUEST)
        now = time.monotonic()
        with self.lock:
            if self._nonces.get(nonce, 0.0) > now:
                return None, self._answer(STALE_TIMESTAMP)
            if len(self._nonces) > 10_000:
                self._nonces = {n: t for n, t in self._nonces.items() if t > now}
            self._nonces[nonce] = now + 2 * TIMESTAMP_WINDOW
        return request, None

    def _product_query(self, raw: bytes) -> tuple[dict[str, Any], float]:
        with self.lock:
            self.product_queries += 1
        request, refusal = self._authenticate(raw)
        if request is None:
            return refusal, 0.0
        product_id = request.get("product_id")
        if not isinstance(product_id, str) or not product_id:
            return self._answer(MALFORMED_REQUEST), 0.0
        with self.lock:
            product = self.config.products.get(product_id)
            if product is None:
                return self._answer(UNKNOWN_PRODUCT, product_id=product_id), 0.0
            return self._answer(
                OK,
                product_id=product_id,
                price=f"{product.price:.2f}",
                stock=-1 if product.stock is None else product.stock,
                status="on" if product.on else "off",
            ), 0.0

    def _submit(self, raw: bytes) -> tuple[dict[str, Any], float]:
        with self.lock:
            self.submits += 1
        request, refusal = self._authenticate(raw)
        if request is None:
            return refusal, 0.0
        out_order_no = request.get("out_order_no")
        product_id = request.get("product_id")
        account = request.get("account")
        quantity = request.get("quantity")
        callback_url = request.get("callback_url") or ""
        if not (
            _is_text(out_order_no, 64)
            and _is_text(product_id, 64)
            and isinstance(account, str)
            and _is_int(quantity)
            and quantity >= 1
            and isinstance(callback_url, str)
        ):
            return self._answer(MALFORMED_REQUEST), 0.0
        cfg = self.config
        with self.lock:
            existing = self.orders.get(out_order_no)
            if existing is not None:  # idempotent: same content, same answer
                if (existing.product_id, existing.account, existing.quantity) != (
                    product_id,
                    account,
                    quantity,
                ):
                    return self._answer(ORDER_NO_REUSED, out_order_no=out_order_no), 0.0
                self._finalize(existing)
                return self._order_answer(existing), 0.0
            product = cfg.products.get(product_id)
            if product is None:
                return self._answer(UNKNOWN_PRODUCT), 0.0
            if not product.on:
                return self._answer(PRODUCT_CLOSED), 0.0
            if "BADACCT" in account or not ACCOUNT_RE.match(account):
                return self._answer(INVALID_ACCOUNT), 0.0
            if "REFUSE" in account or self._chance(cfg.refuse_rate):
                return self._answer(CHANNEL_MAINTENANCE), 0.0
            if product.stock is not None:
                if product.stock < quantity:
                    return self._answer(OUT_OF_STOCK), 0.0
                product.stock -= quantity
            order = SimOrder(
                out_order_no=out_order_no,
                order_no=f"SIM{next(self._order_seq):012d}",
                product_id=product_id,
                account=account,
                quantity=quantity,
                callback_url=callback_url,
                final_state=(
                    STATE_FAILED
                    if "FAIL" in account or self._chance(cfg.fail_rate)
                    else STATE_SUCCESS
                ),
                due=time.monotonic() + cfg.process_time,
                forge="FORGE" in account or self._chance(cfg.bad_sign_rate),
                duplicate="DUP" in account or self._chance(cfg.duplicate_callback_rate),
                late="LATE" in account,
                no_callback="NOCB" in account or not callback_url,
            )
            hang = cfg.hang_seconds if "HANG" in account or self._chance(cfg.timeout_rate) else 0
            self.orders[out_order_no] = order
            answer = self._order_answer(order)
        self._scheduler.call_at(order.due, lambda: self._finalize_locked(order))
        if not order.no_callback:
            start = order.due + cfg.callback_delay + (cfg.late_seconds if order.late else 0.0)
            rounds = 2 if order.duplicate else 1
            self._scheduler.call_at(start, lambda: self._send_callback(order, 1, rounds))
        return answer, hang

    def _query(self, raw: bytes) -> tuple[dict[str, Any], float]:
        with self.lock:
            self.queries += 1
        request, refusal = self._authenticate(raw)
        if request is None:
            return refusal, 0.0
        out_order_no = request.get("out_order_no")
        if not _is_text(out_order_no, 64):
            return self._answer(MALFORMED_REQUEST), 0.0
        with self.lock:
            order = self.orders.get(out_order_no)
            if order is None:
                return self._answer(ORDER_NOT_FOUND, out_order_no=out_order_no), 0.0
            self._finalize(order)
            return self._order_answer(order), 0.0

    def _order_answer(self, order: SimOrder) -> dict[str, Any]:
        return self._answer(
            OK, out_order_no=order.out_order_no, order_no=order.order_no, state=order.state
        )

    def _chance(self, rate: float) -> bool:
        return rate > 0 and self._rng.random() < rate

    # --- processing and callbacks -----------------------------------------------------

    def _finalize(self, order: SimOrder) -> None:
        """Called with the lock held; also lazily, so a query never lags the scheduler."""
        if order.state == STATE_PROCESSING and time.monotonic() >= order.due:
            order.state = order.final_state

    def _finalize_locked(self, order: SimOrder) -> None:
        with self.lock:
            self._finalize(order)

    def _send_callback(self, order: SimOrder, attempt: int, rounds: int) -> None:
        with contextlib.suppress(RuntimeError):  # pool shut down: the supplier is stopping
            self._pool.submit(self._deliver, order, attempt, rounds)

    def _deliver(self, order: SimOrder, attempt: int, rounds: int) -> None:
        """One callback attempt; schedules the retry (backoff) or the duplicate round."""
        cfg = self.config
        with self.lock:
            self._finalize(order)
            fields = {
                "merchant_id": cfg.merchant_id,
                "out_order_no": order.out_order_no,
                "order_no": order.order_no,
                "state": order.state,
                "timestamp": int(time.time()),
                "nonce": secrets.token_hex(8),
            }
        body = signed(fields, cfg.secret + "-forged" if order.forge else cfg.secret)
        try:
            response = self._http.post(
                order.callback_url,
                content=encode(body),
                headers={"Content-Type": CONTENT_TYPE},
                timeout=cfg.callback_timeout,
            )
            status, text = response.status_code, response.text
        except httpx.HTTPError as exc:
            status, text = 0, f"{type(exc).__name__}: {exc}"
        with self.lock:
            order.callbacks.append((status, text))
        delivered = status == 200 and text.strip() == "success"
        now = time.monotonic()
        if not delivered and attempt < cfg.callback_tries:
            backoff = cfg.callback_retry_seconds * 2 ** (attempt - 1)
            self._scheduler.call_at(
                now + backoff, lambda: self._send_callback(order, attempt + 1, rounds)
            )
        elif rounds > 1:
            self._scheduler.call_at(now, lambda: self._send_callback(order, 1, rounds - 1))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_text(value: Any, max_length: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= max_length
