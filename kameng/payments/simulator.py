"""A simulated 易支付 (epay, MD5) provider, for tests, benchmarks and demos.

It speaks the same protocol as a real gateway (submit.php, mapi.php, api.php, signed
notifies), so the real EpayGateway code is what the tests exercise. Stdlib HTTP server
plus a scheduler thread (kameng/simulation.py, shared with the supplier simulator); no
Django setup needed. Its misbehaviour is switchable at runtime through `SimPayConfig`
(delays, repeated, dropped and reordered notifies, merchants that do not answer
`success`):

    with SimulatedEpay(SimPayConfig(retry_delays=(0.05,))) as sim:
        gateway = EpayGateway(GatewayAccount(sim.url, sim.config.pid, sim.config.key))
        redirect = gateway.page_payment(request)   # the buyer's browser goes there
        sim.pay(request.out_trade_no)              # what the 支付 button does

Besides the protocol, two endpoints exist only in the simulator, for tests and
benchmarks: `GET /_sim/trades` (every trade with its notify attempts) and
`POST /_sim/config` (change SimPayConfig fields on a running process).
"""

import contextlib
import dataclasses
import hmac
import html
import json
import math
import random
import re
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx

from kameng.payments.gateways.base import TYPE_LABELS
from kameng.payments.gateways.epay import TRADE_SUCCESS, format_money, signed, verify
from kameng.simulation import Scheduler, SimHandler, SimulatedServer

DEFAULT_PID = "1001"
DEFAULT_KEY = "kameng-demo-epay-key-0123456789"
MAX_BODY = 64 * 1024
REPLY_LOG_CHARS = 40

UNPAID = "unpaid"
PAID = "paid"
CANCELLED = "cancelled"
REFUNDED = "refunded"
# api.php's status: cancelled is a page state only, the gateway still says unpaid.
STATUS = {UNPAID: 0, CANCELLED: 0, PAID: 1, REFUNDED: 2}


_PLAIN_AMOUNT = re.compile(r"[0-9]{1,10}(\.[0-9]{1,2})?")
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


