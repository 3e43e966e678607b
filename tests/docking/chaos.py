"""A faulty network between two sites: an HTTP proxy that fails and stalls a share of
the requests it carries, some before they reach the upstream and some after (the
upstream acted, its answer is lost). Seeded: the same run fails the same way."""

import http.client
import random
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class ChaosProxy:
    def __init__(
        self,
        target: str,
        *,
        seed: int,
        fail_rate: float = 0.30,
        timeout_rate: float = 0.10,
        stall_seconds: float = 1.5,
    ) -> None:
        parts = urlsplit(target)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.fail_rate, self.timeout_rate = fail_rate, timeout_rate
        self.stall_seconds = stall_seconds
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "ChaosProxy":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _fate(self) -> str:
        with self.lock:
            roll = self.random.random()
        if roll < self.fail_rate / 2:
            fate = "fail_before"  # 500, the upstream never saw it
        elif roll < self.fail_rate:
            fate = "fail_after"  # the upstream acted; we answer 502 instead
        elif roll < self.fail_rate + self.timeout_rate:
            fate = "stall"  # the upstream acted; the answer comes too late
        else:
            fate = "pass"
        with self.lock:
            self.counts[fate] += 1
        return fate

    def _forward(self, method: str, path: str, headers: dict, body: bytes):
        upstream = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            upstream.request(method, path, body=body or None, headers=headers)
            response = upstream.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            upstream.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                return None

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fate = proxy._fate()
                if fate == "fail_before":
                    return self._answer(500, [], b"upstream unavailable")
                skip = {"host", "connection", "keep-alive", "transfer-encoding"}
                headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
                status, answer_headers, answer = proxy._forward(
                    self.command, self.path, headers, body
                )
                if fate == "fail_after":
                    return self._answer(502, [], b"bad gateway")
                if fate == "stall":
                    time.sleep(proxy.stall_seconds)
                self._answer(status, answer_headers, answer)

            def _answer(self, status: int, headers: list, body: bytes) -> None:
                try:
                    self.send_response(status)
                    for name, value in headers:
                        if name.lower() not in {"content-length", "connection", "date", "server"}:
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a stall): as on a real network

            do_GET = do_POST = _relay

        return Handler
