"""KamengHttpAdapter against a real SimulatedSupplier over HTTP (no mocks), plus the
signing rule pinned by the known vectors in docs/SUPPLIER_PROTOCOL.md."""

import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kameng.upstream.adapters import REGISTRY
from kameng.upstream.adapters.base import (
    ForgedCallback,
    Outcome,
    SupplierCredentials,
    SupplierUnreachable,
    TopupRequest,
)
from kameng.upstream.adapters.kameng_http import (
    KamengHttpAdapter,
    encode,
    sign,
    sign_string,
    signed,
    state_outcome,
    verify,
)
from kameng.upstream.simulator import SimConfig, SimProduct, SimulatedSupplier

# The worked example of docs/SUPPLIER_PROTOCOL.md ("Known test vectors").
VECTOR_SECRET = "s3cret"
VECTOR_REQUEST = {
    "merchant_id": "m1001",
    "timestamp": 1700000000,
    "nonce": "a1b2c3d4e5f60718",
    "out_order_no": "K20240101000001",
    "product_id": "CMCC-10",
    "account": "13800138000",
    "quantity": 1,
    "callback_url": "https://kameng.example/api/supply/callback/7/",
    "remark": "",  # empty: left out of the sign string
}
VECTOR_SIGN_STRING = (
    "account=13800138000&callback_url=https://kameng.example/api/supply/callback/7/"
    "&merchant_id=m1001&nonce=a1b2c3d4e5f60718&out_order_no=K20240101000001"
    "&product_id=CMCC-10&quantity=1&timestamp=1700000000"
)
VECTOR_SIGN = "2ebbb0015b9f228fdcdcbae1794943789c8326388923db7593e0bb90a90a2325"


def test_known_request_vector():
    assert sign_string(VECTOR_REQUEST) == VECTOR_SIGN_STRING
    assert sign(VECTOR_REQUEST, VECTOR_SECRET) == VECTOR_SIGN
    assert verify({**VECTOR_REQUEST, "sign": VECTOR_SIGN}, VECTOR_SECRET)
    assert verify({**VECTOR_REQUEST, "sign": VECTOR_SIGN.upper()}, VECTOR_SECRET)


def test_known_response_vectors_utf8_message():
    refusal = {"code": 1001, "message": "库存不足"}
    assert sign(refusal, VECTOR_SECRET) == (
        "c46655fb8f4198424bb3afa565bdbc25c9dd0b19f04f375ff692a7bcd4c5a524"
    )
    callback = {
        "merchant_id": "m1001",
        "out_order_no": "K20240101000001",
        "order_no": "S88000123",
        "state": 1,
        "timestamp": 1700000042,
        "nonce": "0f1e2d3c4b5a6978",
    }
    assert sign(callback, VECTOR_SECRET) == (
        "778d351657604d8c54263d551fca2df6f88d33c92d666a101e836414c4c9540a"
    )


def test_sign_rules():
    # null and "" are left out, the old sign is ignored, booleans are true/false
    assert sign_string({"b": None, "a": "", "sign": "x", "c": True, "d": False, "e": 0}) == (
        "c=true&d=false&e=0"
    )
    with pytest.raises(TypeError):
        sign({"price": 9.5}, "k")  # money travels as a string, never a float
    with pytest.raises(TypeError):
        sign({"nested": {"a": 1}}, "k")


def test_verify_refuses_tampering_and_garbage():
    good = signed({"code": 0, "message": "ok", "price": "9.50"}, "k")
    assert verify(good, "k")
    assert not verify({**good, "price": "0.01"}, "k")
    assert not verify(good, "other")
    assert not verify({k: v for k, v in good.items() if k != "sign"}, "k")
    assert not verify({**good, "sign": 123}, "k")
    assert not verify({**good, "extra": 1.5}, "k")  # a float: not something v1 signs


def test_registered_and_default_timeout(settings):
    settings.KAMENG_SUPPLIER_TIMEOUT = 7.5
    assert REGISTRY["kameng-http"] is KamengHttpAdapter
    adapter = KamengHttpAdapter(SupplierCredentials("http://127.0.0.1:1", "m", "s"))
    assert adapter.timeout == 7.5
    assert KamengHttpAdapter.label == "Kameng 通用签名 HTTP (kameng-supply v1)"