@dataclass
class SimPayConfig:
    """Everything may be changed while the provider runs; each request reads it afresh."""

    pid: str = DEFAULT_PID
    key: str = DEFAULT_KEY
    types: tuple[str, ...] = tuple(TYPE_LABELS)
    notify_delay: float = 0.0  # seconds from payment to the first notify
    notify_repeat: int = 1  # copies of each notify, sent at the same moment in parallel
    drop_rate: float = 0.0  # a trade's notifies are never sent: only a query tells
    repeat_rate: float = 0.0  # a trade's notify is sent again after it was acknowledged
    repeat_delay: float = 1.0  # seconds between the acknowledged notify and its repeat
    reorder: bool = False  # notifies falling due together are sent in shuffled order
    reorder_window: float = 0.2  # with reorder: due times are rounded up to this grid
    notify_method: str = "GET"  # or "POST" (form)
    notify_retries: int = 5  # resends after an answer other than `success`
    retry_delays: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 30.0)  # the last one repeats
    notify_timeout: float = 2.0
    seed: int | None = None

    def check(self) -> None:
        """Raise ValueError naming the first field with a value that cannot work."""
        for name in ("pid", "key", "notify_method"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ValueError(f"{name} must be a non-empty string")
        if self.notify_method not in ("GET", "POST"):
            raise ValueError(f"notify_method must be GET or POST, got {self.notify_method!r}")
        if not self.types or not all(isinstance(t, str) and t for t in self.types):
            raise ValueError("types must be a non-empty list of names")
        for name in ("drop_rate", "repeat_rate"):
            value = getattr(self, name)
            if not _is_number(value) or not 0 <= value <= 1:
                raise ValueError(f"{name} must be between 0 and 1, got {value!r}")
        for name in ("notify_delay", "repeat_delay", "reorder_window", "notify_timeout"):
            value = getattr(self, name)
            if not _is_number(value) or not 0 <= value < 86400:
                raise ValueError(f"{name} must be a number of seconds ≥ 0, got {value!r}")
        if self.notify_timeout <= 0 or self.reorder_window <= 0:
            raise ValueError("notify_timeout and reorder_window must be above 0")
        if not _is_int(self.notify_repeat) or not 1 <= self.notify_repeat <= 100:
            raise ValueError(f"notify_repeat must be 1..100, got {self.notify_repeat!r}")
        if not _is_int(self.notify_retries) or not 0 <= self.notify_retries <= 1000:
            raise ValueError(f"notify_retries must be 0..1000, got {self.notify_retries!r}")
        if not self.retry_delays or not all(
            _is_number(d) and 0 <= d < 86400 for d in self.retry_delays
        ):
            raise ValueError("retry_delays must be a non-empty list of seconds ≥ 0")
        if not isinstance(self.reorder, bool):
            raise ValueError("reorder must be true or false")
        if self.seed is not None and not _is_int(self.seed):
            raise ValueError("seed must be an integer or null")

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclass
class NotifyAttempt:
    at: float  # time.time() when the answer (or the error) came
    status: int  # HTTP status; 0: no HTTP answer (timeout, connection refused)
    reply: str  # the reply's first 40 characters, or the error's name


@dataclass
class SimTrade:
    trade_no: str
    out_trade_no: str
    type: str
    name: str
    money: Decimal
    notify_url: str
    return_url: str
    param: str = ""
    sitename: str = ""
    clientip: str = ""
    device: str = ""
    state: str = UNPAID
    addtime: str = ""
    endtime: str = ""
    notifies: list[NotifyAttempt] = field(default_factory=list)
    refunds: list[tuple[float, Decimal]] = field(default_factory=list)
    dropped: bool = False  # drawn at payment: no notify at all
    repeat: bool = False  # drawn at payment: one more round after the acknowledged one
    delivered: bool = False  # some notify was answered `success`

    def as_dict(self) -> dict[str, Any]:
        return {
            "trade_no": self.trade_no,
            "out_trade_no": self.out_trade_no,
            "type": self.type,
            "name": self.name,
            "money": format_money(self.money),
            "state": self.state,
            "status": STATUS[self.state],
            "param": self.param,
            "notify_url": self.notify_url,
            "return_url": self.return_url,
            "addtime": self.addtime,
            "endtime": self.endtime or None,
            "dropped": self.dropped,
            "repeat": self.repeat,
            "delivered": self.delivered,
            "notifies": [dataclasses.asdict(a) for a in self.notifies],
            "refunds": [{"at": at, "money": format_money(m)} for at, m in self.refunds],
        }


@dataclass
class _Response:
    status: int
    body: bytes
    content_type: str
    location: str = ""


class _Handler(SimHandler):
    def do_GET(self) -> None:
        self._serve("GET", b"")

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True
            self._respond(_Response(413, b"request body too large", "text/plain; charset=utf-8"))
            return
        self._serve("POST", self.rfile.read(length) if length else b"")

    def _serve(self, method: str, body: bytes) -> None:
        sim = self.server.sim
        path, _, query = self.path.partition("?")
        host = self.headers.get("Host") or ""
        base = f"http://{host}" if _HOST.fullmatch(host) else sim.url
        try:
            response = sim._handle(method, path, query, body, self.headers, base)
        except Exception:  # a simulator bug: say so, keep serving
            traceback.print_exc()
            response = _Response(500, b"simulator error", "text/plain; charset=utf-8")
        self._respond(response)

    def _respond(self, response: _Response) -> None:
        headers = {"Cache-Control": "no-store"}  # pages and answers change as trades do
        if response.location:
            headers["Location"] = response.location
        self._reply(response.status, response.body, response.content_type, headers)


class SimulatedEpay(SimulatedServer):
    """A 易支付 provider on a local port; `start()` it or use `with`."""

    handler = _Handler
    thread_name = "sim-pay"
    title = "simulated payment provider"

    def __init__(
        self,
        config: SimPayConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        notify_workers: int = 16,
    ) -> None:
        config = config or SimPayConfig()
        config.check()
        super().__init__(
            host,
            port,
            scheduler=Scheduler("sim-pay-scheduler", arrange=self._arrange),
            pool=ThreadPoolExecutor(notify_workers, thread_name_prefix="sim-pay-notify"),
            http=httpx.Client(
                trust_env=False,
                follow_redirects=False,
                limits=httpx.Limits(max_connections=400, max_keepalive_connections=50),
                headers={"User-Agent": "Kameng SimulatedEpay"},
            ),
        )
        self.config = config
        self.trades: dict[str, SimTrade] = {}  # by trade_no
        self._by_out: dict[str, str] = {}  # out_trade_no → trade_no
        self.counts = {"submit": 0, "mapi": 0, "query": 0, "refund": 0, "notify": 0}
        self._rng = random.Random(self.config.seed)
        self._seed = self.config.seed

    # --- for tests -------------------------------------------------------------------

    def trade(self, trade_no_or_out_trade_no: str) -> SimTrade:
        """The trade by either number; KeyError if there is none."""
        with self.lock:
            key = trade_no_or_out_trade_no
            trade_no = key if key in self.trades else self._by_out.get(key)
            if trade_no is None:
                raise KeyError(f"no trade {key!r}")
            return self.trades[trade_no]

    def pay(self, trade_no_or_out_trade_no: str) -> SimTrade:
        """What the 支付 button does, without a browser: mark paid (once) and schedule
        the notify. KeyError for an unknown trade."""
        trade = self.trade(trade_no_or_out_trade_no)
        self._pay(trade)
        return trade

    def update_config(self, changes: Mapping[str, Any]) -> None:
        """Change config fields at once, or none (ValueError) if one is unknown or bad."""
        names = {f.name for f in dataclasses.fields(SimPayConfig)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValueError(f"unknown config fields: {unknown}")
        values = dict(changes)
        for name in ("types", "retry_delays"):
            if isinstance(values.get(name), list):
                values[name] = tuple(values[name])
        for name in ("notify_delay", "repeat_delay", "reorder_window", "notify_timeout"):
            if _is_int(values.get(name)):
                values[name] = float(values[name])
        candidate = dataclasses.replace(self.config, **values)
        candidate.check()
        with self.lock:
            for name, value in values.items():
                setattr(self.config, name, value)
            if self.config.seed != self._seed:
                self._seed = self.config.seed
                self._rng.seed(self._seed)

    # --- HTTP ------------------------------------------------------------------------

    def _handle(
        self, method: str, path: str, query: str, body: bytes, headers: Any, base: str
    ) -> _Response:
        params = _parse(query)
        content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if method == "POST" and content_type != "application/json":
            params.update(_parse(body.decode("utf-8", "replace")))
        route = (method, path.rstrip("/") or "/")
        if route in (("GET", "/submit.php"), ("POST", "/submit.php")):
            return self._submit(params)
        if route == ("POST", "/mapi.php"):
            return self._mapi(params, base)
        if route == ("GET", "/pay.php"):
            return self._pay_page(params)
        if route == ("POST", "/pay.php"):
            return self._pay_post(params)
        if route == ("POST", "/cancel.php"):
            return self._cancel_post(params)
        if path == "/api.php":
            return _json(self._api(method, params))
        if route == ("GET", "/_sim/trades"):
            with self.lock:
                return _json([t.as_dict() for t in self.trades.values()])
        if route == ("GET", "/_sim/config"):
            with self.lock:
                return _json(self.config.as_dict())
        if route == ("POST", "/_sim/config"):
            return self._config_post(body)
        known = {"/submit.php", "/mapi.php", "/pay.php", "/cancel.php", "/_sim/trades"}
        if path in known or path == "/_sim/config":
            return _Response(405, b"method not allowed", "text/plain; charset=utf-8")
        return _Response(404, b"not found", "text/plain; charset=utf-8")

    def _config_post(self, body: bytes) -> _Response:
        try:
            changes = json.loads(body or b"{}")
            if not isinstance(changes, dict):
                raise ValueError("want a JSON object of SimPayConfig fields")
            self.update_config(changes)
        except (ValueError, TypeError) as exc:
            return _json({"code": -1, "msg": str(exc)}, status=400)
        with self.lock:
            return _json({"code": 1, "config": self.config.as_dict()})

    # --- creating trades ------------------------------------------------------------

    def _create(self, params: dict[str, str], *, require_return: bool) -> SimTrade | str:
        """The (new or same) trade for a signed payment request, or why not (Chinese)."""
        cfg = self.config
        if params.get("pid") != cfg.pid:
            return "商户不存在（pid 错误）"
        if not verify(params, cfg.key):
            return "签名校验失败"
        required = ["type", "out_trade_no", "notify_url", "name", "money"]
        if require_return:
            required.append("return_url")
        missing = [name for name in required if not params.get(name)]
        if missing:
            return f"缺少参数：{', '.join(missing)}"
        if params["type"] not in cfg.types:
            return f"支付方式不存在：{params['type']}"
        money_text = params["money"]
        if not _PLAIN_AMOUNT.fullmatch(money_text) or Decimal(money_text) <= 0:
            return f"金额不合法：{money_text}"
        money = Decimal(money_text).quantize(Decimal("0.01"))
        out_trade_no = params["out_trade_no"]
        if len(out_trade_no) > 64:
            return "商户订单号过长"
        with self.lock:
            existing = self._by_out.get(out_trade_no)
            if existing is not None:
                trade = self.trades[existing]
                if trade.money != money:
                    return "该商户订单号已存在，且金额不同"
                if trade.state == CANCELLED:  # the buyer came back to pay
                    trade.state = UNPAID
                return trade
            trade = SimTrade(
                trade_no=self._new_trade_no(),
                out_trade_no=out_trade_no,
                type=params["type"],
                name=params["name"],
                money=money,
                notify_url=params["notify_url"],
                return_url=params.get("return_url", ""),
                param=params.get("param", ""),
                sitename=params.get("sitename", ""),
                clientip=params.get("clientip", ""),
                device=params.get("device", ""),
                addtime=_now_text(),
            )
            self.trades[trade.trade_no] = trade
            self._by_out[out_trade_no] = trade.trade_no
            return trade

    def _new_trade_no(self) -> str:
        """Date + 14 random digits, like "2026120712345678901234". Lock held."""
        while True:
            trade_no = time.strftime("%Y%m%d") + f"{self._rng.randrange(10**14):014d}"
            if trade_no not in self.trades:
                return trade_no

    def _submit(self, params: dict[str, str]) -> _Response:
        with self.lock:
            self.counts["submit"] += 1
        trade = self._create(params, require_return=True)
        if isinstance(trade, str):
            return _page(400, "支付请求错误", f'<p class="error">{html.escape(trade)}</p>')
        return self._trade_page(trade)

    def _mapi(self, params: dict[str, str], base: str) -> _Response:
        with self.lock:
            self.counts["mapi"] += 1
        if not params.get("clientip"):
            return _json({"code": -1, "msg": "缺少参数：clientip"})
        trade = self._create(params, require_return=False)
        if isinstance(trade, str):
            return _json({"code": -1, "msg": trade})
        pay_url = f"{base}/pay.php?{urlencode({'trade_no': trade.trade_no})}"
        return _json(
            {
                "code": 1,
                "msg": "success",
                "trade_no": trade.trade_no,
                "payurl": pay_url,
                "qrcode": pay_url,
            }
        )

    # --- the cashier page and its buttons --------------------------------------------

    def _trade_page(self, trade: SimTrade) -> _Response:
        with self.lock:
            state, trade_no = trade.state, trade.trade_no
        quoted = html.escape(trade_no)
        if state == UNPAID:
            actions = (
                '<form method="post" action="/pay.php">'
                f'<input type="hidden" name="trade_no" value="{quoted}">'
                '<button id="sim-pay" class="pay" type="submit">支付</button></form>'
                '<form method="post" action="/cancel.php">'
                f'<input type="hidden" name="trade_no" value="{quoted}">'
                '<button id="sim-cancel" class="cancel" type="submit">取消</button></form>'
            )
        else:
            label = {PAID: "已支付", CANCELLED: "已取消", REFUNDED: "已退款"}[state]
            actions = f'<p class="state" id="sim-state">{label}</p>'
        rows = [
            ("商品", trade.name),
            ("支付方式", TYPE_LABELS.get(trade.type, trade.type)),
            ("订单号", trade_no),
            ("商户订单号", trade.out_trade_no),
        ]
        details = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows)
        content = (
            f'<div class="amount" id="sim-amount">¥{format_money(trade.money)}</div>'
            f"<dl>{details}</dl>{actions}"
        )
        return _page(200, trade.sitename or "收银台", content)

    def _pay_page(self, params: dict[str, str]) -> _Response:
        try:
            trade = self.trade(params.get("trade_no", ""))
        except KeyError:
            return _page(404, "订单不存在", '<p class="error">订单不存在</p>')
        return self._trade_page(trade)

    def _pay_post(self, params: dict[str, str]) -> _Response:
        try:
            trade = self.trade(params.get("trade_no", ""))
        except KeyError:
            return _page(404, "订单不存在", '<p class="error">订单不存在</p>')
        self._pay(trade)  # paying twice changes nothing, and lands on the same page
        if not trade.return_url:
            return _page(200, "支付成功", '<p class="state" id="sim-state">已支付</p>')
        return self._back(trade, self._notify_params(trade))

    def _cancel_post(self, params: dict[str, str]) -> _Response:
        try:
            trade = self.trade(params.get("trade_no", ""))
        except KeyError:
            return _page(404, "订单不存在", '<p class="error">订单不存在</p>')
        with self.lock:
            if trade.state == UNPAID:
                trade.state = CANCELLED
        if not trade.return_url:
            return _page(200, "已取消", '<p class="state" id="sim-state">已取消</p>')
        return self._back(trade, {})

    @staticmethod
    def _back(trade: SimTrade, params: dict[str, str]) -> _Response:
        """302 to the merchant's return_url, with `params` added to its query."""
        location = trade.return_url
        if params:
            location += ("&" if "?" in location else "?") + urlencode(params)
        return _Response(302, b"", "text/plain; charset=utf-8", location=location)

    def _pay(self, trade: SimTrade) -> bool:
        """Mark paid and schedule the notify; False if it was paid already."""
        cfg = self.config
        with self.lock:
            if trade.state not in (UNPAID, CANCELLED):
                return False
            trade.state = PAID
            trade.endtime = _now_text()
            trade.dropped = self._chance(cfg.drop_rate)
            trade.repeat = self._chance(cfg.repeat_rate)
        if not trade.dropped:
            self._schedule(trade, 0, time.monotonic() + cfg.notify_delay)
        return True

    # --- api.php: query and refund ---------------------------------------------------

    def _api(self, method: str, params: dict[str, str]) -> dict[str, Any]:
        cfg = self.config
        act = params.get("act", "")
        if act not in ("order", "refund"):
            return {"code": -1, "msg": f"act 不存在：{act}"}
        with self.lock:
            self.counts["query" if act == "order" else "refund"] += 1
        if params.get("pid") != cfg.pid:
            return {"code": -1, "msg": "商户不存在"}
        given = params.get("key", "").encode("utf-8")
        if not given or not hmac.compare_digest(given, cfg.key.encode("utf-8")):
            return {"code": -1, "msg": "商户密钥错误"}
        ident = params.get("trade_no") or params.get("out_trade_no") or ""
        try:
            trade = self.trade(ident)
        except KeyError:
            return {"code": -1, "msg": "订单不存在"}
        if act == "order":
            with self.lock:
                return {
                    "code": 1,
                    "msg": "succ",
                    "trade_no": trade.trade_no,
                    "out_trade_no": trade.out_trade_no,
                    "type": trade.type,
                    "pid": cfg.pid,
                    "name": trade.name,
                    "money": format_money(trade.money),
                    "param": trade.param,
                    "status": STATUS[trade.state],
                    "addtime": trade.addtime,
                    "endtime": trade.endtime or None,
                }
        if method != "POST":
            return {"code": -1, "msg": "退款请使用 POST"}
        money_text = params.get("money", "")
        if not _PLAIN_AMOUNT.fullmatch(money_text) or Decimal(money_text) <= 0:
            return {"code": -1, "msg": f"退款金额不合法：{money_text}"}
        money = Decimal(money_text)
        with self.lock:
            if trade.state == REFUNDED:
                return {"code": -1, "msg": "已退款"}
            if trade.state != PAID:
                return {"code": -1, "msg": "订单未支付"}
            if money > trade.money:
                return {"code": -1, "msg": "退款金额大于订单金额"}
            trade.state = REFUNDED
            trade.refunds.append((time.time(), money.quantize(Decimal("0.01"))))
        return {"code": 1, "msg": "退款成功"}

    # --- notifies --------------------------------------------------------------------

    def _notify_params(self, trade: SimTrade) -> dict[str, str]:
        fields = {
            "pid": self.config.pid,
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "type": trade.type,
            "name": trade.name,
            "money": format_money(trade.money),
            "trade_status": TRADE_SUCCESS,
        }
        if trade.param:
            fields["param"] = trade.param
        return signed(fields, self.config.key)

    def _chance(self, rate: float) -> bool:
        with self.lock:
            return rate > 0 and self._rng.random() < rate

    def _arrange(self, batch: list[Callable[[], None]]) -> None:
        if self.config.reorder and len(batch) > 1:
            with self.lock:
                self._rng.shuffle(batch)

    def _schedule(self, trade: SimTrade, attempt: int, when: float) -> None:
        """Round `attempt` (0: first, then the retries) of the trade's notify at `when`."""
        cfg = self.config
        if cfg.reorder:  # due times on a grid, so that several fall due together
            when = math.ceil(when / cfg.reorder_window) * cfg.reorder_window
        self._scheduler.call_at(when, lambda: self._hand_off(trade, attempt))

    def _hand_off(self, trade: SimTrade, attempt: int) -> None:
        with contextlib.suppress(RuntimeError):  # pool shut down: the provider is stopping
            self._pool.submit(self._deliver, trade, attempt)

    def _deliver(self, trade: SimTrade, attempt: int) -> None:
        """One round: `notify_repeat` copies at once; then the retry or the repeat."""
        cfg = self.config
        with self.lock:
            params = self._notify_params(trade)
            url, method, copies = trade.notify_url, cfg.notify_method, cfg.notify_repeat
        if copies == 1:
            delivered = self._send(trade, url, method, params)
        else:
            results = [False] * copies
            barrier = threading.Barrier(copies)

            def send(i: int) -> None:
                with contextlib.suppress(threading.BrokenBarrierError):
                    barrier.wait(timeout=5)
                results[i] = self._send(trade, url, method, params)

            threads = [
                threading.Thread(target=send, args=(i,), name="sim-pay-copy", daemon=True)
                for i in range(copies)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            delivered = any(results)
        if self._stopping.is_set():
            return
        now = time.monotonic()
        if delivered:
            with self.lock:
                trade.delivered = True
                again, trade.repeat = trade.repeat, False
            if again:
                self._schedule(trade, 0, now + cfg.repeat_delay)
        elif attempt < cfg.notify_retries:
            delays = cfg.retry_delays
            self._schedule(trade, attempt + 1, now + delays[min(attempt, len(delays) - 1)])

    def _send(self, trade: SimTrade, url: str, method: str, params: dict[str, str]) -> bool:
        """One notify request; logged on the trade; True if answered `success`."""
        timeout = self.config.notify_timeout
        try:
            if method == "POST":
                response = self._http.post(url, data=params, timeout=timeout)
            else:
                target = url + ("&" if "?" in url else "?") + urlencode(params)
                response = self._http.get(target, timeout=timeout)
            status, text = response.status_code, response.text
        except Exception as exc:  # timeouts, refused connections, a URL httpx refuses
            status, text = 0, type(exc).__name__
        with self.lock:
            self.counts["notify"] += 1
            trade.notifies.append(NotifyAttempt(time.time(), status, text[:REPLY_LOG_CHARS]))
        return status == 200 and text.strip() == "success"


# --- helpers ---------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _parse(text: str) -> dict[str, str]:
    return dict(parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="replace"))


def _now_text() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


def _json(data: Any, status: int = 200) -> _Response:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return _Response(status, body, "application/json; charset=utf-8")


_STYLE = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#f2f3f5;color:#1f2329;
font:16px/1.5 -apple-system,"PingFang SC","Hiragino Sans GB","Microsoft YaHei",sans-serif}
main{max-width:420px;margin:0 auto;padding:16px}
.card{background:#fff;border-radius:12px;padding:20px 16px;box-shadow:0 1px 3px #0002}
h1{font-size:17px;font-weight:600;margin:0;text-align:center;overflow-wrap:anywhere}
.amount{font-size:34px;font-weight:600;text-align:center;margin:12px 0 16px;
overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:auto minmax(0,1fr);gap:8px 12px;margin:0 0 16px;
font-size:14px}
dt{color:#8f959e;white-space:nowrap}
dd{margin:0;text-align:right;overflow-wrap:anywhere;min-width:0}
form{margin:0}
button{display:block;width:100%;margin-top:10px;padding:12px;font-size:16px;
border-radius:8px;cursor:pointer}
.pay{background:#1677ff;border:1px solid #1677ff;color:#fff}
.cancel{background:#fff;border:1px solid #d0d3d6;color:#1f2329}
.state{text-align:center;font-size:18px;margin:8px 0}
.error{color:#d83931;text-align:center;overflow-wrap:anywhere}
.note{font-size:12px;color:#8f959e;text-align:center;margin:16px 0 0}
"""


def _page(status: int, title: str, content: str) -> _Response:
    """A self-contained page (inline CSS, no external assets) that fits a phone."""
    text = (
        '<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} - 易支付模拟收银台</title><style>{_STYLE}</style></head>"
        f'<body><main><div class="card"><h1>{html.escape(title)}</h1>{content}</div>'
        '<p class="note">模拟支付（Kameng 测试用），不会产生真实扣款</p></main></body></html>\n'
    )
    return _Response(status, text.encode("utf-8"), "text/html; charset=utf-8")
