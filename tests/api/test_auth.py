"""Every request must prove it comes from a live key, now, once: otherwise 401 with a
code saying why, and nothing happens."""

import json
import time

import pytest

from kameng.agents.credentials import revoke_api_key
from kameng.client import request_signature, signed_headers
from kameng.orders.models import Order
from tests import factories
from tests.distributor import distributor_for


def code(response) -> str:
    return response.json()["error"]["code"]


def order_body(world, out_trade_no: str = "auth-1") -> dict:
    return {"out_trade_no": out_trade_no, "sku_id": world.sku.pk, "quantity": 1}


def test_a_signed_request_is_answered(shop):
    response = shop.call("GET", "/api/v1/balance")
    assert response.status_code == 200
    assert response.json()["balance"] == "2000.00"


@pytest.mark.parametrize(
    "drop", ["X-Kameng-Key", "X-Kameng-Timestamp", "X-Kameng-Nonce", "X-Kameng-Signature"]
)
def test_each_header_is_required(shop, drop):
    response = shop.call("GET", "/api/v1/balance", headers={drop: ""})
    assert response.status_code == 401
    assert code(response) == "missing_credentials"
    assert drop in response.json()["error"]["message"]


def test_an_unknown_key_is_refused(shop):
    response = shop.call("GET", "/api/v1/balance", headers={"X-Kameng-Key": "kmk_nobody"})
    assert (response.status_code, code(response)) == (401, "unknown_key")


def test_a_revoked_key_stops_at_once_and_others_keep_working(world, shop):
    other = distributor_for(world.a3)
    revoke_api_key(world.a3, shop.app_key)
    response = shop.buy(world.sku.pk, "after-revoke")
    assert (response.status_code, code(response)) == (401, "key_revoked")
    assert not Order.objects.filter(out_trade_no="after-revoke").exists()
    assert other.call("GET", "/api/v1/balance").status_code == 200


def test_a_wrong_signature_changes_nothing(world, shop):
    body = order_body(world)
    response = shop.call("POST", "/api/v1/orders", body, headers={"X-Kameng-Signature": "0" * 64})
    assert (response.status_code, code(response)) == (401, "invalid_signature")
    assert not Order.objects.exists()
    assert factories.wallet(world.a3) == 2000


def test_a_signature_from_another_secret_is_refused(world, shop, rival):
    # agent2's secret, agent3's key: someone who knows one secret cannot act as another.
    payload = b"{}"
    ts, nonce = str(int(time.time())), "n-other"
    signature = request_signature(rival.secret, "GET", "/api/v1/balance", ts, nonce, payload)
    headers = {
        "X-Kameng-Key": shop.app_key,
        "X-Kameng-Timestamp": ts,
        "X-Kameng-Nonce": nonce,
        "X-Kameng-Signature": signature,
    }
    response = shop.send("GET", "/api/v1/balance", payload, headers)
    assert (response.status_code, code(response)) == (401, "invalid_signature")


def test_a_tampered_body_is_refused(world, shop):
    """Signed for quantity 1, sent with quantity 5: the body hash no longer matches."""
    signed_for = order_body(world)
    sent = {**signed_for, "quantity": 5}
    headers = forged_headers(shop, "POST", "/api/v1/orders", signed_for)
    response = shop.send("POST", "/api/v1/orders", json_bytes(sent), headers)
    assert (response.status_code, code(response)) == (401, "invalid_signature")
    assert not Order.objects.exists()


def test_the_query_string_is_signed(world, shop):
    headers = forged_headers(shop, "GET", "/api/v1/orders?out_trade_no=a")
    response = shop.send("GET", "/api/v1/orders?out_trade_no=b", b"", headers)
    assert (response.status_code, code(response)) == (401, "invalid_signature")


def test_the_method_is_signed(world, shop):
    headers = forged_headers(shop, "GET", "/api/v1/orders", order_body(world))
    response = shop.send("POST", "/api/v1/orders", json_bytes(order_body(world)), headers)
    assert (response.status_code, code(response)) == (401, "invalid_signature")


@pytest.mark.parametrize("offset", [-310, 310, -3600])
def test_a_timestamp_outside_five_minutes_is_refused(world, shop, offset):
    ts = int(time.time()) + offset
    headers = forged_headers(shop, "POST", "/api/v1/orders", order_body(world), timestamp=ts)
    response = shop.send("POST", "/api/v1/orders", json_bytes(order_body(world)), headers)
    assert (response.status_code, code(response)) == (401, "timestamp_out_of_window")
    assert not Order.objects.exists()