def test_unknown_state_is_processing_with_an_alert(caplog):
    with caplog.at_level(logging.WARNING, logger="kameng.upstream.adapters.kameng_http"):
        assert state_outcome(5) is Outcome.PROCESSING
        assert state_outcome("1") is Outcome.PROCESSING
        assert state_outcome(True) is Outcome.PROCESSING
    assert len(caplog.records) == 3
    assert state_outcome(0) is Outcome.PROCESSING
    assert state_outcome(1) is Outcome.SUCCEEDED
    assert state_outcome(9) is Outcome.FAILED


# --- against the simulated supplier -----------------------------------------------------


def wait_for(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


@pytest.fixture
def sim() -> Iterator[SimulatedSupplier]:
    config = SimConfig(
        products={
            "P10": SimProduct(Decimal("9.50"), stock=5),
            "P20": SimProduct(Decimal("19"), stock=None),
            "EMPTY": SimProduct(Decimal("1.00"), stock=0),
            "OFF": SimProduct(Decimal("30.00"), on=False),
        },
        process_time=0.25,  # long enough to see PROCESSING first, even on a busy machine
    )
    with SimulatedSupplier(config) as supplier:
        yield supplier


@pytest.fixture
def adapter(sim: SimulatedSupplier) -> KamengHttpAdapter:
    return KamengHttpAdapter(SupplierCredentials(sim.url, "sim", "sim-secret"), timeout=1.0)


def request(request_id: str, account: str = "13800138000", sku: str = "P10", quantity: int = 1):
    return TopupRequest(request_id, sku, account, quantity, callback_url="")


def test_query_product(adapter: KamengHttpAdapter):
    p10 = adapter.query_product("P10")
    assert (p10.remote_sku, p10.cost, p10.stock, p10.available) == ("P10", Decimal("9.50"), 5, True)
    assert isinstance(p10.cost, Decimal)
    p20 = adapter.query_product("P20")
    assert (p20.cost, p20.stock, p20.available) == (Decimal("19.00"), None, True)  # -1
    off = adapter.query_product("OFF")
    assert (off.cost, off.available) == (Decimal("30.00"), False)
    unknown = adapter.query_product("NOPE")
    assert (unknown.cost, unknown.stock, unknown.available) == (Decimal(0), 0, False)


def test_submit_accepted_then_query_until_succeeded(adapter, sim):
    result = adapter.submit(request("K1"))
    assert result.outcome is Outcome.PROCESSING
    assert result.supplier_order_no == sim.orders["K1"].order_no
    assert result.supplier_order_no
    report = adapter.query("K1")
    assert (report.found, report.outcome) == (True, Outcome.PROCESSING)
    wait_for(lambda: adapter.query("K1").outcome is not Outcome.PROCESSING)
    report = adapter.query("K1")
    assert (report.request_id, report.outcome) == ("K1", Outcome.SUCCEEDED)
    assert report.supplier_order_no == result.supplier_order_no
    assert adapter.query_product("P10").stock == 4


def test_failing_account_ends_failed(adapter):
    assert adapter.submit(request("K1", account="FAIL-1380")).outcome is Outcome.PROCESSING
    wait_for(lambda: adapter.query("K1").outcome is not Outcome.PROCESSING)
    assert adapter.query("K1").outcome is Outcome.FAILED


def test_query_unknown_order_is_not_found(adapter):
    report = adapter.query("NEVER-SENT")
    assert (report.found, report.outcome, report.code) == (False, Outcome.PROCESSING, "3001")


def test_idempotent_resubmit(adapter, sim):
    first = adapter.submit(request("K1", quantity=2))
    again = adapter.submit(request("K1", quantity=2))
    assert again.outcome is Outcome.PROCESSING
    assert again.supplier_order_no == first.supplier_order_no
    assert len(sim.orders) == 1
    assert adapter.query_product("P10").stock == 3  # taken once
    wait_for(lambda: sim.orders["K1"].state != 0)
    late = adapter.submit(request("K1", quantity=2))  # answered with the current state
    assert (late.outcome, late.supplier_order_no) == (Outcome.SUCCEEDED, first.supplier_order_no)
    reused = adapter.submit(request("K1", quantity=3))  # same number, other content
    assert (reused.outcome, reused.retryable, reused.code) == (Outcome.FAILED, False, "2002")


@pytest.mark.parametrize(
    ("account", "sku", "code", "retryable"),
    [
        ("13800138000", "EMPTY", "1001", True),  # out of stock
        ("REFUSE-138", "P10", "1002", True),  # channel maintenance
        ("13800138000", "OFF", "1003", True),  # product closed
        ("13800138000", "NOPE", "1004", True),  # unknown product
        ("BADACCT-138", "P10", "2001", False),  # invalid account: final
        ("no spaces allowed", "P10", "2001", False),
        ("x", "P10", "2001", False),  # too short
    ],
)
def test_refusals(adapter, sim, account, sku, code, retryable):
    result = adapter.submit(request("K1", account=account, sku=sku))
    assert (result.outcome, result.code, result.retryable) == (Outcome.FAILED, code, retryable)
    assert result.message
    assert sim.orders == {}  # a refusal creates nothing


def test_stock_runs_out(adapter, sim):
    sim.config.products["P10"].stock = 1
    assert adapter.submit(request("K1")).outcome is Outcome.PROCESSING
    refused = adapter.submit(request("K2"))
    assert (refused.code, refused.retryable) == ("1001", True)


def test_hanging_submit_is_unreachable_but_the_order_exists(sim):
    adapter = KamengHttpAdapter(SupplierCredentials(sim.url, "sim", "sim-secret"), timeout=0.3)
    started = time.monotonic()
    with pytest.raises(SupplierUnreachable):
        adapter.submit(request("K1", account="HANG-138"))
    assert time.monotonic() - started < 1.0
    assert "K1" in sim.orders  # a timeout is "unknown", never "failed"
    wait_for(lambda: adapter.query("K1").outcome is Outcome.SUCCEEDED)


def test_timeout_rate_hangs_too(sim):
    sim.config.timeout_rate = 1.0
    sim.config.hang_seconds = 5.0
    adapter = KamengHttpAdapter(SupplierCredentials(sim.url, "sim", "sim-secret"), timeout=0.2)
    with pytest.raises(SupplierUnreachable):
        adapter.submit(request("K1"))
    assert sim.orders["K1"].quantity == 1


def test_wrong_secret_answers_are_not_trusted(sim):
    adapter = KamengHttpAdapter(SupplierCredentials(sim.url, "sim", "not-the-secret"), timeout=1.0)
    for call in (
        lambda: adapter.submit(request("K1")),
        lambda: adapter.query("K1"),
        lambda: adapter.query_product("P10"),
    ):
        with pytest.raises(SupplierUnreachable):
            call()  # the sim answers 4001 signed with its secret: unverifiable, so UNKNOWN
    assert sim.orders == {}


def test_unknown_merchant_is_a_retryable_refusal(sim):
    # The sim signs its 4003 with its one secret, which this adapter shares: verifiable.
    adapter = KamengHttpAdapter(SupplierCredentials(sim.url, "nobody", "sim-secret"), timeout=1.0)
    result = adapter.submit(request("K1"))
    assert (result.outcome, result.code, result.retryable) == (Outcome.FAILED, "4003", True)
    assert sim.orders == {}


def test_connection_refused_is_unreachable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    adapter = KamengHttpAdapter(SupplierCredentials(f"http://127.0.0.1:{port}", "m", "s"), 1.0)
    with pytest.raises(SupplierUnreachable):
        adapter.submit(request("K1"))


# --- answers that cannot be trusted, from a stub server ------------------------------


@pytest.fixture
def stub() -> Iterator[Callable[[int, bytes], str]]:
    """A server answering every POST with a fixed (status, body); returns its base URL."""
    answer: dict[str, object] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = answer["body"]
            self.send_response(answer["status"])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()

    def configure(status: int, body: bytes) -> str:
        answer.update(status=status, body=body)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield configure
    server.shutdown()
    server.server_close()


def good_answer(**fields: object) -> bytes:
    return encode(signed({"code": 0, "message": "ok", **fields}, "k"))


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, good_answer(out_order_no="K1", order_no="S1", state=1)),  # not 200
        (200, b"<html>gateway</html>"),  # not JSON
        (200, b"[1, 2]"),  # not an object
        (200, json.dumps({"code": 0, "out_order_no": "K1", "state": 1}).encode()),  # no sign
        (200, encode({**signed({"code": 0, "out_order_no": "K1", "state": 1}, "k"), "state": 9})),
        (200, good_answer(out_order_no="OTHER", order_no="S1", state=1)),  # someone else's
        (200, encode(signed({"message": "no code"}, "k"))),
    ],
)
def test_untrustworthy_answers_are_unreachable(stub, status, body):
    adapter = KamengHttpAdapter(SupplierCredentials(stub(status, body), "m", "k"), timeout=1.0)
    with pytest.raises(SupplierUnreachable):
        adapter.submit(request("K1"))


