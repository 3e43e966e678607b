import contextlib
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A distributor's callback endpoint over real HTTP: answers each request with the
    next status from `answers` (the last one repeats) and records what arrived."""

    answers: list[int] = field(default_factory=lambda: [200])
    received: list[Received] = field(default_factory=list)
    url: str = ""

    def answer(self) -> int:
        index = min(len(self.received) - 1, len(self.answers) - 1)
        return self.answers[index]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                state.received.append(Received(dict(self.headers.items()), body))
                status = state.answer()
            reply = b"success" if status < 300 else b"not now"
            self.send_response(status)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/kameng/notify"
    yield state
    server.shutdown()
    server.server_close()


_real_getaddrinfo = socket.getaddrinfo


@dataclass
class FakeDns:
    """The system resolver, played: `names` maps a host name to the addresses it
    resolves to now (change it to re-bind a name); any other name does not exist.
    Literal addresses are read by the real resolver, which needs no network for them."""

    names: dict[str, list[str]] = field(default_factory=dict)
    delay: float = 0.0
    asked: list[str] = field(default_factory=list)

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):
        try:
            return _real_getaddrinfo(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
        except socket.gaierror:
            if flags & socket.AI_NUMERICHOST:
                raise
        name = host.decode() if isinstance(host, bytes) else host
        self.asked.append(name)
        time.sleep(self.delay)
        if name not in self.names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            info
            for address in self.names[name]
            for info in _real_getaddrinfo(address, port, family, type, proto, socket.AI_NUMERICHOST)
        ]


@pytest.fixture
def dns(monkeypatch) -> FakeDns:
    """DNS is the one edge replaced: no test depends on the network's resolver."""
    fake = FakeDns()
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)
    return fake


@pytest.fixture
def public_only(settings, dns) -> FakeDns:
    """The default rule (webhooks to public addresses only), which tests/conftest.py
    turns off for every other test."""
    settings.KAMENG_WEBHOOK_ALLOW_PRIVATE = False
    return dns


@dataclass
class Trickle:
    """A receiver over a real socket that answers as slowly or as much as `answer`
    says: an iterable of (bytes to send, seconds to wait before sending them)."""

    url: str
    answer: Callable[[], Iterable[tuple[bytes, float]]]
    connections: list[float] = field(default_factory=list)  # when each was accepted
    closed: list[float] = field(default_factory=list)  # when we saw the client go


@pytest.fixture
def trickle() -> Iterator[Callable[..., Trickle]]:
    """Start a trickling receiver: `trickle(answer)`."""
    servers: list[tuple[socket.socket, threading.Event]] = []

    def start(answer: Callable[[], Iterable[tuple[bytes, float]]]) -> Trickle:
        listener = socket.create_server(("127.0.0.1", 0))
        stop = threading.Event()
        state = Trickle(f"http://127.0.0.1:{listener.getsockname()[1]}/slow", answer)
        servers.append((listener, stop))

        def serve(conn: socket.socket) -> None:
            with conn:
                conn.settimeout(0.2)
                with contextlib.suppress(TimeoutError):
                    conn.recv(65536)  # the request (small: one read takes it)
                try:
                    for data, wait in state.answer():
                        if stop.wait(wait):
                            return
                        conn.sendall(data)
                except OSError:  # the client hung up
                    state.closed.append(time.monotonic())

        def accept() -> None:
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                state.connections.append(time.monotonic())
                threading.Thread(target=serve, args=(conn,), daemon=True).start()

        threading.Thread(target=accept, daemon=True).start()
        return state

    yield start
    for listener, stop in servers:
        stop.set()
        listener.close()


def drip(head: bytes, filler: bytes, every: float) -> Iterator[tuple[bytes, float]]:
    """One byte every `every` seconds: those of `head`, then `filler`'s, forever."""
    for byte in itertools.chain(head, itertools.cycle(filler)):
        yield bytes([byte]), every


def head_by_the_byte() -> Iterator[tuple[bytes, float]]:
    """A 200's head at a byte every half second, forever: a per-read timeout never fires."""
    return drip(b"HTTP/1.1 200 OK\r\nX-Slow: ", b"a", every=0.5)
