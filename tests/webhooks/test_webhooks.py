"""Webhooks: each status change of an API order reaches the distributor's callback_url,
signed, retried until acknowledged, every try logged where the distributor can see it."""

import json
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from kameng.client import verify_webhook
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.orders.states import Status
from kameng.webhooks import services as webhooks
from kameng.webhooks.errors import ResendPending
from kameng.webhooks.models import Delivery
from kameng.webhooks.states import DeliveryState
from tests.concurrency import race
from tests.distributor import distributor_for
from tests.live import connect, wait_until
from tests.webhooks.conftest import head_by_the_byte


def buy_with_callback(shop, world, url: str, out_trade_no: str = "wh-1") -> dict:
    response = shop.buy(world.sku.pk, out_trade_no, callback_url=url)
    assert response.status_code == 201
    return response.json()


def delivery_of(order_no: str) -> Delivery:
    return Delivery.objects.get(order__order_no=order_no)


def run_until_finished(delivery: Delivery, limit: int = 20) -> str:
    """Make every due try now, as the worker would when each comes due."""
    for _ in range(limit):
        Delivery.objects.filter(pk=delivery.pk).update(next_try_at=timezone.now())
        state = webhooks.try_delivery(delivery.pk)
        if state != DeliveryState.PENDING:
            return state
    raise AssertionError("the delivery did not finish")


def test_a_status_change_is_posted_with_the_order_json_and_a_valid_signature(world, shop, receiver):
    placed = buy_with_callback(shop, world, receiver.url)
    # The 201 answer told the distributor about the new order: no webhook for that.
    assert not Delivery.objects.exists()
    orders.confirm_receipt(Order.objects.get(order_no=placed["order_no"]))
    delivery = delivery_of(placed["order_no"])
    assert webhooks.try_delivery(delivery.pk) == DeliveryState.DELIVERED

    [sent] = receiver.received
    timestamp = sent.headers["X-Kameng-Timestamp"]
    assert verify_webhook(shop.secret, timestamp, sent.body, sent.headers["X-Kameng-Signature"])
    assert not verify_webhook(
        shop.secret, timestamp, sent.body + b" ", sent.headers["X-Kameng-Signature"]
    )
    body = sent.json
    event = body.pop("event")
    assert (event["status"], event["type"], event["id"]) == (
        "completed",
        "order.status_changed",
        sent.headers["X-Kameng-Event-Id"],
    )
    # The same JSON as GET /orders/{order_no}, card secrets included, for its owner.
    assert body == shop.call("GET", f"/api/v1/orders/{placed['order_no']}").json()
    assert body["status"] == "completed"
    assert body["cards"] == placed["cards"]


def test_the_distributor_sees_every_try_and_failures_are_retried(world, shop, receiver, settings):
    settings.KAMENG_WEBHOOK_RETRY_DELAYS = [60, 60, 60, 60, 60, 60]
    receiver.answers = [500, 503, 200]
    placed = buy_with_callback(shop, world, receiver.url)
    orders.confirm_receipt(Order.objects.get(order_no=placed["order_no"]))
    delivery = delivery_of(placed["order_no"])

    assert webhooks.try_delivery(delivery.pk) == DeliveryState.PENDING
    delivery.refresh_from_db()
    wait = delivery.next_try_at - timezone.now()
    assert timedelta(seconds=55) < wait <= timedelta(seconds=60)
    # Not due yet: nothing is sent before the back-off has passed.
    assert webhooks.try_delivery(delivery.pk) is None
    assert len(receiver.received) == 1

    assert run_until_finished(delivery) == DeliveryState.DELIVERED
    [logged] = shop.call("GET", f"/api/v1/orders/{placed['order_no']}/webhooks").json()[
        "deliveries"
    ]
    assert (logged["state"], logged["tries"], logged["url"]) == ("delivered", 3, receiver.url)
    assert [a["http_status"] for a in logged["attempts"]] == [500, 503, 200]
    assert [a["number"] for a in logged["attempts"]] == [1, 2, 3]
    assert logged["attempts"][0]["error"] == "answered 500 Internal Server Error"
    # The receiver answered "not now": nothing of what it said is kept or shown.
    assert "not now" not in json.dumps(logged)
    assert set(logged["attempts"][0]) == {"number", "at", "http_status", "error", "duration_ms"}
    assert len(receiver.received) == 3
    # Each try carries the same event id: the distributor can drop repeats.
    assert len({r.headers["X-Kameng-Event-Id"] for r in receiver.received}) == 1