def test_bad_product_answers_are_unreachable(stub):
    for body in (
        good_answer(product_id="P10", price="abc", stock=1, status="on"),
        good_answer(product_id="P10", price="-1.00", stock=1, status="on"),
        good_answer(product_id="P10", price="9.50", stock=-5, status="on"),
        good_answer(product_id="P10", price="9.50", stock="7", status="on"),
        good_answer(product_id="P99", price="9.50", stock=1, status="on"),
    ):
        adapter = KamengHttpAdapter(SupplierCredentials(stub(200, body), "m", "k"), timeout=1.0)
        with pytest.raises(SupplierUnreachable):
            adapter.query_product("P10")


def test_unknown_refusal_code_is_retryable_and_unknown_state_processing(stub, caplog):
    adapter = KamengHttpAdapter(
        SupplierCredentials(
            stub(200, encode(signed({"code": 1999, "message": "?"}, "k"))), "m", "k"
        ),
        timeout=1.0,
    )
    result = adapter.submit(request("K1"))
    assert (result.outcome, result.retryable, result.code) == (Outcome.FAILED, True, "1999")
    stub(200, good_answer(out_order_no="K1", order_no="S1", state=7))
    with caplog.at_level(logging.WARNING, logger="kameng.upstream.adapters.kameng_http"):
        assert adapter.submit(request("K1")).outcome is Outcome.PROCESSING
    assert "unknown order state 7" in caplog.text


