"""The one HTTP request of a webhook try: checked target, one deadline, few bytes.

httpcore (httpx's core) sends it through `_GuardedBackend`, which resolves the host
itself, checks every address (kameng/outbound.py) and connects only to a checked one — the
Host header, TLS SNI and the certificate check still use the URL's host name. There
are no proxies (a proxy would connect on our behalf, unchecked) and no redirects.

Everything — lookup, connect, TLS handshake, sending, reading the status line and
headers — shares one deadline: each blocking call may wait only for what is left of
it, so a receiver that drips a byte at a time cannot hold a worker past it. Only the
status is read, and at most MAX_ANSWER_BYTES of the answer; the body is never read.
"""

import os
import socket
import ssl
import time
from functools import lru_cache
from http import HTTPStatus
from typing import Any

import httpcore
import httpx

from kameng import outbound as targets

# The status line and headers must fit; nothing more of the answer is read.
MAX_ANSWER_BYTES = 16 * 1024


class _DeadlineReached(httpcore.TimeoutException):
    pass


def post(url: str, body: bytes, headers: dict[str, str], seconds: float) -> tuple[int | None, str]:
    """POST `body` to `url`: (the answer's status code, "" for a 2xx or else a short
    reason), or (None, why there was no answer in time). Never raises for anything
    the URL, the receiver, its name or the network does."""
    deadline = _Deadline(seconds)
    try:
        parsed = targets.parse(url).url  # stored before today's rules, perhaps
    except targets.BadTarget as exc:
        return None, str(exc)
    target = httpcore.URL(
        scheme=parsed.raw_scheme, host=parsed.raw_host, port=parsed.port, target=parsed.raw_path
    )
    # The URL's own host, port and brackets (httpcore would write none for IPv6).
    sent_headers = [("Host", parsed.netloc.decode("ascii")), *headers.items()]
    timeouts = dict.fromkeys(("connect", "read", "write", "pool"), seconds)  # within deadline
    pool = httpcore.ConnectionPool(
        ssl_context=_ssl_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")),
        network_backend=_GuardedBackend(deadline),
        max_connections=1,
        retries=0,
    )
    try:
        with (
            pool,
            pool.stream(
                "POST", target, headers=sent_headers, content=body, extensions={"timeout": timeouts}
            ) as response,
        ):
            status = response.status  # the body is left unread; closing drops the connection
    except targets.BadTarget as exc:
        return None, str(exc)
    except httpcore.TimeoutException:
        return None, f"no answer within {seconds:g} s (the whole try: connect, send, headers)"
    except httpcore.NetworkError as exc:
        return None, str(exc)  # written by _GuardedBackend and _DeadlineStream below
    except httpcore.ProtocolError as exc:
        if str(exc).startswith("Server disconnected"):  # httpcore's words, not the remote's
            return None, "the connection was closed without an answer"
        return None, "the answer is not valid HTTP/1.1"
    return status, "" if 200 <= status < 300 else _status_reason(status)


def _status_reason(status: int) -> str:
    """A short reason for an answer that is not a 2xx, from the code alone (the
    receiver's own reason phrase and body are not kept)."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "non-standard status"
    if 300 <= status < 400:
        return f"answered {status} {phrase} (redirects are not followed)"
    return f"answered {status} {phrase}"


def _why(what: str, exc: OSError) -> str:
    """Our short reason for a socket or TLS failure (the message is built here: httpcore
    re-raises without the cause)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS: {exc.reason or 'handshake failed'}"
    return f"{what}: {exc.strerror}" if exc.strerror else what


@lru_cache(maxsize=4)
def _ssl_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    """httpx's verifying context: certifi, or SSL_CERT_FILE / SSL_CERT_DIR if set (the
    arguments are those two variables, so that a change of them makes a new one)."""
    return httpx.create_ssl_context()


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def left(self, error: type[Exception] = _DeadlineReached) -> float:
        """Seconds left for the next blocking call; raises `error` once none are."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise error(f"deadline of {self.seconds:g} s reached")
        return left


class _GuardedBackend(httpcore.NetworkBackend):
    def __init__(self, deadline: _Deadline) -> None:
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        """Connect to the first reachable address of those that passed the check."""
        failure: OSError | None = None
        for address in targets.addresses(host, port, self._deadline.left()):
            sock = socket.socket(address.family, socket.SOCK_STREAM)
            try:
                sock.settimeout(self._deadline.left(httpcore.ConnectTimeout))
                sock.connect(address.sockaddr)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError as exc:
                sock.close()
                if isinstance(exc, TimeoutError):
                    raise httpcore.ConnectTimeout(str(exc)) from exc
                failure = exc  # refused or unreachable: the next checked address
                continue
            except BaseException:
                sock.close()
                raise
            return _DeadlineStream(sock, self._deadline, _Budget())
        raise httpcore.ConnectError(_why("connect", failure) if failure else "connect")

    def connect_unix_socket(self, path: str, timeout=None, socket_options=None):
        raise httpcore.ConnectError("webhooks go over TCP only")


class _Budget:
    """Bytes of the answer still allowed; shared by a stream and its TLS upgrade."""

    def __init__(self) -> None:
        self.left = MAX_ANSWER_BYTES


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every blocking call waits only for what is left of the deadline
    (httpcore's own streams wait the whole timeout per call)."""

    def __init__(self, sock: socket.socket, deadline: _Deadline, budget: _Budget) -> None:
        self._sock = sock
        self._deadline = deadline
        self._budget = budget

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._budget.left <= 0:
            raise httpcore.ReadError(
                f"the answer's headers are longer than {MAX_ANSWER_BYTES} bytes"
            )
        try:
            self._sock.settimeout(self._deadline.left())
            data = self._sock.recv(min(max_bytes, self._budget.left))
        except TimeoutError as exc:
            raise httpcore.ReadTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.ReadError(_why("connection lost", exc)) from exc
        self._budget.left -= len(data)
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            while buffer:
                self._sock.settimeout(self._deadline.left())
                buffer = buffer[self._sock.send(buffer) :]
        except TimeoutError as exc:
            raise httpcore.WriteTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.WriteError(_why("connection lost", exc)) from exc

    def close(self) -> None:
        self._sock.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        """The handshake (SNI and certificate check on the URL's host name, which
        httpcore passes as `server_hostname`) within what is left of the deadline:
        CPython's SSL handshake treats the socket timeout as a total."""
        try:
            self._sock.settimeout(self._deadline.left(httpcore.ConnectTimeout))
            tls = ssl_context.wrap_socket(self._sock, server_hostname=server_hostname)
        except TimeoutError as exc:
            self._sock.close()
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except OSError as exc:
            self._sock.close()
            raise httpcore.ConnectError(_why("TLS", exc)) from exc
        return _DeadlineStream(tls, self._deadline, self._budget)

    def get_extra_info(self, info: str) -> Any:
        if info == "ssl_object":
            return self._sock if isinstance(self._sock, ssl.SSLSocket) else None
        if info == "socket":
            return self._sock
        if info == "server_addr":
            return self._sock.getpeername()
        if info == "client_addr":
            return self._sock.getsockname()
        return None  # "is_readable" only matters to a reused connection: none is
