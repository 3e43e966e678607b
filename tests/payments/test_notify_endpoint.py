"""The notify endpoint, over real HTTP to the live server, against notifies that must
change nothing: forged, for another merchant, the wrong amount, not paid, an order we do
not have, another order's trade; and hostile bodies (huge, NUL, not UTF-8, nested, ten
thousand parameters): a recorded 4xx, never a 500. An address that keeps failing is
answered 429, while a genuine notify from it is still applied."""

from dataclasses import dataclass

import httpx
import pytest

from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.orders.states import Status
from kameng.payments import services as payments
from kameng.payments.models import GatewayEvent, Payment
from kameng.payments.simulator import SimTrade, SimulatedEpay
from kameng.payments.states import PaymentStatus
from kameng.stock.models import Card
from tests.orders.helpers import assert_books_sound
from tests.payments.helpers import (
    buy,
    configure,
    fresh,
    notify_params,
    payments_balance,
    send_notify,
    shop_world,
    to_gateway,
    wait_until,
)

Outcome = GatewayEvent.Outcome


@dataclass
class Paid:
    sim: SimulatedEpay
    order: Order
    trade: SimTrade


@pytest.fixture
def paid(transactional_db, topup_settings, sim) -> Paid:
    """The live server, the gateway configured, and an order paid at the gateway whose
    notify never came (no workers: nothing here queues a task)."""
    configure(sim)
    sim.update_config({"drop_rate": 1.0})
    order = buy(shop_world(cards=3))
    trade = to_gateway(sim, order)
    sim.pay(order.order_no)
    return Paid(sim, order, trade)


def assert_unchanged(order: Order) -> None:
    assert fresh(order).status == Status.CREATED
    assert Payment.objects.get(order=order).status == PaymentStatus.PENDING
    assert payments_balance() == 0
    assert Card.objects.filter(order=order, status=Card.Status.RESERVED).count() == 1
    assert_books_sound()


@pytest.mark.parametrize(
    ("changes", "outcome"),
    [
        ({"key": "0123456789abcdef-not-the-key"}, Outcome.FORGED),
        ({"pid": "2002"}, Outcome.FORGED),  # signed with our key, for another merchant
        ({"money": "99.99"}, Outcome.WRONG_MONEY),
        ({"money": "100.01"}, Outcome.WRONG_MONEY),
        ({"money": "1e2"}, Outcome.FORGED),  # not an amount as the protocol writes one
        ({"trade_status": "WAIT_BUYER_PAY"}, Outcome.NOT_PAID),
        ({"out_trade_no": "K0000000000000000000000"}, Outcome.UNKNOWN_ORDER),
    ],
)
def test_a_notify_that_is_not_this_orders_payment_changes_nothing(paid, changes, outcome):
    key = changes.pop("key", None)
    reply = send_notify(notify_params(paid.sim, paid.trade, key=key, **changes))
    assert (reply.status_code, reply.text) == (400, "fail")
    event = GatewayEvent.objects.get()
    assert (event.kind, event.outcome, event.remote_ip) == ("notify", outcome, "127.0.0.1")
    assert event.trade_no == paid.trade.trade_no and "sign=" in event.params
    assert paid.sim.config.key not in event.params
    assert_unchanged(paid.order)


def test_a_parameter_added_after_signing_is_a_forgery(paid):
    params = {**notify_params(paid.sim, paid.trade), "param": "extra"}
    assert send_notify(params).status_code == 400
    assert GatewayEvent.objects.get().outcome == Outcome.FORGED
    assert_unchanged(paid.order)


def test_a_genuine_notify_by_post_pays_and_its_repeat_changes_nothing(paid):
    params = notify_params(paid.sim, paid.trade)
    for _ in range(2):
        reply = send_notify(params, method="POST")
        assert (reply.status_code, reply.text) == (200, "success")
    assert fresh(paid.order).status == Status.DELIVERED
    assert payments_balance() == -paid.order.amount
    outcomes = list(GatewayEvent.objects.values_list("outcome", flat=True))
    assert outcomes == [Outcome.PAID, Outcome.DUPLICATE]
    assert_books_sound()


def test_a_trade_number_that_paid_another_order_does_not_pay_this_one(paid):
    other = buy_again(paid)
    send_notify(notify_params(paid.sim, paid.trade))  # pays the first order
    stolen = notify_params(
        paid.sim, paid.trade, out_trade_no=other.order_no, money=str(other.amount)
    )
    reply = send_notify(stolen)
    assert (reply.status_code, reply.text) == (400, "fail")
    assert GatewayEvent.objects.last().outcome == Outcome.TRADE_NO_TAKEN
    assert fresh(other).status == Status.CREATED
    assert Payment.objects.get(order=other).status == PaymentStatus.PENDING
    assert_books_sound()


