"""Slow and talkative receivers, over real sockets, through the real workers: a try
ends at its deadline however the receiver drips, reads no more than the answer's head,
is recorded once and never sent again while it runs, and webhooks have workers of
their own, so a top-up placed while all of them are busy is delivered in normal time."""

import time
from collections.abc import Iterator

import pytest
from celery.signals import task_prerun

from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.orders.states import Status
from kameng.webhooks import services as webhooks
from kameng.webhooks.models import Delivery, DeliveryTry
from kameng.webhooks.states import DeliveryState
from tests.distributor import distributor_for
from tests.live import WORKER_THREADS, connect, wait_until
from tests.webhooks.conftest import head_by_the_byte


def endless_body():
    yield b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n", 0.0
    while True:
        yield b"x" * 65536, 0.01


def endless_headers():
    yield b"HTTP/1.1 200 OK\r\n", 0.0
    while True:
        yield b"X-Filler: " + b"a" * 1000 + b"\r\n", 0.01


@pytest.fixture
def hooks(direct_world, worker, settings):
    """Card orders with webhooks, each try given up after one go (no retries to wait
    for); `hooks.confirm(url, n)` makes n deliveries that the webhook workers take."""
    settings.KAMENG_WEBHOOK_RETRY_DELAYS = []
    shop = distributor_for(direct_world.a3)

    class Hooks:
        def confirm(self, url: str, count: int = 1) -> list[Delivery]:
            placed = []
            for _ in range(count):
                answer = shop.buy(
                    direct_world.sku.pk, f"slow-{time.monotonic_ns()}", callback_url=url
                )
                assert answer.status_code == 201, answer.json()
                placed.append(Order.objects.get(order_no=answer.json()["order_no"]))
            for order in placed:
                orders.confirm_receipt(order)  # → a webhook, queued after commit
            return [Delivery.objects.get(order=order) for order in placed]

    hooks = Hooks()
    hooks.shop = shop
    return hooks


@pytest.fixture
def ran() -> Iterator[list[tuple[str, str]]]:
    """(task name, queue it came from) of every task started during the test; each
    worker consumes one queue (tests/live.py)."""
    started: list[tuple[str, str]] = []

    def record(sender, **kwargs) -> None:
        started.append((sender.name, sender.request.delivery_info["routing_key"]))

    task_prerun.connect(record, weak=False)
    yield started
    task_prerun.disconnect(record)


def finished(delivery: Delivery) -> bool:
    delivery.refresh_from_db()
    return delivery.state != DeliveryState.PENDING


def test_a_receiver_dripping_its_headers_is_cut_off_at_the_deadline(hooks, trickle, settings):
    settings.KAMENG_WEBHOOK_TIMEOUT = 2
    receiver = trickle(head_by_the_byte)
    [delivery] = hooks.confirm(receiver.url)
    wait_until(lambda: receiver.connections, timeout=5)
    # While the try runs, beat's poller finds nothing due: its lease outlasts it.
    while not finished(delivery):
        assert webhooks.poll_due() == 0
        assert webhooks.try_delivery(delivery.pk) is None
        assert time.monotonic() - receiver.connections[0] < 5, "the try outlived its deadline"
        time.sleep(0.1)

    [attempt] = DeliveryTry.objects.filter(delivery=delivery)
    assert attempt.http_status is None
    assert attempt.error.startswith("no answer within 2 s")
    assert 2000 <= attempt.duration_ms < 3000
    assert delivery.state == DeliveryState.GAVE_UP
    wait_until(lambda: receiver.closed, timeout=3)  # we hung up
    assert len(receiver.connections) == 1


def test_the_answer_is_read_no_further_than_its_status_and_headers(hooks, trickle, settings):
    settings.KAMENG_WEBHOOK_TIMEOUT = 3
    body_receiver = trickle(endless_body)
    head_receiver = trickle(endless_headers)
    [acknowledged] = hooks.confirm(body_receiver.url)
    [too_long] = hooks.confirm(head_receiver.url)
    wait_until(lambda: finished(acknowledged) and finished(too_long), timeout=10)

    [attempt] = acknowledged.attempts.all()
    assert (acknowledged.state, attempt.http_status) == (DeliveryState.DELIVERED, 200)
    assert attempt.duration_ms < 1000  # not waiting for a body of 1 GB
    [attempt] = too_long.attempts.all()
    assert attempt.http_status is None
    assert attempt.error == "the answer's headers are longer than 16384 bytes"


def test_a_top_up_is_delivered_in_normal_time_while_every_webhook_worker_is_stuck(
    hooks, direct_world, sims, trickle, settings, ran
):
    settings.KAMENG_WEBHOOK_TIMEOUT = 4
    receiver = trickle(head_by_the_byte)
    sim = sims(latency=0.05)
    connect(sim, direct_world.direct)
    stuck = hooks.confirm(receiver.url, count=WORKER_THREADS)
    wait_until(lambda: len(receiver.connections) == WORKER_THREADS, timeout=5)

    placed = hooks.shop.buy(direct_world.direct.pk, "topup-busy", account="13800138000")
    assert placed.json()["status"] == Status.DELIVERING
    order = Order.objects.get(order_no=placed.json()["order_no"])
    took = wait_until(lambda: _status(order) == Status.DELIVERED, timeout=10)
    assert took < 2, f"the top-up waited {took:.1f} s behind the webhooks"
    # ...while the webhook workers were still busy with their tries.
    assert not any(finished(delivery) for delivery in stuck)

    wait_until(lambda: all(finished(delivery) for delivery in stuck), timeout=10)
    assert [d.attempts.count() for d in stuck] == [1] * WORKER_THREADS
    assert len(receiver.connections) == WORKER_THREADS
    # Each task came from its own queue (so went to that queue's worker), once.
    webhook_tasks = [queue for name, queue in ran if name.startswith("kameng.webhooks.")]
    assert webhook_tasks == ["webhooks"] * WORKER_THREADS
    assert {queue for name, queue in ran if name.startswith("kameng.topup.")} == {"celery"}


def _status(order: Order) -> str:
    order.refresh_from_db()
    return order.status
