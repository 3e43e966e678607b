"""EpayGateway against SimulatedEpay over real HTTP: the cashier page and its buttons,
signed notifies delivered to a local merchant receiver (retried, repeated, dropped),
query, API payment, refunds, unreachable gateways, and the `kameng sim-pay` command.
Each test starts its own simulator on a free port; no database."""

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from django.core.management import CommandError, call_command

from kameng.payments.gateways import (
    ForgedNotify,
    GatewayAccount,
    GatewayRefused,
    GatewayUnreachable,
    PaymentRequest,
    PaymentState,
)
from kameng.payments.gateways.epay import EpayGateway, signed
from kameng.payments.simulator import DEFAULT_KEY, SimPayConfig, SimulatedEpay

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


@dataclass
class Received:
    at: float
    method: str
    path: str
    params: dict[str, str]


class Merchant:
    """The merchant's side in miniature: records every request's parameters (query
    string, or form body for POST) and answers `replies[n]` to the n-th request (the
    last one repeats). `hold` seconds before answering, to see notifies overlap."""

    def __init__(self, *replies: str, hold: float = 0.0) -> None:
        self.replies = list(replies) or ["success"]
        self.hold = hold
        self.received: list[Received] = []
        self.active = 0
        self.peak = 0
        self.lock = threading.Lock()
        merchant = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                merchant._handle(self, "GET", "")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                merchant._handle(self, "POST", self.rfile.read(length).decode())

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.notify_url = f"{self.base}/notify"
        self.return_url = f"{self.base}/return"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def _handle(self, handler: BaseHTTPRequestHandler, method: str, body: str) -> None:
        path, _, query = handler.path.partition("?")
        params = dict(parse_qsl(query if method == "GET" else body, keep_blank_values=True))
        with self.lock:
            self.received.append(Received(time.monotonic(), method, path, params))
            reply = self.replies[min(len(self.received), len(self.replies)) - 1]
            self.active += 1
            self.peak = max(self.peak, self.active)
        time.sleep(self.hold)
        with self.lock:
            self.active -= 1
        data = reply.encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_sim(**config: object) -> SimulatedEpay:
    """A simulator with short retry delays, to start with `with`."""
    fast = {"retry_delays": (0.05,), "notify_timeout": 1.0, "seed": 7}
    return SimulatedEpay(SimPayConfig(**{**fast, **config}))  # type: ignore[arg-type]


@pytest.fixture
def merchant() -> Iterator[Merchant]:
    m = Merchant()
    yield m
    m.close()


@pytest.fixture
def sim() -> Iterator[SimulatedEpay]:
    with start_sim() as s:
        yield s


def gateway_of(sim: SimulatedEpay, **kwargs: object) -> EpayGateway:
    account = GatewayAccount(sim.url, sim.config.pid, sim.config.key, ("alipay", "wxpay"))
    return EpayGateway(account, timeout=2.0, **kwargs)  # type: ignore[arg-type]


def pay_request(merchant: Merchant, out_trade_no: str = "K1", amount: str = "10", **more):
    return PaymentRequest(
        out_trade_no=out_trade_no,
        amount=Decimal(amount),
        name="腾讯Q币 10元",
        type="alipay",
        notify_url=merchant.notify_url,
        return_url=merchant.return_url,
        sitename="演示卡盟",
        param="order=42",
        **more,
    )


def open_page(sim: SimulatedEpay, merchant: Merchant, out_trade_no: str = "K1", amount="10"):
    redirect = gateway_of(sim).page_payment(pay_request(merchant, out_trade_no, amount))
    return httpx.post(redirect.url, data=redirect.fields)


# --- the cashier page ------------------------------------------------------------------------


def test_page_payment_shows_the_cashier_page(sim, merchant):
    page = open_page(sim, merchant)
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    text = page.text
    trade = sim.trade("K1")
    assert trade.trade_no.startswith(time.strftime("%Y%m%d")) and len(trade.trade_no) == 22
    for shown in ("演示卡盟", "腾讯Q币 10元", "¥10.00", "支付宝", trade.trade_no, "K1"):
        assert shown in text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    assert 'id="sim-pay"' in text and 'id="sim-cancel"' in text
    assert 'action="/pay.php"' in text and 'action="/cancel.php"' in text
    assert "<link" not in text and "<script" not in text and "src=" not in text
    # The same trade as a GET link; the same out_trade_no with the same money is the same
    # trade, with other money an error page.
    link = gateway_of(sim).page_payment(pay_request(merchant)).get_url()
    assert trade.trade_no in httpx.get(link).text
    assert len(sim.trades) == 1
    other = open_page(sim, merchant, amount="11")
    assert other.status_code == 400
    assert "金额不同" in other.text


