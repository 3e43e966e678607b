"""Kameng open API v1: a small client a distributor can copy into its own shop or bot.

Standard library only (this one file is all a distributor needs). The platform
verifies requests with the same `request_signature` and signs webhooks with the same
`webhook_signature`, so the two sides cannot drift apart.

    from kameng.client import KamengClient
    kameng = KamengClient("https://kameng.example.com", app_key, secret)
    order = kameng.create_order(out_trade_no="shop-1001", sku_id=5, quantity=1)
    for card in order["cards"]:
        print(card["code"], card["secret"])
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import secrets
import time
import urllib.parse
from typing import Any

SIGNATURE_VERSION = "kameng-api-v1"
HEADER_KEY = "X-Kameng-Key"
HEADER_TIMESTAMP = "X-Kameng-Timestamp"
HEADER_NONCE = "X-Kameng-Nonce"
HEADER_SIGNATURE = "X-Kameng-Signature"


def request_signature(
    secret: str, method: str, path_with_query: str, timestamp: str, nonce: str, body: bytes
) -> str:
    """Lowercase hex HMAC-SHA256 over METHOD, path with query (exactly as sent),
    timestamp, nonce and the SHA-256 of the body, one per line."""
    message = "\n".join(
        [method.upper(), path_with_query, timestamp, nonce, hashlib.sha256(body).hexdigest()]
    )
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def signed_headers(
    app_key: str,
    secret: str,
    method: str,
    path_with_query: str,
    body: bytes = b"",
    *,
    timestamp: str | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The four authentication headers for one request: now and a fresh nonce, unless
    given (to reproduce a signature)."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or secrets.token_hex(16)
    return {
        HEADER_KEY: app_key,
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: request_signature(
            secret, method, path_with_query, timestamp, nonce, body
        ),
    }


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """What Kameng puts in X-Kameng-Signature of a webhook: HMAC-SHA256(TIMESTAMP\\nBODY)."""
    return hmac.new(secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def verify_webhook(
    secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: int = 300
) -> bool:
    """True if a webhook really comes from Kameng and is recent. Use the raw body bytes."""
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError:
        return False
    expected = webhook_signature(secret, timestamp, body)
    return age <= tolerance and hmac.compare_digest(expected, signature)


class KamengError(Exception):
    """An error answer from Kameng: `code` is stable (see docs/API.md), `status` the HTTP one."""

    def __init__(self, status: int, code: str, message: str, details: dict | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


class KamengClient:
    """One keep-alive connection; not thread-safe (use one client per thread)."""

    def __init__(self, base_url: str, app_key: str, secret: str, *, timeout: float = 15) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self.app_key = app_key
        self.secret = secret
        self.timeout = timeout
        self._connection: http.client.HTTPConnection | None = None

    # --- the API ------------------------------------------------------------------------

    def products(self) -> list[dict]:
        return self.request("GET", "/api/v1/products")["products"]

    def product(self, sku_id: int) -> dict:
        return self.request("GET", f"/api/v1/products/{int(sku_id)}")

    def balance(self) -> dict:
        return self.request("GET", "/api/v1/balance")

    def create_order(
        self,
        *,
        out_trade_no: str,
        sku_id: int,
        quantity: int = 1,
        account: str | None = None,
        callback_url: str | None = None,
    ) -> dict:
        """Safe to repeat after a timeout: the same out_trade_no and content returns
        the same order instead of buying twice."""
        body: dict[str, Any] = {
            "out_trade_no": out_trade_no,
            "sku_id": sku_id,
            "quantity": quantity,
        }
        if account is not None:
            body["account"] = account
        if callback_url is not None:
            body["callback_url"] = callback_url
        return self.request("POST", "/api/v1/orders", body)

    def order(self, order_no: str) -> dict:
        return self.request("GET", f"/api/v1/orders/{urllib.parse.quote(order_no, safe='')}")

    def order_by_out_trade_no(self, out_trade_no: str) -> dict | None:
        query = urllib.parse.urlencode({"out_trade_no": out_trade_no})
        orders = self.request("GET", f"/api/v1/orders?{query}")["orders"]
        return orders[0] if orders else None

    def confirm(self, order_no: str) -> dict:
        """Confirm receipt: escrow is released along the chain now."""
        return self.request(
            "POST", f"/api/v1/orders/{urllib.parse.quote(order_no, safe='')}/confirm"
        )

    def dispute(self, order_no: str, reason: str) -> dict:
        """Complain before the confirmation window closes; the operator decides."""
        path = f"/api/v1/orders/{urllib.parse.quote(order_no, safe='')}/dispute"
        return self.request("POST", path, {"reason": reason})

    def webhooks(self, order_no: str) -> list[dict]:
        """Every webhook delivery for the order, with each attempt Kameng made."""
        path = f"/api/v1/orders/{urllib.parse.quote(order_no, safe='')}/webhooks"
        return self.request("GET", path)["deliveries"]

    def resend_webhook(self, order_no: str) -> dict:
        path = f"/api/v1/orders/{urllib.parse.quote(order_no, safe='')}/webhooks"
        return self.request("POST", path)

    # --- transport ----------------------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None) -> dict:
        """Send one signed request; raise KamengError for an error answer (its
        `details` carry e.g. order_no, and retry_after for 429)."""
        payload = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        status, raw, retry_after = self._send(method, self._prefix + path, payload)
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = None  # not Kameng answering (a proxy's error page, say)
        if status < 400 and isinstance(data, dict):
            return data
        error = data.get("error", {}) if isinstance(data, dict) else {}
        details = {k: v for k, v in error.items() if k not in ("code", "message")}
        if retry_after:
            details["retry_after"] = int(retry_after) if retry_after.isdigit() else retry_after
        message = error.get("message") or raw[:200].decode(errors="replace")
        raise KamengError(status, error.get("code", "http_error"), message, details)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> KamengClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, method: str, path: str, payload: bytes) -> tuple[int, bytes, str]:
        # A kept-alive connection the server closed meanwhile fails on first use: one
        # reconnect, freshly signed (a nonce is good once). A repeated POST is safe:
        # orders are idempotent on out_trade_no. Any other failure (a timeout, say)
        # drops the connection, so the next call starts clean, and is raised.
        for retry in (False, True):
            headers = signed_headers(self.app_key, self.secret, method, path, payload)
            headers["Accept"] = "application/json"
            if payload:
                headers["Content-Type"] = "application/json"
            connection = self._connect()
            try:
                connection.request(method, path, body=payload or None, headers=headers)
                response = connection.getresponse()
                raw = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if retry:
                    raise
                continue
            except BaseException:
                self.close()
                raise
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return response.status, raw, response.getheader("Retry-After", "")
        raise AssertionError("unreachable")

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            self._connection = kind(self._host, self._port, timeout=self.timeout)
        return self._connection
