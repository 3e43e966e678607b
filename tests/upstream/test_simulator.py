"""The simulated supplier: protocol rules, magic accounts, callbacks delivered to a real
local receiver (which verifies them with the adapter), load, and the CLI."""

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core.management import CommandError, call_command

from kameng.upstream.adapters.base import (
    ForgedCallback,
    Outcome,
    StatusReport,
    SubmitResult,
    SupplierCredentials,
    SupplierUnreachable,
    TopupRequest,
)
from kameng.upstream.adapters.kameng_http import KamengHttpAdapter, encode, signed, verify
from kameng.upstream.management.commands.sim_supplier import load_catalog
from kameng.upstream.simulator import SimConfig, SimProduct, SimulatedSupplier

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


class Receiver:
    """Kameng's side of callbacks, in miniature: parse with the adapter, answer its reply.
    `refuse_first` answers HTTP 503 to that many requests first (to exercise retries)."""

    def __init__(self, adapter: KamengHttpAdapter) -> None:
        self.adapter = adapter
        self.refuse_first = 0
        self.requests = 0
        self.accepted: list[StatusReport] = []
        self.forged = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, reply, content_type = receiver.handle(body, self.headers["Content-Type"])
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/callback"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def handle(self, body: bytes, content_type: str) -> tuple[int, bytes, str]:
        with self.lock:
            self.requests += 1
            if self.requests <= self.refuse_first:
                return 503, b"busy", "text/plain"
        try:
            report = self.adapter.parse_callback(body, content_type)
        except ForgedCallback:
            with self.lock:
                self.forged += 1
            return self.adapter.callback_reply(False)
        with self.lock:
            self.accepted.append(report)
        return self.adapter.callback_reply(True)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sim() -> Iterator[SimulatedSupplier]:
    config = SimConfig(
        products={"P10": SimProduct(Decimal("9.50"), stock=3), "P20": SimProduct(Decimal("19"))},
        process_time=0.05,
        callback_retry_seconds=0.02,
        late_seconds=0.4,
    )
    with SimulatedSupplier(config) as supplier:
        yield supplier


@pytest.fixture
def adapter(sim: SimulatedSupplier) -> KamengHttpAdapter:
    return KamengHttpAdapter(SupplierCredentials(sim.url, "sim", "sim-secret"), timeout=1.0)


@pytest.fixture
def receiver(adapter: KamengHttpAdapter) -> Iterator[Receiver]:
    r = Receiver(adapter)
    yield r
    r.close()


def submit(adapter: KamengHttpAdapter, receiver: Receiver, request_id: str, account: str):
    return adapter.submit(TopupRequest(request_id, "P10", account, 1, receiver.url))


# --- the protocol's own rules -------------------------------------------------------------


def raw_call(sim: SimulatedSupplier, path: str, **overrides: Any) -> dict[str, Any]:
    """A hand-built request, to break the rules the adapter always keeps."""
    secret = overrides.pop("secret", "sim-secret")
    fields = {
        "merchant_id": "sim",
        "timestamp": int(time.time()),
        "nonce": os.urandom(8).hex(),
        "product_id": "P10",
        **overrides,
    }
    response = httpx.post(f"{sim.url}{path}", content=encode(signed(fields, secret)), timeout=2)
    assert response.status_code == 200
    answer = response.json()
    assert verify(answer, "sim-secret"), "every answer is signed, refusals too"
    return answer


def test_auth_refusals_are_signed(sim):
    assert raw_call(sim, "/products/query")["code"] == 0
    assert raw_call(sim, "/products/query", secret="wrong")["code"] == 4001
    assert raw_call(sim, "/products/query", timestamp=int(time.time()) - 310)["code"] == 4002
    assert raw_call(sim, "/products/query", timestamp=int(time.time()) + 310)["code"] == 4002
    assert raw_call(sim, "/products/query", merchant_id="nobody")["code"] == 4003
    assert raw_call(sim, "/products/query", nonce="seen-once")["code"] == 0
    assert raw_call(sim, "/products/query", nonce="seen-once")["code"] == 4002  # replay
    assert (
        raw_call(sim, "/orders/submit", quantity=0, out_order_no="K", account="abc")["code"] == 4000
    )
    assert sim.product_queries == 7
    assert sim.submits == 1


def test_wire_format(sim):
    answer = raw_call(sim, "/products/query")
    assert answer == {
        "code": 0,
        "message": "ok",
        "product_id": "P10",
        "price": "9.50",
        "stock": 3,
        "status": "on",
        "sign": answer["sign"],
    }
    assert httpx.get(f"{sim.url}/orders/query").status_code == 405
    assert httpx.post(f"{sim.url}/nowhere", content=b"{}").status_code == 404
    garbage = httpx.post(f"{sim.url}/orders/query", content=b"not json").json()
    assert garbage["code"] == 4000