def test_a_bad_signature_at_submit_gets_an_error_page(sim, merchant):
    fields = gateway_of(sim).page_payment(pay_request(merchant)).fields
    url = f"{sim.url}/submit.php"
    for bad in (
        {**fields, "money": "0.01"},  # tampered after signing
        signed({**fields, "pid": "9999"}, sim.config.key),  # another merchant
        signed(fields, "another-key-0123456789"),
        {k: v for k, v in fields.items() if k != "sign"},
    ):
        page = httpx.post(url, data=bad)
        assert page.status_code == 400
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert "sim-pay" not in page.text
    assert sim.trades == {}


# --- paying and the notify ---------------------------------------------------------------------


def test_paying_sends_a_notify_that_verifies(sim, merchant):
    open_page(sim, merchant)
    gateway = gateway_of(sim)
    assert gateway.query("K1").state is PaymentState.UNPAID
    trade = sim.pay("K1")
    wait_for(lambda: len(merchant.received) == 1)
    got = merchant.received[0]
    assert (got.method, got.path) == ("GET", "/notify")
    result = gateway.verify_notify(got.params)
    assert result.paid
    assert (result.out_trade_no, result.trade_no) == ("K1", trade.trade_no)
    assert result.money == Decimal("10.00")
    assert result.param == "order=42"
    queried = gateway.query("K1")
    assert (queried.state, queried.money, queried.trade_no) == (
        PaymentState.PAID,
        Decimal("10.00"),
        trade.trade_no,
    )
    wait_for(lambda: trade.delivered)
    assert [(a.status, a.reply) for a in trade.notifies] == [(200, "success")]
    sim.pay(trade.trade_no)  # paying twice changes nothing
    time.sleep(0.2)
    assert len(merchant.received) == 1


def test_the_pay_button_returns_the_buyer_with_signed_parameters(sim, merchant):
    open_page(sim, merchant)
    trade_no = sim.trade("K1").trade_no
    gateway = gateway_of(sim)
    answer = httpx.post(f"{sim.url}/pay.php", data={"trade_no": trade_no})
    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == merchant.return_url
    returned = dict(parse_qsl(location.query))
    assert gateway.verify_notify(returned).out_trade_no == "K1"
    wait_for(lambda: len(merchant.received) == 1)
    assert merchant.received[0].params == returned  # the same parameters as the notify
    again = httpx.post(f"{sim.url}/pay.php", data={"trade_no": trade_no})
    assert again.status_code == 302
    time.sleep(0.2)
    assert len(merchant.received) == 1
    page = httpx.get(f"{sim.url}/pay.php", params={"trade_no": trade_no}).text
    assert "已支付" in page and "sim-pay" not in page


def test_the_cancel_button_returns_the_buyer_without_parameters(sim, merchant):
    open_page(sim, merchant)
    trade = sim.trade("K1")
    answer = httpx.post(f"{sim.url}/cancel.php", data={"trade_no": trade.trade_no})
    assert answer.status_code == 302
    assert answer.headers["location"] == merchant.return_url
    assert trade.state == "cancelled"
    assert gateway_of(sim).query("K1").state is PaymentState.UNPAID
    time.sleep(0.1)
    assert merchant.received == []


def test_a_notify_not_answered_success_is_retried(merchant):
    merchant.replies = ["fail", "<html>502</html>", "success"]
    with start_sim() as sim:
        open_page(sim, merchant)
        trade = sim.pay("K1")
        wait_for(lambda: trade.delivered)
        time.sleep(0.15)
        assert [(a.status, a.reply) for a in trade.notifies] == [
            (200, "fail"),
            (200, "<html>502</html>"),
            (200, "success"),
        ]
    gateway = EpayGateway(GatewayAccount("http://127.0.0.1:1", "1001", DEFAULT_KEY))
    assert all(gateway.verify_notify(r.params).paid for r in merchant.received)


def test_retries_stop_after_notify_retries(merchant):
    merchant.replies = ["fail"]
    with start_sim(notify_retries=2) as sim:
        open_page(sim, merchant)
        trade = sim.pay("K1")
        wait_for(lambda: len(trade.notifies) == 3)
        time.sleep(0.2)
        assert len(trade.notifies) == 3 and not trade.delivered


def test_notify_repeat_sends_copies_at_the_same_moment():
    merchant = Merchant(hold=0.3)
    try:
        with start_sim(notify_repeat=5) as sim:
            open_page(sim, merchant)
            trade = sim.pay("K1")
            wait_for(lambda: len(merchant.received) == 5)
            wait_for(lambda: trade.delivered)
            time.sleep(0.1)
        arrivals = [r.at for r in merchant.received]
        assert len(arrivals) == 5
        assert max(arrivals) - min(arrivals) < 0.25  # all before the first was answered
        assert merchant.peak == 5
        assert len({json.dumps(r.params, sort_keys=True) for r in merchant.received}) == 1
    finally:
        merchant.close()


