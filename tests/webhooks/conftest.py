import json
import socket
import threading
import time
from collections.abc import Iterator
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
