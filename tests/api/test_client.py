"""kameng.client, the file distributors copy, against the live server over real HTTP."""

import time

import pytest

from kameng.client import KamengClient, KamengError, verify_webhook, webhook_signature
from kameng.orders.models import Order
from tests import factories
from tests.distributor import distributor_for


@pytest.fixture
def kameng(transactional_db, live_server):
    world = factories.World.build()
    shop = distributor_for(world.a3)
    with KamengClient(live_server.url, shop.app_key, shop.secret) as client:
        client.world = world
        yield client


def test_a_distributor_buys_checks_and_confirms_with_the_client(kameng):
    sku = kameng.world.sku.pk
    assert kameng.product(sku)["price"] == "98.50"
    order = kameng.create_order(out_trade_no="py-1", sku_id=sku, quantity=2)
    assert (order["status"], len(order["cards"])) == ("delivered", 2)
    # A retry after a lost answer is safe: the same order, nothing bought twice.
    assert kameng.create_order(out_trade_no="py-1", sku_id=sku, quantity=2) == order
    assert kameng.order_by_out_trade_no("py-1") == order
    assert kameng.order_by_out_trade_no("never") is None
    assert kameng.balance()["held"] == "197.00"
    assert kameng.confirm(order["order_no"])["status"] == "completed"
    assert Order.objects.get(order_no=order["order_no"]).status == "completed"


def test_error_answers_become_kameng_errors_with_their_code(kameng):
    with pytest.raises(KamengError) as refused:
        kameng.create_order(out_trade_no="py-2", sku_id=kameng.world.sku.pk, quantity=21)
    assert (refused.value.status, refused.value.code) == (409, "out_of_stock")
    with pytest.raises(KamengError) as missing:
        kameng.order("K0000")
    assert (missing.value.status, missing.value.code) == (404, "order_not_found")


def test_rate_limited_calls_say_when_to_retry(kameng, settings):
    settings.KAMENG_API_RATE_LIMIT = (1, 30)
    kameng.balance()
    with pytest.raises(KamengError) as limited:
        kameng.balance()
    assert limited.value.code == "rate_limited"
    assert 1 <= limited.value.details["retry_after"] <= 30


def test_a_timeout_does_not_break_the_next_call(kameng, settings):
    settings.KAMENG_API_RATE_LIMIT = (1000, 1)
    kameng.timeout = 0.000001  # the answer cannot arrive in time
    with pytest.raises(OSError):
        kameng.balance()
    kameng.timeout = 15
    assert kameng.balance()["currency"] == "CNY"


def test_verify_webhook_checks_signature_and_age():
    body = b'{"order_no":"K1","status":"completed"}'
    now = str(int(time.time()))
    good = webhook_signature("s3cret", now, body)
    assert verify_webhook("s3cret", now, body, good)
    assert not verify_webhook("other", now, body, good)
    assert not verify_webhook("s3cret", now, body.replace(b"completed", b"refunded"), good)
    old = str(int(time.time()) - 3600)
    assert not verify_webhook("s3cret", old, body, webhook_signature("s3cret", old, body))
    assert not verify_webhook("s3cret", "yesterday", body, good)
