"""A forwarded card order (a docked SKU) is delivered only with exactly the codes it
bought, each new to this site: an upstream that sends too few, or codes this site
already holds, is not paid for them; the attempt stays open until it answers right (or
the operator decides). The upstream is a stub at the edge (tests/docking/stub.py)."""

from collections.abc import Iterator

import pytest

from kameng.docking import services as docking
from kameng.docking.models import DockedSku
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.orders.states import Status
from kameng.stock.models import Card
from kameng.topup import services as topup
from kameng.topup.models import Attempt
from kameng.topup.states import OPEN
from tests import factories
from tests.docking.stub import StubUpstream, product


@pytest.fixture
def stub() -> Iterator[StubUpstream]:
    upstream = StubUpstream().start()
    upstream.products = [product(1, "9.50")]
    yield upstream
    upstream.stop()


@pytest.fixture
def docked(db, stub):
    factories.levels()
    connection = docking.connect("桩上游", url=stub.url, app_key="kmk_stub", secret="s")
    docking.sync(connection)
    return DockedSku.objects.get(remote_sku_id=1).sku, factories.agent("买家", funds="500")


def forward(buyer, sku, number: str, quantity: int = 1) -> Attempt:
    order = orders.place_order(
        agent=buyer, sku_id=sku.pk, quantity=quantity, out_trade_no=number
    ).order
    attempt = Attempt.objects.get(order=order)
    topup.submit(attempt.pk)  # what the worker does once the order has committed
    attempt.refresh_from_db()
    return attempt


def test_exactly_the_codes_bought_are_delivered_encrypted_to_the_buyer(docked):
    sku, buyer = docked
    attempt = forward(buyer, sku, "F-1", quantity=2)
    order = Order.objects.get(pk=attempt.order_id)
    assert (order.status, attempt.status) == (Status.DELIVERED, "succeeded")
    assert orders.reveal_cards(order, buyer) == [
        (f"C-{attempt.request_id}-0", f"S-{attempt.request_id}-0"),
        (f"C-{attempt.request_id}-1", f"S-{attempt.request_id}-1"),
    ]
    stored = Card.objects.filter(order=order)
    assert all(f"S-{attempt.request_id}" not in c.secret_encrypted for c in stored)
    assert {c.status for c in stored} == {Card.Status.SOLD}


def test_too_few_codes_are_not_accepted_until_the_upstream_sends_them_all(docked, stub):
    sku, buyer = docked
    right = stub.codes
    stub.codes = lambda number, n: right(number, n)[:1]  # one code for two ordered
    attempt = forward(buyer, sku, "F-2", quantity=2)
    assert attempt.status in OPEN
    assert Order.objects.get(pk=attempt.order_id).status == Status.DELIVERING
    assert not Card.objects.filter(order_id=attempt.order_id).exists()

    stub.codes = right  # asked again, it answers with both
    topup.query(attempt.pk)
    assert Order.objects.get(pk=attempt.order_id).status == Status.DELIVERED
    assert Card.objects.filter(order_id=attempt.order_id).count() == 2


def test_codes_this_site_already_holds_are_not_sold_twice(docked, stub):
    sku, buyer = docked
    stub.codes = lambda number, n: [("SAME", "SAME-SECRET")] * n
    first = forward(buyer, sku, "F-3")
    assert first.status == "succeeded"
    second = forward(buyer, sku, "F-4")  # the same code again
    assert second.status in OPEN
    assert Order.objects.get(pk=second.order_id).status == Status.DELIVERING
    assert Card.objects.filter(secret_digest__isnull=False).count() == 1
