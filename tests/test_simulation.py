"""kameng/simulation.py, the pieces both simulators share, on a minimal simulator of
its own; the simulators' own tests (tests/upstream, tests/payments) cover the rest."""

import io
import os
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from kameng.simulation import Scheduler, SimHandler, SimulatedServer, serve_until_signalled


class _Handler(SimHandler):
    def do_GET(self) -> None:
        self._reply(200, b"hello", "text/plain", {"X-Sim": "1"})


class Echo(SimulatedServer):
    handler = _Handler
    thread_name = "sim-echo"
    title = "simulated echo"

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__(
            host,
            0,
            scheduler=Scheduler("sim-echo-scheduler"),
            pool=ThreadPoolExecutor(1),
            http=httpx.Client(),
        )


def test_the_scheduler_runs_tasks_in_time_order_and_stop_drops_the_rest():
    ran: list[str] = []
    scheduler = Scheduler("sim-test-scheduler")
    scheduler.start()
    now = time.monotonic()
    scheduler.call_at(now + 0.05, lambda: ran.append("b"))
    scheduler.call_at(now, lambda: ran.append("a"))
    scheduler.call_at(now + 0.06, lambda: 1 / 0)  # printed, and the next one still runs
    scheduler.call_at(now + 0.07, lambda: ran.append("c"))
    scheduler.call_at(now + 60, lambda: ran.append("never"))
    deadline = time.monotonic() + 5
    while len(ran) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    scheduler.stop()
    assert ran == ["a", "b", "c"]
    scheduler.call_at(now, lambda: ran.append("after stop"))
    assert ran == ["a", "b", "c"]


def test_arrange_sees_the_tasks_falling_due_together_as_one_batch():
    ran: list[int] = []
    batches: list[int] = []

    def arrange(batch: list) -> None:
        batches.append(len(batch))
        batch.reverse()

    scheduler = Scheduler("sim-test-scheduler", arrange=arrange)
    when = time.monotonic() + 0.1
    for i in range(3):
        scheduler.call_at(when, lambda i=i: ran.append(i))
    scheduler.start()
    deadline = time.monotonic() + 5
    while len(ran) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    scheduler.stop()
    assert batches == [3] and ran == [2, 1, 0]


def test_the_server_answers_and_stop_cuts_idle_connections():
    sim = Echo()
    with pytest.raises(RuntimeError, match="the simulated echo is not running"):
        _ = sim.url
    with sim:
        answer = httpx.get(f"{sim.url}/")
        assert (answer.status_code, answer.text) == (200, "hello")
        assert answer.headers["X-Sim"] == "1"
        assert "sim-echo" in {t.name for t in threading.enumerate()}
        idle = socket.create_connection(("127.0.0.1", sim.port), timeout=5)
        idle.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        received = b""
        while not received.endswith(b"hello"):
            received += idle.recv(1000)
    # Kept alive, its handler would wait 30 s for the next request: stop() cut it.
    assert idle.recv(100) == b""
    idle.close()


def test_ipv6():
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        sim = Echo("::1").start()
    except OSError:
        pytest.skip("no IPv6 loopback")
    try:
        assert sim.url == f"http://[::1]:{sim.port}"
        assert httpx.get(sim.url).text == "hello"
    finally:
        sim.stop()


def test_serve_until_signalled_prints_the_line_first_and_stops_on_sigterm():
    sim = Echo().start()
    before = signal.getsignal(signal.SIGTERM)

    class Out(io.StringIO):
        def flush(self) -> None:  # the line is out: now "kill" the command
            super().flush()
            os.kill(os.getpid(), signal.SIGTERM)

    out, url = Out(), sim.url
    serve_until_signalled(sim, {"url": url, "名": "模拟"}, out)
    assert out.getvalue() == f'{{"url": "{url}", "名": "模拟"}}\n'
    assert sim._server is None  # stopped
    assert signal.getsignal(signal.SIGTERM) is before
