"""The supplier callback endpoint under hostile input, over real HTTP to the live server:
every bad body a recorded 4xx with a short, storable excerpt, bodies above the cap
refused unread, and an address that keeps failing answered 429 without more records,
while a genuine callback from it is still applied."""

import json
import logging
import time

import httpx
import pytest

from kameng.orders import services as orders
from kameng.topup import services as topup
from kameng.topup.models import Attempt, Callback
from kameng.upstream import services as upstream
from kameng.upstream.adapters.kameng_http import signed
from tests import factories
from tests.live import connect, wait_until

SECRET = "callback-test-secret"
MERCHANT = "m-cb"


@pytest.fixture
def source(transactional_db, topup_settings):
    """An API supplier (nothing listens at its URL: only its callbacks matter here)."""
    supplier = factories.supplier()
    upstream.configure_api(
        supplier,
        adapter="kameng-http",
        base_url="http://127.0.0.1:9",
        merchant_id=MERCHANT,
        secret=SECRET,
    )
    return supplier


def post(supplier_id: int, body: bytes) -> httpx.Response:
    return httpx.post(
        topup.callback_url(supplier_id),
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )


def callback_fields(**changes) -> dict:
    fields = {
        "merchant_id": MERCHANT,
        "out_order_no": "K2026000000000001",
        "order_no": "S1",
        "state": 1,
        "timestamp": int(time.time()),
        "nonce": "0123456789abcdef",
    }
    return {**fields, **changes}


def forged(**changes) -> bytes:
    return json.dumps(signed(callback_fields(**changes), "not-the-secret")).encode()


def error_code(reply: httpx.Response) -> str:
    assert reply.headers["Content-Type"] == "application/json"
    return reply.json()["error"]["code"]


def test_brackets_nested_past_any_recursion_limit_are_a_recorded_4xx_not_a_500(source):
    reply = post(source.pk, b"[" * 60_000)  # under the size cap, past the parser's depth
    assert reply.status_code == 400 and error_code(reply) == "malformed_callback"
    reply = post(source.pk, b"[" * 100_000)  # over the cap: not even read
    assert reply.status_code == 413 and error_code(reply) == "callback_too_large"
    nested, too_large = Callback.objects.filter(supplier=source).order_by("pk")
    assert nested.effect == Callback.Effect.MALFORMED
    assert nested.body == "[" * topup.CALLBACK_EXCERPT_CHARS
    assert nested.reason == "callback body is not one flat JSON object"
    assert too_large.effect == Callback.Effect.TOO_LARGE


