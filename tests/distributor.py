"""Calling the open API as a distributor would: every request signed (kameng.client),
through Django's test client, unless a test forges one on purpose."""

import json
from dataclasses import dataclass, field
from typing import Any

from django.test import Client

from kameng.agents.credentials import create_api_key
from kameng.agents.models import Agent
from kameng.client import signed_headers


@dataclass
class Distributor:
    agent: Agent
    app_key: str
    secret: str
    http: Client = field(default_factory=Client)

    def call(self, method: str, path: str, body: Any = None, *, headers: dict | None = None) -> Any:
        """A signed request; `headers` replace signed ones (to forge or replay)."""
        payload = b"" if body is None else json.dumps(body).encode()
        sent = signed_headers(self.app_key, self.secret, method, path, payload)
        sent.update(headers or {})
        return self.send(method, path, payload, sent)

    def send(self, method: str, path: str, payload: bytes, headers: dict) -> Any:
        return self.http.generic(
            method, path, payload, content_type="application/json", headers=headers
        )

    def buy(self, sku_id: int, out_trade_no: str, quantity: int = 1, **extra) -> Any:
        body = {"out_trade_no": out_trade_no, "sku_id": sku_id, "quantity": quantity, **extra}
        return self.call("POST", "/api/v1/orders", body)


def distributor_for(agent: Agent) -> Distributor:
    issued = create_api_key(agent, label="test")
    return Distributor(agent, issued.key.app_key, issued.secret)