def buy_again(paid: Paid) -> Order:
    order = Order.objects.get(pk=paid.order.pk)

    return orders.create_storefront_order(seller=order.agent, sku_id=order.sku_id, quantity=1).order


NOTIFY = "/pay/notify/epay/"


def request(paid: Paid, method: str, *, path: str = NOTIFY, **kwargs) -> httpx.Response:
    base = payments.notify_url("epay").removesuffix(NOTIFY)
    return httpx.request(method, base + path, timeout=30, **kwargs)


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("method", "kwargs", "status"),
    [
        ("POST", {"content": b"a=" + b"x" * 3_000_000, "headers": FORM}, 413),  # unread
        ("POST", {"content": b"a=" + b"x" * 16_383, "headers": FORM}, 413),  # 16 KiB + 1
        ("POST", {"content": b"pid=1001&sign=\x00\x00", "headers": FORM}, 400),
        ("POST", {"content": b"pid=1001&name=%00", "headers": FORM}, 400),
        ("GET", {"params": {"pid": "1001", "name": "\x00"}}, 400),
        ("POST", {"content": b"name=%ff%fe&sign=00", "headers": FORM}, 400),  # not UTF-8
        ("POST", {"content": b"name=\xff\xfe&sign=00", "headers": FORM}, 400),
        (
            "POST",
            {"content": b'{"a":' * 3000, "headers": {"Content-Type": "application/json"}},
            400,
        ),
        ("POST", {"content": b"a[b][c][d][e]=1&a[b][c][d][f]=2&sign=00", "headers": FORM}, 400),
        ("POST", {"content": b"a=1&" * 10_000, "headers": FORM}, 413),  # 40 KB
        ("POST", {"content": b"&".join(b"a%d=1" % i for i in range(41)), "headers": FORM}, 400),
        ("GET", {"params": [("a", "1")] * 10_000}, 413),  # a 40 KB query string
        ("GET", {"params": [(f"a{i}", "1") for i in range(41)]}, 400),
        ("GET", {"params": [("pid", "1001"), ("pid", "1002")]}, 400),  # which one is signed?
        ("POST", {"files": {"f": ("x.txt", b"pid=1001")}}, 400),  # multipart
        ("PUT", {"content": b"pid=1001"}, 405),
    ],
)
def test_a_hostile_notify_is_a_4xx_never_a_500(paid, method, kwargs, status):
    reply = request(paid, method, **kwargs)
    assert reply.status_code == status, reply.text[:200]
    if status != 405:
        assert reply.text == "fail"
        event = GatewayEvent.objects.get()
        assert event.outcome in (Outcome.TOO_LARGE, Outcome.MALFORMED, Outcome.FORGED)
        assert "\x00" not in event.params and event.params.isprintable()
        assert len(event.params) <= 500
    assert_unchanged(paid.order)


def test_an_unknown_gateway_name_is_refused(paid):
    reply = request(
        paid, "GET", path="/pay/notify/nope/", params=notify_params(paid.sim, paid.trade)
    )
    assert (reply.status_code, reply.text) == (400, "fail")
    assert GatewayEvent.objects.get().outcome == Outcome.UNCONFIGURED
    assert_unchanged(paid.order)


def test_an_address_that_keeps_failing_gets_429_but_a_genuine_notify_still_pays(paid, settings):
    settings.KAMENG_PAYMENT_NOTIFY_FAILURE_LIMIT = (3, 60)
    forged = notify_params(paid.sim, paid.trade, key="0123456789abcdef-not-the-key")
    replies = [send_notify(forged) for _ in range(5)]
    assert [r.status_code for r in replies] == [400, 400, 400, 429, 429]
    assert int(replies[3].headers["Retry-After"]) > 0
    outcomes = list(GatewayEvent.objects.values_list("outcome", flat=True))
    assert outcomes == [Outcome.FORGED] * 3 + [Outcome.THROTTLED]
    reply = send_notify(notify_params(paid.sim, paid.trade))
    assert (reply.status_code, reply.text) == (200, "success")
    wait_until(lambda: fresh(paid.order).status == Status.DELIVERED)
    assert_books_sound()