def test_it_gives_up_after_the_last_scheduled_try(world, shop, settings):
    settings.KAMENG_WEBHOOK_RETRY_DELAYS = [1, 1, 1, 1, 1, 1]
    settings.KAMENG_WEBHOOK_TIMEOUT = 1
    # Nobody listens on port 9 (discard): every try fails without an answer.
    placed = buy_with_callback(shop, world, "http://127.0.0.1:9/notify")
    orders.confirm_receipt(Order.objects.get(order_no=placed["order_no"]))
    assert run_until_finished(delivery_of(placed["order_no"])) == DeliveryState.GAVE_UP
    [logged] = shop.call("GET", f"/api/v1/orders/{placed['order_no']}/webhooks").json()[
        "deliveries"
    ]
    assert logged["tries"] == 7
    assert all(a["http_status"] is None and a["error"] for a in logged["attempts"])
    assert logged["finished_at"] is not None


def test_default_schedule_is_at_least_six_tries_over_about_an_hour():
    delays = django_settings.KAMENG_WEBHOOK_RETRY_DELAYS
    assert len(delays) + 1 >= 6
    assert timedelta(minutes=45) <= timedelta(seconds=sum(delays)) <= timedelta(minutes=75)
    assert delays == sorted(delays)  # backing off, never hammering


def test_manual_resend_sends_the_current_state_again(world, shop, receiver):
    placed = buy_with_callback(shop, world, receiver.url)
    orders.confirm_receipt(Order.objects.get(order_no=placed["order_no"]))
    webhooks.try_delivery(delivery_of(placed["order_no"]).pk)

    response = shop.call("POST", f"/api/v1/orders/{placed['order_no']}/webhooks")
    assert response.status_code == 202
    resent = response.json()
    assert (resent["manual"], resent["state"], resent["status"]) == (True, "pending", "completed")
    second = Delivery.objects.get(pk=int(resent["event_id"].removeprefix("evt_")))
    assert webhooks.try_delivery(second.pk) == DeliveryState.DELIVERED
    assert [r.json["event"]["id"] for r in receiver.received] == [
        delivery_of_first(placed["order_no"]),
        resent["event_id"],
    ]


def resend(shop, placed: dict):
    return shop.call("POST", f"/api/v1/orders/{placed['order_no']}/webhooks")


def test_fifteen_resends_in_a_row_make_one_delivery(world, shop, receiver):
    placed = buy_with_callback(shop, world, receiver.url)
    answers = [resend(shop, placed) for _ in range(15)]
    assert [a.status_code for a in answers] == [202] + [409] * 14
    first = answers[0].json()["event_id"]
    assert {a.json()["error"]["code"] for a in answers[1:]} == {"resend_pending"}
    assert {a.json()["error"]["event_id"] for a in answers[1:]} == {first}
    assert Delivery.objects.count() == 1

    # Once it is delivered, the order may be re-sent again.
    assert webhooks.try_delivery(delivery_of(placed["order_no"]).pk) == DeliveryState.DELIVERED
    assert resend(shop, placed).status_code == 202


def test_manual_resends_of_an_order_are_limited_per_day(world, shop, receiver, settings):
    settings.KAMENG_WEBHOOK_RESENDS_PER_DAY = 3
    placed = buy_with_callback(shop, world, receiver.url)
    for _ in range(3):
        answer = resend(shop, placed)
        assert answer.status_code == 202
        event = int(answer.json()["event_id"].removeprefix("evt_"))
        assert webhooks.try_delivery(event) == DeliveryState.DELIVERED

    refused = resend(shop, placed)
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "resend_limit"
    assert 86_400 - 60 < error["retry_after"] <= 86_400
    assert (Delivery.objects.count(), len(receiver.received)) == (3, 3)

    # Another order has its own allowance.
    other = buy_with_callback(shop, world, receiver.url, "wh-2")
    assert resend(shop, other).status_code == 202
    # A day after the first re-send, there is room for one more.
    oldest = Delivery.objects.filter(order__order_no=placed["order_no"]).order_by("pk").first()
    Delivery.objects.filter(pk=oldest.pk).update(created_at=oldest.created_at - timedelta(days=1))
    assert resend(shop, placed).status_code == 202