def test_repeat_rate_sends_an_acknowledged_notify_again(merchant):
    with start_sim(repeat_rate=1.0, repeat_delay=0.05) as sim:
        open_page(sim, merchant)
        sim.pay("K1")
        wait_for(lambda: len(merchant.received) == 2)
        time.sleep(0.2)
    assert len(merchant.received) == 2  # once more, not forever
    assert merchant.received[0].params == merchant.received[1].params


def test_dropped_notifies_leave_only_the_query(merchant):
    with start_sim(drop_rate=1.0) as sim:
        open_page(sim, merchant)
        assert sim.pay("K1").dropped
        time.sleep(0.3)
        assert merchant.received == []
        assert gateway_of(sim).query("K1").state is PaymentState.PAID


def test_reordered_notifies_all_arrive(merchant):
    with start_sim(reorder=True, reorder_window=0.1) as sim:
        numbers = [f"R{i}" for i in range(8)]
        for number in numbers:
            open_page(sim, merchant, number)
        for number in numbers:
            sim.pay(number)
        wait_for(lambda: len(merchant.received) == 8)
    assert sorted(r.params["out_trade_no"] for r in merchant.received) == numbers


def test_config_changes_at_runtime_post_notifies(sim, merchant):
    answer = httpx.post(f"{sim.url}/_sim/config", json={"notify_method": "POST"})
    assert answer.status_code == 200
    assert answer.json()["config"]["notify_method"] == "POST"
    for bad in ({"drop_rate": 2}, {"no_such_field": 1}, {"notify_repeat": "5"}, [1]):
        refused = httpx.post(f"{sim.url}/_sim/config", json=bad)
        assert refused.status_code == 400 and refused.json()["code"] == -1
    assert sim.config.drop_rate == 0.0
    open_page(sim, merchant)
    sim.pay("K1")
    wait_for(lambda: len(merchant.received) == 1)
    got = merchant.received[0]
    assert got.method == "POST"
    assert gateway_of(sim).verify_notify(got.params).paid
    wait_for(lambda: sim.trade("K1").delivered)
    (listed,) = httpx.get(f"{sim.url}/_sim/trades").json()
    assert listed["out_trade_no"] == "K1" and listed["state"] == "paid"
    assert listed["money"] == "10.00"
    assert [(a["status"], a["reply"]) for a in listed["notifies"]] == [(200, "success")]


def test_a_forged_notify_is_not_accepted_by_the_gateway(sim, merchant):
    open_page(sim, merchant)
    sim.pay("K1")
    wait_for(lambda: len(merchant.received) == 1)
    params = dict(merchant.received[0].params)
    params["money"] = "0.01"
    with pytest.raises(ForgedNotify):
        gateway_of(sim).verify_notify(params)


# --- query, API payment, refund -------------------------------------------------------------


def test_query_of_an_unknown_trade(sim):
    result = gateway_of(sim).query("never-created")
    assert not result.found
    assert result.state is PaymentState.UNPAID


def test_api_payment_returns_a_pay_url_that_shows_the_page(sim, merchant):
    gateway = gateway_of(sim)
    payment = gateway.api_payment(pay_request(merchant, "A1", "3.5", client_ip="203.0.113.9"))
    assert payment.trade_no == sim.trade("A1").trade_no
    assert payment.pay_url.startswith(f"{sim.url}/pay.php?") and payment.qrcode == payment.pay_url
    page = httpx.get(payment.pay_url).text
    assert "¥3.50" in page and 'id="sim-pay"' in page and 'id="sim-cancel"' in page
    assert sim.trade("A1").clientip == "203.0.113.9"
    # Asked again (after a timeout, say): the same trade.
    again = gateway.api_payment(pay_request(merchant, "A1", "3.5", client_ip="203.0.113.9"))
    assert again.trade_no == payment.trade_no
    with pytest.raises(GatewayRefused, match="金额不同"):
        gateway.api_payment(pay_request(merchant, "A1", "4", client_ip="203.0.113.9"))
    wrong_key = EpayGateway(GatewayAccount(sim.url, sim.config.pid, "x" * 32))
    with pytest.raises(GatewayRefused, match="签名"):
        wrong_key.api_payment(pay_request(merchant, "A2", client_ip="203.0.113.9"))