def test_stock_and_runtime_config(adapter, sim):
    for i in range(3):
        adapter.submit(TopupRequest(f"K{i}", "P10", "13800138000", 1, ""))
    assert sim.config.products["P10"].stock == 0
    assert adapter.submit(TopupRequest("K9", "P10", "13800138000", 1, "")).code == "1001"
    sim.config.products["P10"].stock = 10
    sim.config.products["P10"].on = False
    assert adapter.submit(TopupRequest("K9", "P10", "13800138000", 1, "")).code == "1003"
    sim.config.products["P10"].on = True
    sim.config.refuse_rate = 1.0
    assert adapter.submit(TopupRequest("K9", "P10", "13800138000", 1, "")).code == "1002"
    sim.config.refuse_rate = 0.0
    sim.config.fail_rate = 1.0
    assert adapter.submit(TopupRequest("K9", "P10", "13800138000", 1, "")).code == ""
    wait_for(lambda: adapter.query("K9").outcome is Outcome.FAILED)


def test_latency(adapter, sim):
    sim.config.latency = 0.2
    started = time.monotonic()
    adapter.query_product("P20")
    assert time.monotonic() - started >= 0.2


def test_seeded_rates_are_deterministic():
    def outcomes(seed: int) -> list[int]:
        config = SimConfig(
            products={"P": SimProduct(Decimal(1))}, process_time=0, fail_rate=0.5, seed=seed
        )
        with SimulatedSupplier(config) as sim:
            adapter = KamengHttpAdapter(SupplierCredentials(sim.url, "sim", "sim-secret"), 1.0)
            for i in range(20):
                adapter.submit(TopupRequest(f"K{i}", "P", "13800138000", 1, ""))
            return [sim.orders[f"K{i}"].final_state for i in range(20)]

    first = outcomes(7)
    assert first == outcomes(7)
    assert set(first) == {1, 9}


# --- callbacks -------------------------------------------------------------------------


def test_callback_delivered_once(adapter, sim, receiver):
    result = submit(adapter, receiver, "K1", "13800138000")
    wait_for(lambda: len(receiver.accepted) == 1)
    report = receiver.accepted[0]
    assert (report.request_id, report.outcome) == ("K1", Outcome.SUCCEEDED)
    assert report.supplier_order_no == result.supplier_order_no
    time.sleep(0.1)
    assert sim.orders["K1"].callbacks == [(200, "success")]


def test_failed_order_calls_back_failed(adapter, receiver):
    submit(adapter, receiver, "K1", "FAIL-138")
    wait_for(lambda: len(receiver.accepted) == 1)
    assert receiver.accepted[0].outcome is Outcome.FAILED


def test_duplicate_callback(adapter, sim, receiver):
    submit(adapter, receiver, "K1", "DUP-138")
    wait_for(lambda: len(sim.orders["K1"].callbacks) == 2)
    assert [r.request_id for r in receiver.accepted] == ["K1", "K1"]
    assert sim.orders["K1"].callbacks == [(200, "success"), (200, "success")]


def test_forged_callbacks_are_refused_then_retried_then_given_up(adapter, sim, receiver):
    sim.config.callback_tries = 3
    submit(adapter, receiver, "K1", "FORGE-138")
    wait_for(lambda: len(sim.orders["K1"].callbacks) == 3)
    time.sleep(0.2)  # no fourth try
    assert sim.orders["K1"].callbacks == [(400, "fail")] * 3
    assert (receiver.forged, receiver.accepted) == (3, [])
    assert adapter.query("K1").outcome is Outcome.SUCCEEDED  # the query tells the truth


def test_bad_sign_rate(adapter, sim, receiver):
    sim.config.bad_sign_rate = 1.0
    sim.config.callback_tries = 1
    submit(adapter, receiver, "K1", "13800138000")
    wait_for(lambda: receiver.forged == 1)


def test_no_callback_only_query(adapter, sim, receiver):
    submit(adapter, receiver, "K1", "NOCB-138")
    time.sleep(0.2)
    assert receiver.requests == 0
    assert sim.orders["K1"].state == 1  # final at process_time even without a callback
    assert adapter.query("K1").outcome is Outcome.SUCCEEDED


def test_late_callback(adapter, sim, receiver):
    submit(adapter, receiver, "K1", "LATE-138")
    time.sleep(0.25)
    assert receiver.requests == 0
    assert adapter.query("K1").outcome is Outcome.SUCCEEDED
    wait_for(lambda: len(receiver.accepted) == 1)


def test_callback_retried_until_success(adapter, sim, receiver):
    receiver.refuse_first = 2
    submit(adapter, receiver, "K1", "13800138000")
    wait_for(lambda: len(receiver.accepted) == 1)
    assert sim.orders["K1"].callbacks == [(503, "busy"), (503, "busy"), (200, "success")]