@pytest.mark.parametrize(
    "body",
    [
        b'{"merchant_id": "m\x00", "sign": "00"}',  # a raw NUL: not even JSON
        b"\x00\x01\x02 plain binary \xff\xfe",
        b'{"merchant_id": "m"',  # cut short
        b"",
        b"[1, 2]",
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_recorded_400(source, body):
    reply = post(source.pk, body)
    assert reply.status_code == 400 and error_code(reply) == "malformed_callback"
    recorded = Callback.objects.get(supplier=source)
    assert recorded.effect == Callback.Effect.MALFORMED
    assert "\x00" not in recorded.body and recorded.body.isprintable()


def test_a_forged_callback_with_nul_bytes_is_recorded_with_them_escaped(source):
    reply = post(source.pk, forged(out_order_no="K\x00\x00", order_no="\x00"))
    assert (reply.status_code, reply.text) == (400, "fail")
    recorded = Callback.objects.get(supplier=source)
    assert recorded.effect == Callback.Effect.FORGED
    assert recorded.reason == "callback signature does not verify"
    assert "\\u0000" in recorded.body and recorded.body.isprintable()


def test_a_genuine_callback_naming_a_request_with_a_nul_is_an_unknown_request(source):
    body = json.dumps(signed(callback_fields(out_order_no="K\x001", order_no="\x00"), SECRET))
    reply = post(source.pk, body.encode())
    assert (reply.status_code, reply.text) == (400, "fail")
    recorded = Callback.objects.get(supplier=source)
    assert recorded.effect == Callback.Effect.UNKNOWN_REQUEST
    assert recorded.request_id == "K\\x001"


def test_a_body_over_the_cap_is_a_recorded_413_refused_before_it_is_read(source, caplog):
    caplog.set_level(logging.WARNING)
    reply = post(source.pk, b"{" + b" " * 3_000_000 + b"}")  # above Django's 2.5 MB too
    assert reply.status_code == 413 and error_code(reply) == "callback_too_large"
    recorded = Callback.objects.get(supplier=source)
    assert (recorded.effect, recorded.body) == (Callback.Effect.TOO_LARGE, "")
    assert recorded.reason == "more than 65536 bytes"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if r.name.startswith("django.security")]


def test_the_cap_is_exact(source, settings):
    settings.KAMENG_CALLBACK_MAX_BYTES = 1000
    at_cap = forged(order_no="x" * 1000)[:1000]  # cut to exactly the cap: not JSON
    assert post(source.pk, at_cap).status_code == 400
    assert post(source.pk, at_cap + b" ").status_code == 413
    effects = list(Callback.objects.order_by("pk").values_list("effect", flat=True))
    assert effects == [Callback.Effect.MALFORMED, Callback.Effect.TOO_LARGE]


def test_a_large_forged_callback_is_stored_as_a_short_excerpt(source):
    reply = post(source.pk, forged(order_no="长" * 5_000))
    assert (reply.status_code, reply.text) == (400, "fail")
    recorded = Callback.objects.get(supplier=source)
    assert recorded.effect == Callback.Effect.FORGED
    assert len(recorded.body) == topup.CALLBACK_EXCERPT_CHARS


def test_an_unknown_supplier_is_a_json_404(source):
    card_supplier = factories.supplier()  # exists, but not connected by API
    for supplier_id in (card_supplier.pk, source.pk + 1000):
        reply = post(supplier_id, forged())
        assert reply.status_code == 404 and error_code(reply) == "supplier_not_found"
    assert not Callback.objects.exists()


def test_an_address_over_the_failure_limit_gets_429_and_no_more_records(
    direct_world, sims, settings
):
    settings.KAMENG_CALLBACK_FAILURE_LIMIT = (5, 60)
    sim = sims()
    source = connect(sim, direct_world.direct)
    bad_bodies = [forged(), b"[" * 1000, forged(), b"not json", forged()]
    assert [post(source.pk, body).status_code for body in bad_bodies] == [400] * 5

    flood = [post(source.pk, body) for body in [forged(), b"[[[", b"x" * 70_000] * 10]
    assert {reply.status_code for reply in flood} == {429}
    assert error_code(flood[0]) == "rate_limited"
    assert 1 <= int(flood[0].headers["Retry-After"]) <= 60
    # Five failures recorded, then one note that the address went over the limit.
    effects = list(Callback.objects.order_by("pk").values_list("effect", flat=True))
    assert effects == [
        *[Callback.Effect.FORGED, Callback.Effect.MALFORMED] * 2,
        Callback.Effect.FORGED,
        Callback.Effect.THROTTLED,
    ]

    # A genuine callback from the same address is still applied.
    order = orders.place_order(
        agent=direct_world.a3,
        sku_id=direct_world.direct.pk,
        quantity=1,
        out_trade_no="during-flood",
        recharge_account="NOCB-13800138000",  # the simulator sends no callback itself
    ).order
    attempt = Attempt.objects.get(order=order)
    wait_until(lambda: attempt.request_id in sim.orders)
    genuine = signed(
        callback_fields(
            merchant_id=sim.config.merchant_id, out_order_no=attempt.request_id, state=1
        ),
        sim.config.secret,
    )
    reply = post(source.pk, json.dumps(genuine).encode())
    assert (reply.status_code, reply.text) == (200, "success")
    assert Callback.objects.get(request_id=attempt.request_id).effect in {
        Callback.Effect.APPLIED,
        Callback.Effect.DUPLICATE,  # a status query got there first
    }
    assert Callback.objects.count() == 7