@pytest.mark.postgres
def test_racing_resends_make_one_delivery(worker, settings, trickle):
    from tests.factories import World

    # The re-send's try drips until its deadline: it stays pending through the race
    # (a try that ended at once would rightly make room for the next re-send).
    settings.KAMENG_WEBHOOK_TIMEOUT = 3
    settings.KAMENG_WEBHOOK_RETRY_DELAYS = []
    receiver = trickle(head_by_the_byte)
    world = World.build()
    shop = distributor_for(world.a3)
    placed = buy_with_callback(shop, world, receiver.url)
    order = Order.objects.get(order_no=placed["order_no"])
    results = race(8, lambda i: webhooks.resend(order))
    assert sum(isinstance(r, Delivery) for r in results) == 1, results
    assert sum(isinstance(r, ResendPending) for r in results) == 7
    assert Delivery.objects.filter(order=order, manual=True).count() == 1


def delivery_of_first(order_no: str) -> str:
    return Delivery.objects.filter(order__order_no=order_no).order_by("pk").first().event_id


def test_orders_without_callback_url_send_nothing(world, shop):
    placed = shop.buy(world.sku.pk, "quiet").json()
    orders.confirm_receipt(Order.objects.get(order_no=placed["order_no"]))
    assert not Delivery.objects.exists()


def test_a_webhook_is_signed_with_the_key_that_placed_the_order(world, shop, receiver):
    other = distributor_for(world.a3)
    placed = buy_with_callback(other, world, receiver.url)
    orders.confirm_receipt(Order.objects.get(order_no=placed["order_no"]))
    webhooks.try_delivery(delivery_of(placed["order_no"]).pk)
    [sent] = receiver.received
    assert sent.headers["X-Kameng-Key"] == other.app_key  # says which secret to check with
    ts, signature = sent.headers["X-Kameng-Timestamp"], sent.headers["X-Kameng-Signature"]
    assert verify_webhook(other.secret, ts, sent.body, signature)
    assert not verify_webhook(shop.secret, ts, sent.body, signature)


@pytest.mark.postgres
def test_racing_workers_send_one_try(transactional_db, receiver):
    from tests.factories import World

    world = World.build()
    shop = distributor_for(world.a3)
    placed = buy_with_callback(shop, world, receiver.url)
    # Written here rather than by a status change, which would also queue it for the
    # session's worker thread (if a test before started it).
    delivery = Delivery.objects.create(
        order=Order.objects.get(order_no=placed["order_no"]),
        status="delivered",
        url=receiver.url,
        created_at=timezone.now(),
        next_try_at=timezone.now(),
    )
    results = race(8, lambda i: webhooks.try_delivery(delivery.pk))
    assert results.count(DeliveryState.DELIVERED) == 1
    assert results.count(None) == 7
    assert len(receiver.received) == 1


def test_a_top_up_webhook_arrives_by_itself(direct_world, sims, receiver, worker):
    """End to end: API order → worker submits to the supplier → callback → delivered →
    the worker posts the webhook."""
    sim = sims(latency=0.05)
    connect(sim, direct_world.direct)
    shop = distributor_for(direct_world.a3)
    response = shop.buy(
        direct_world.direct.pk, "topup-wh", account="13800138000", callback_url=receiver.url
    )
    assert response.json()["status"] == "delivering"
    wait_until(lambda: len(receiver.received) >= 1, timeout=10)
    body = receiver.received[0].json
    assert (body["event"]["status"], body["status"], body["account"]) == (
        Status.DELIVERED,
        Status.DELIVERED,
        "13800138000",
    )
    wait_until(lambda: delivery_of(body["order_no"]).state == DeliveryState.DELIVERED, timeout=5)
    log = shop.call("GET", f"/api/v1/orders/{body['order_no']}/webhooks").json()["deliveries"]
    assert [(d["status"], d["state"]) for d in log] == [("delivered", "delivered")]
    json.dumps(log)  # the log itself is plain JSON
