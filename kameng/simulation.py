"""What Kameng's simulated services share: the simulated supplier
(kameng/upstream/simulator.py) and the simulated 易支付 provider
(kameng/payments/simulator.py) are each a stdlib HTTP server on a local port plus a
scheduler thread, a pool that sends their callbacks and the httpx client it uses.

Kept here, below every app, so that both apps use one copy: a simulator subclasses
`SimulatedServer` and `SimHandler`, and its `kameng sim-…` command ends with
`serve_until_signalled`. Standard library and httpx only; no Django setup needed.
"""

import contextlib
import heapq
import itertools
import json
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import TextIOBase
from typing import Any, ClassVar, Self

import httpx

Task = Callable[[], None]


class Scheduler:
    """One thread and a heap instead of a Timer thread per task. With `arrange`, the
    tasks falling due together run as one batch, which `arrange` may reorder in place;
    without, one task at a time."""

    def __init__(self, name: str, arrange: Callable[[list[Task]], None] | None = None) -> None:
        self._heap: list[tuple[float, int, Task]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._arrange = arrange
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def call_at(self, when: float, fn: Task) -> None:
        """Run `fn` on the scheduler thread once time.monotonic() reaches `when`."""
        with self._cond:
            if self._stopped:
                return
            heapq.heappush(self._heap, (when, next(self._seq), fn))
            self._cond.notify()

    def stop(self) -> None:
        """Drop the pending tasks and end the thread (safe if it never started)."""
        with self._cond:
            self._stopped = True
            self._heap.clear()
            self._cond.notify()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped:
                    if self._heap and self._heap[0][0] <= time.monotonic():
                        break
                    wait = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(wait)
                if self._stopped:
                    return
                now = time.monotonic()
                batch = [heapq.heappop(self._heap)[2]]
                if self._arrange is not None:
                    while self._heap and self._heap[0][0] <= now:
                        batch.append(heapq.heappop(self._heap)[2])
            if self._arrange is not None:
                self._arrange(batch)
            for fn in batch:
                try:
                    fn()  # short: state changes and hand-offs to the callback pool
                except Exception:  # keep scheduling whatever one task did
                    traceback.print_exc()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    sim: "SimulatedServer"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that gave up (timeouts, hanging answers) or a stop() closing sockets
        # are expected.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


class SimHandler(BaseHTTPRequestHandler):
    """Base of a simulator's request handler: keep-alive, quiet, and every connection
    known to the simulator so that stop() can cut it; `self.server.sim` is the
    simulator."""

    protocol_version = "HTTP/1.1"  # keep-alive, as a pooling client expects
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms stall
    timeout = 30  # idle keep-alive connections free their thread
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.sim._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.sim._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Send a whole answer; `headers` come after Content-Type and Content-Length."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class SimulatedServer:
    """A simulated service on a local port; `start()` it or use `with`. A subclass names
    its `handler`, serving thread and `title`, and hands over its scheduler, callback
    pool and client, which start and stop with it."""

    handler: ClassVar[type[SimHandler]]
    thread_name: ClassVar[str]  # the serving thread's name
    title: ClassVar[str]  # "simulated supplier": what url says is not running

    def __init__(
        self,
        host: str,
        port: int,
        *,
        scheduler: Scheduler,
        pool: ThreadPoolExecutor,
        http: httpx.Client,
    ) -> None:
        self.host = host
        self.port = port  # 0 until start(): then the port it listens on
        self.lock = threading.RLock()  # the subclass's state, and the connections
        self._stopping = threading.Event()  # set by stop(): wakes answers that wait
        self._connections: set[socket.socket] = set()
        self._scheduler = scheduler
        self._pool = pool
        self._http = http
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        server_cls = _HTTPServer6 if ":" in self.host else _HTTPServer
        self._server = server_cls((self.host, self.port), self.handler)
        self._server.sim = self
        self.port = self._server.server_address[1]
        self._scheduler.start()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() waits for one poll at most
            name=self.thread_name,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, drop pending work, wake waiting answers, cut the connections
        (a hanging answer or an idle keep-alive would hold its thread), then let the
        callbacks in flight finish."""
        self._stopping.set()
        self._scheduler.stop()
        if self._server is not None:
            self._server.shutdown()
            with self.lock:
                connections = list(self._connections)
            for conn in connections:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._http.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"the {self.title} is not running")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self.lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)


def serve_until_signalled(sim: SimulatedServer, line: Mapping[str, Any], out: TextIOBase) -> None:
    """Print `line` as one line of JSON (how a script started with --port 0 learns the
    URL), then serve until SIGINT or SIGTERM (or Ctrl-C) and stop `sim` cleanly."""
    done = threading.Event()
    previous = _on_signals(done)
    try:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
        out.flush()
        while not done.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _on_signals(done: threading.Event) -> dict[int, Any]:
    """SIGTERM/SIGINT set `done` (only the main thread may install handlers); returns the
    handlers to put back."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.signal(signum, lambda *_: done.set())
    return previous
