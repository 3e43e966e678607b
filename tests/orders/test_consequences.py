"""What else happens on a status change is one list (kameng.orders.consequences): each
listener hears every change after placement, inside the transaction that made it."""

from datetime import datetime

import pytest

from kameng.ledger import services as ledger
from kameng.orders import consequences
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.orders.states import Status

pytestmark = pytest.mark.django_db

heard: list[tuple[str, str, str]] = []


def record(order: Order, previous: str, now: datetime) -> None:
    heard.append((order.order_no, previous, order.status))


class Refused(Exception):
    pass


def refuse(order: Order, previous: str, now: datetime) -> None:
    raise Refused(order.order_no)


@pytest.fixture
def listeners(monkeypatch):
    """Run with extra listeners appended to the real list."""

    def use(*paths: str) -> None:
        monkeypatch.setattr(
            consequences, "ON_STATUS_CHANGE", (*consequences.ON_STATUS_CHANGE, *paths)
        )
        consequences._listeners.cache_clear()

    heard.clear()
    yield use
    consequences._listeners.cache_clear()


def test_every_listed_listener_can_be_loaded():
    consequences._listeners.cache_clear()
    assert len(consequences._listeners()) == len(consequences.ON_STATUS_CHANGE)
    assert all(callable(listener) for listener in consequences._listeners())


def test_a_listener_hears_each_change_after_placement_with_the_status_before(world, listeners):
    listeners("tests.orders.test_consequences.record")
    order = orders.place_order(
        agent=world.a3, sku_id=world.sku.pk, quantity=1, out_trade_no="C-1"
    ).order
    assert heard == []  # created → paid → delivered in one transaction: the answer says so

    orders.open_dispute(order, "does not work")
    orders.resolve_dispute(order, upheld=False)

    assert heard == [
        (order.order_no, Status.DELIVERED, Status.DISPUTED),
        (order.order_no, Status.DISPUTED, Status.COMPLETED),
    ]


def test_a_listener_that_fails_undoes_the_change(world, listeners):
    order = orders.place_order(
        agent=world.a3, sku_id=world.sku.pk, quantity=1, out_trade_no="C-2"
    ).order
    escrow = ledger.escrow_balance()
    listeners("tests.orders.test_consequences.refuse")

    with pytest.raises(Refused):
        orders.confirm_receipt(order)

    order.refresh_from_db()
    assert order.status == Status.DELIVERED
    assert ledger.escrow_balance() == escrow  # the settlement rolled back with it
    assert not order.events.filter(to_status=Status.COMPLETED).exists()