# --- callbacks -------------------------------------------------------------------------


def callback_body(secret: str = "sim-secret", **overrides: object) -> bytes:
    fields = {
        "merchant_id": "sim",
        "out_order_no": "K1",
        "order_no": "SIM000000000001",
        "state": 1,
        "timestamp": int(time.time()),
        "nonce": "00112233aabbccdd",
        **overrides,
    }
    return encode(signed(fields, secret))


def test_parse_callback(adapter):
    report = adapter.parse_callback(callback_body(), "application/json; charset=utf-8")
    assert (report.request_id, report.outcome, report.supplier_order_no) == (
        "K1",
        Outcome.SUCCEEDED,
        "SIM000000000001",
    )
    failed = adapter.parse_callback(callback_body(state=9), "application/json")
    assert failed.outcome is Outcome.FAILED
    old = adapter.parse_callback(callback_body(timestamp=1), "application/json")
    assert old.outcome is Outcome.SUCCEEDED  # replays only repeat a final state


@pytest.mark.parametrize(
    "body",
    [
        callback_body(secret="wrong"),
        callback_body(merchant_id="someone-else"),
        encode({**json.loads(callback_body()), "state": 9}),  # tampered after signing
        callback_body(out_order_no=""),
        b"out_order_no=K1&state=1",
        b"[]",
    ],
)
def test_parse_callback_refuses_forgeries(adapter, body):
    with pytest.raises(ForgedCallback):
        adapter.parse_callback(body, "application/json")


def test_callback_reply(adapter):
    assert adapter.callback_reply(True) == (200, b"success", "text/plain")
    status, body, _ = adapter.callback_reply(False)
    assert status != 200 and body != b"success"
