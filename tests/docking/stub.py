"""A stub of an upstream Kameng at the edge: answers the open API's product listing,
balance and orders from what a test sets, to produce what a real Kameng never sends (a
price of 0, malformed products, too few or repeated codes). Signatures are not checked."""

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def product(sku_id: int, price: str, **changes) -> dict:
    """A product object as the open API lists it."""
    return {
        "sku_id": sku_id,
        "name": "10元",
        "product": "桩卡",
        "category": "游戏点卡",
        "kind": "card",
        "face_value": "10.00",
        "price": price,
        "retail_price": "10.00",
        "stock_state": "in_stock",
        "stock": 9,
        **changes,
    }


class StubUpstream:
    def __init__(self) -> None:
        self.products: list[dict] = []
        # out_trade_no, quantity → the codes the next order answer carries
        self.codes: Callable[[str, int], list[tuple[str, str]]] = lambda number, n: [
            (f"C-{number}-{i}", f"S-{number}-{i}") for i in range(n)
        ]
        self.orders: dict[str, dict] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "StubUpstream":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _order(self, body: dict) -> dict:
        number = body["out_trade_no"]
        cards = self.codes(number, body.get("quantity", 1))
        self.orders[number] = {
            "order_no": f"U{len(self.orders) + 1}",
            "out_trade_no": number,
            "sku_id": body["sku_id"],
            "quantity": body.get("quantity", 1),
            "status": "delivered",
            "amount": "9.50",
            "cards": [{"code": code, "secret": secret} for code, secret in cards],
        }
        return self.orders[number]

    def _answer(self, method: str, path: str, body: dict | None) -> tuple[int, dict]:
        url = urlsplit(path)
        if url.path == "/api/v1/products":
            return 200, {"products": self.products, "as_of": "2026-12-07T00:00:00+00:00",
                         "complete": True}  # fmt: skip
        if url.path == "/api/v1/balance":
            return 200, {"currency": "CNY", "balance": "88.00", "held": "0.00"}
        if url.path == "/api/v1/orders" and method == "POST" and body:
            return 201, self._order(body)
        if url.path == "/api/v1/orders":
            number = parse_qs(url.query).get("out_trade_no", [""])[0]
            found = self.orders.get(number)
            if found is not None:  # answered again with the codes set now
                found["cards"] = [
                    {"code": c, "secret": s} for c, s in self.codes(number, found["quantity"])
                ]
            return 200, {"orders": [found] if found else []}
        return 404, {"error": {"code": "not_found", "message": path}}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                return None

            def _reply(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                status, answer = stub._answer(self.command, self.path, body)
                raw = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = _reply

        return Handler