def test_refund(sim, merchant):
    gateway = gateway_of(sim)
    open_page(sim, merchant)
    unpaid = gateway.refund(out_trade_no="K1", money=Decimal("10"))
    assert not unpaid.ok and unpaid.message == "订单未支付"
    trade = sim.pay("K1")
    too_much = gateway.refund(out_trade_no="K1", money=Decimal("10.01"))
    assert not too_much.ok
    refunded = gateway.refund(out_trade_no="K1", money=Decimal("10"), trade_no=trade.trade_no)
    assert refunded.ok and refunded.message == "退款成功"
    assert gateway.query("K1").state is PaymentState.REFUNDED
    second = gateway.refund(out_trade_no="K1", money=Decimal("10"))
    assert not second.ok and second.message == "已退款"
    assert [m for _, m in trade.refunds] == [Decimal("10.00")]
    unknown = gateway.refund(out_trade_no="nope", money=Decimal("1"))
    assert not unknown.ok and unknown.message == "订单不存在"


def test_api_php_refuses_a_wrong_key(sim):
    for params in (
        {"act": "order", "pid": sim.config.pid, "key": "wrong", "out_trade_no": "K1"},
        {"act": "order", "pid": "9", "key": sim.config.key, "out_trade_no": "K1"},
        {"act": "order", "pid": sim.config.pid, "out_trade_no": "K1"},
    ):
        answer = httpx.get(f"{sim.url}/api.php", params=params).json()
        assert answer["code"] == -1 and answer["msg"] != "订单不存在"


# --- when the gateway cannot be trusted or reached ---------------------------------------------


def test_a_closed_port_is_unreachable_quickly(merchant):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gateway = EpayGateway(
        GatewayAccount(f"http://127.0.0.1:{port}", "1001", DEFAULT_KEY), timeout=1.0
    )
    started = time.monotonic()
    for call in (
        lambda: gateway.query("K1"),
        lambda: gateway.api_payment(pay_request(merchant, client_ip="1.2.3.4")),
        lambda: gateway.refund(out_trade_no="K1", money=Decimal("1")),
    ):
        with pytest.raises(GatewayUnreachable):
            call()
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize("reply", ["success", "<html>CDN challenge</html>", "[1]", '{"msg":1}'])
def test_an_answer_that_is_not_the_protocols_is_unreachable(reply):
    not_a_gateway = Merchant(reply)
    try:
        gateway = EpayGateway(GatewayAccount(not_a_gateway.base, "1001", DEFAULT_KEY))
        with pytest.raises(GatewayUnreachable):
            gateway.query("K1")
        with pytest.raises(GatewayUnreachable):
            gateway.refund(out_trade_no="K1", money=Decimal("1"))
        with pytest.raises(GatewayUnreachable):
            gateway.api_payment(pay_request(not_a_gateway, client_ip="1.2.3.4"))
    finally:
        not_a_gateway.close()


# --- the command --------------------------------------------------------------------------------


def kameng(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "kameng.cli", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sim_pay_serves_until_terminated(merchant):
    proc = kameng("sim-pay", "--port", "0", "--pid", "2002", "--notify-repeat", "2")
    try:
        with ThreadPoolExecutor(1) as pool:
            line = pool.submit(proc.stdout.readline).result(timeout=30)
        info = json.loads(line)
        assert info["pid"] == "2002"
        gateway = EpayGateway(GatewayAccount(info["url"], "2002", DEFAULT_KEY), timeout=2.0)
        assert not gateway.query("K1").found
        gateway.api_payment(pay_request(merchant, client_ip="1.2.3.4"))
        assert gateway.query("K1").state is PaymentState.UNPAID
        changed = httpx.post(f"{info['url']}/_sim/config", json={"retry_delays": [0.05]})
        assert changed.json()["config"]["retry_delays"] == [0.05]
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 0, stderr


def test_sim_pay_refuses_a_bad_rate_with_a_message():
    proc = kameng("sim-pay", "--port", "0", "--drop-rate", "2")
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert "--drop-rate" in stderr and "between 0 and 1" in stderr
    assert "Traceback" not in stderr and stdout == ""


def test_kameng_help_sim_pay():
    proc = kameng("help", "sim-pay")
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert stdout.startswith("usage: kameng sim-pay")
    assert "--notify-repeat" in stdout and "--drop-rate" in stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--drop-rate", "2"],
        ["--repeat-rate", "-0.1"],
        ["--drop-rate", "nan"],
        ["--notify-delay-ms", "-1"],
        ["--notify-repeat", "0"],
        ["--notify-method", "PUT"],
        ["--key", "short"],
        ["--pid", ""],
        ["--port", "70000"],
    ],
)
def test_sim_pay_bad_arguments(args):
    with pytest.raises(CommandError):
        call_command("sim_pay", "--port", "0", *args)