def test_a_timestamp_within_the_window_is_accepted(shop):
    headers = forged_headers(shop, "GET", "/api/v1/balance", timestamp=int(time.time()) - 250)
    assert shop.send("GET", "/api/v1/balance", b"", headers).status_code == 200


@pytest.mark.parametrize("timestamp", ["soon", "1.5e9", "-5", "12345678901234"])
def test_a_malformed_timestamp_is_refused(shop, timestamp):
    headers = forged_headers(shop, "GET", "/api/v1/balance", timestamp=timestamp)
    response = shop.send("GET", "/api/v1/balance", b"", headers)
    assert (response.status_code, code(response)) == (401, "invalid_timestamp")


def test_a_replayed_request_is_refused_and_buys_nothing_twice(world, shop):
    headers = forged_headers(shop, "POST", "/api/v1/orders", order_body(world), nonce="once")
    first = shop.send("POST", "/api/v1/orders", json_bytes(order_body(world)), headers)
    replay = shop.send("POST", "/api/v1/orders", json_bytes(order_body(world)), headers)
    assert first.status_code == 201
    assert (replay.status_code, code(replay)) == (401, "nonce_reused")
    assert Order.objects.count() == 1


def test_a_nonce_is_single_use_even_for_a_different_request(shop):
    first = forged_headers(shop, "GET", "/api/v1/balance", nonce="same")
    second = forged_headers(shop, "GET", "/api/v1/products", nonce="same")
    assert shop.send("GET", "/api/v1/balance", b"", first).status_code == 200
    response = shop.send("GET", "/api/v1/products", b"", second)
    assert (response.status_code, code(response)) == (401, "nonce_reused")


def test_the_same_nonce_under_another_key_is_fine(shop, rival):
    assert (
        shop.send(
            "GET",
            "/api/v1/balance",
            b"",
            forged_headers(shop, "GET", "/api/v1/balance", nonce="x1"),
        ).status_code
        == 200
    )
    assert (
        rival.send(
            "GET",
            "/api/v1/balance",
            b"",
            forged_headers(rival, "GET", "/api/v1/balance", nonce="x1"),
        ).status_code
        == 200
    )


def test_a_refused_signature_does_not_burn_the_nonce(shop):
    bad = forged_headers(shop, "GET", "/api/v1/balance", nonce="keep")
    bad["X-Kameng-Signature"] = "f" * 64
    assert shop.send("GET", "/api/v1/balance", b"", bad).status_code == 401
    good = forged_headers(shop, "GET", "/api/v1/balance", nonce="keep")
    assert shop.send("GET", "/api/v1/balance", b"", good).status_code == 200


def test_a_disabled_agent_is_forbidden(world, shop):
    world.a3.active = False
    world.a3.save(update_fields=["active"])
    response = shop.buy(world.sku.pk, "disabled")
    assert (response.status_code, code(response)) == (403, "agent_inactive")
    assert not Order.objects.exists()


def test_rate_limit_answers_429_with_retry_after(settings, world, shop, rival):
    settings.KAMENG_API_RATE_LIMIT = (3, 60)
    answers = [shop.call("GET", "/api/v1/balance") for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    refused = answers[-1]
    assert code(refused) == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Per key: another distributor is not slowed down by this one.
    assert rival.call("GET", "/api/v1/balance").status_code == 200
    # Refused requests are not served: an order over the limit is not placed.
    assert shop.buy(world.sku.pk, "over-limit").status_code == 429
    assert not Order.objects.filter(out_trade_no="over-limit").exists()


def test_rate_limit_window_passes(settings, shop):
    settings.KAMENG_API_RATE_LIMIT = (2, 1)
    # Start at the beginning of a one-second window so the three calls share it.
    time.sleep(1 - time.time() % 1)
    statuses = [shop.call("GET", "/api/v1/balance").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    time.sleep(1.05)
    assert shop.call("GET", "/api/v1/balance").status_code == 200


def test_docs_and_schema_need_no_key(client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v1/orders", "/api/v1/products", "/api/v1/balance"} <= set(paths)
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()  # assets served locally


def test_unknown_endpoints_answer_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert (response.status_code, code(response)) == (404, "not_found")


# --- helpers ----------------------------------------------------------------------------


def json_bytes(body) -> bytes:
    return json.dumps(body).encode()


def forged_headers(shop, method, path, body=None, *, timestamp=None, nonce=None) -> dict:
    """Headers signed correctly by `shop` for the given request, with a chosen
    timestamp and nonce (the client would pick now and a random one)."""
    payload = b"" if body is None else json_bytes(body)
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or f"n-{time.monotonic_ns()}"
    return signed_headers(
        shop.app_key, shop.secret, method, path, payload, timestamp=ts, nonce=nonce
    )