def test_unreachable_receiver_is_recorded(adapter, sim):
    sim.config.callback_tries = 2
    adapter.submit(TopupRequest("K1", "P10", "13800138000", 1, "http://127.0.0.1:9/cb"))
    wait_for(lambda: len(sim.orders["K1"].callbacks) == 2)
    assert all(status == 0 for status, _ in sim.orders["K1"].callbacks)


def test_hang_with_callback(sim, receiver):
    impatient = KamengHttpAdapter(SupplierCredentials(sim.url, "sim", "sim-secret"), timeout=0.2)
    with pytest.raises(SupplierUnreachable):
        submit(impatient, receiver, "K1", "HANG-138")
    wait_for(lambda: len(receiver.accepted) == 1)  # processed although the answer hung
    # The repeat submit (how a caller may recover) is answered at once.
    assert submit(impatient, receiver, "K1", "HANG-138").outcome is Outcome.SUCCEEDED


def test_load_1000_orders_16_clients():
    config = SimConfig(
        products={"P": SimProduct(Decimal("1.00"), stock=1000)},
        process_time=0.05,
        fail_rate=0.1,
        duplicate_callback_rate=0.1,
        seed=1,
    )
    peak = 0
    with SimulatedSupplier(config) as sim:
        adapter = KamengHttpAdapter(SupplierCredentials(sim.url, "sim", "sim-secret"), 2.0)
        receiver = Receiver(adapter)
        try:

            def one(i: int) -> SubmitResult:
                nonlocal peak
                peak = max(peak, threading.active_count())
                return adapter.submit(TopupRequest(f"L{i}", "P", "13800138000", 1, receiver.url))

            with ThreadPoolExecutor(16) as pool:
                results = list(pool.map(one, range(1000)))
            assert {r.outcome for r in results} == {Outcome.PROCESSING}
            assert adapter.submit(TopupRequest("L1000", "P", "13800138000", 1, "")).code == "1001"
            duplicates = sum(order.duplicate for order in sim.orders.values())
            wait_for(lambda: len(receiver.accepted) == 1000 + duplicates, timeout=20)
            peak = max(peak, threading.active_count())
        finally:
            receiver.close()
        assert sim.submits == 1001
        assert len({o.order_no for o in sim.orders.values()}) == 1000
        failed = sum(r.outcome is Outcome.FAILED for r in receiver.accepted)
        assert 0 < failed < 1000
    assert peak < 120, f"{peak} threads: timers leak"


# --- the CLI -----------------------------------------------------------------------------


def test_cli_serves_until_terminated(tmp_path):
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"CAT-1": {"price": "3.00", "stock": 2}}))
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "kameng.cli", "sim-supplier", "--port", "0"),
            *("--merchant-id", "m1", "--secret", "s1", "--process-ms", "20"),
            *("--product", "P10:9.50:5", "--product", "FREE:1", "--catalog", str(catalog)),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with ThreadPoolExecutor(1) as pool:
            line = pool.submit(proc.stdout.readline).result(timeout=30)
        info = json.loads(line)
        assert info["merchant_id"] == "m1"
        assert set(info["products"]) == {"P10", "FREE", "CAT-1"}
        adapter = KamengHttpAdapter(SupplierCredentials(info["url"], "m1", "s1"), timeout=2.0)
        assert adapter.query_product("P10").stock == 5
        assert adapter.query_product("FREE").stock is None
        assert adapter.query_product("CAT-1").cost == Decimal("3.00")
        assert adapter.submit(TopupRequest("K1", "P10", "13800138000", 1, "")).supplier_order_no
        wait_for(lambda: adapter.query("K1").outcome is Outcome.SUCCEEDED)
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 0, stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--product", "P10"],
        ["--product", "P10:abc"],
        ["--product", "P10:9.999"],
        ["--product", "P10:9.50:x"],
        ["--fail-rate", "1.5"],
        ["--latency-ms", "-1"],
        ["--catalog", "/nonexistent/catalog.json"],
        ["--merchant-id", ""],
    ],
)
def test_cli_bad_arguments(args):
    with pytest.raises(CommandError):
        call_command("sim_supplier", "--port", "0", *args)


def test_catalog_file(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"A": {"price": "9.50", "stock": 100}, "B": {"price": 2.5, "on": false}}')
    assert load_catalog(str(path)) == {
        "A": SimProduct(Decimal("9.50"), stock=100),
        "B": SimProduct(Decimal("2.50"), stock=None, on=False),
    }
    for bad in ('{"A": {"stock": 1}}', '{"A": {"price": "1", "stok": 1}}', "[]", "{"):
        path.write_text(bad)
        with pytest.raises(CommandError):
            load_catalog(str(path))
