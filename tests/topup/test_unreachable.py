"""Suppliers that cannot be reached, over real sockets: a request that never left (a name
that does not resolve, a port that refuses) fails over at once, or refunds when no
supplier is left; a send that may have landed earlier is never failed by a later one
that did not get out."""

import socket
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from kameng.ledger import services as ledger
from kameng.ledger.models import Journal
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.orders.states import Status
from kameng.topup import services as topup
from kameng.topup.models import Attempt
from kameng.topup.states import AttemptStatus
from kameng.upstream import services as upstream
from kameng.upstream.adapters import (
    SupplierCredentials,
    SupplierNotReached,
    SupplierUnreachable,
    TopupRequest,
)
from kameng.upstream.adapters.kameng_http import KamengHttpAdapter
from tests import factories
from tests.live import PRODUCT, connect, wait_until
from tests.orders.helpers import assert_books_sound
from tests.topup.helpers import buy, journals, settled, status_of, supplier_at

pytestmark = pytest.mark.usefixtures("worker")

# RFC 6761: `.invalid` never resolves, so the request cannot leave.
UNRESOLVABLE = "http://supplier.kameng-test.invalid:9100"
PRICE = Decimal("49.25")  # what agent3 pays for the 50 元 top-up


@pytest.fixture
def refusing_url() -> Iterator[str]:
    """A local port that is bound but not listening: every connection is refused, and
    nothing else can take the port while the test runs."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def dead_url(request, refusing_url) -> str:
    return {"unresolvable": UNRESOLVABLE, "refusing": refusing_url}[request.param]


def tries(order: Order) -> list[tuple]:
    rows = Attempt.objects.filter(order=order).order_by("number")
    return list(rows.values_list("supplier_id", "status", "retryable", "error_code"))


@pytest.mark.parametrize("dead_url", ["unresolvable", "refusing"], indirect=True)
def test_a_supplier_that_cannot_be_reached_is_failed_over_at_once(direct_world, sims, dead_url):
    dead = supplier_at(dead_url, direct_world.direct, "44.00")  # the cheapest: tried first
    sim = sims()
    alive = connect(sim, direct_world.direct, cost="46.50")
    before = factories.wallet(direct_world.a3)

    order = buy(direct_world)
    settled(order, Status.DELIVERED, timeout=5)
    assert tries(order) == [
        (dead.pk, AttemptStatus.FAILED, True, topup.NOT_SENT),
        (alive.pk, AttemptStatus.SUCCEEDED, False, ""),
    ]
    assert len(sim.orders) == 1
    assert factories.wallet(direct_world.a3) == before - PRICE

    orders.confirm_receipt(Order.objects.get(pk=order.pk))
    assert ledger.balance(alive.payable_id) == Decimal("46.50")
    assert ledger.balance(dead.payable_id) == 0
    assert_books_sound()


def test_no_supplier_reachable_refunds_the_buyer_to_the_cent(direct_world, refusing_url):
    unresolvable = supplier_at(UNRESOLVABLE, direct_world.direct, "44.00")
    refusing = supplier_at(refusing_url, direct_world.direct, "45.00")
    before = factories.wallet(direct_world.a3)

    order = buy(direct_world)
    settled(order, Status.REFUNDED, timeout=5)
    assert tries(order) == [
        (unresolvable.pk, AttemptStatus.FAILED, True, topup.NOT_SENT),
        (refusing.pk, AttemptStatus.FAILED, True, topup.NOT_SENT),
    ]
    assert factories.wallet(direct_world.a3) == before
    assert journals(order, Journal.Kind.ORDER_REFUND) == 1
    assert ledger.escrow_balance() == 0
    assert_books_sound()


def test_a_lost_task_at_an_unreachable_supplier_fails_over_when_the_poller_finds_it(
    direct_world, sims
):
    dead = supplier_at(UNRESOLVABLE, direct_world.direct, "44.00")
    alive = connect(sims(), direct_world.direct, cost="46.50")
    with transaction.atomic():
        order = buy(direct_world)
        connection.run_on_commit.clear()  # the process dies before queueing the submit
    first = Attempt.objects.get(order=order)
    Attempt.objects.filter(pk=first.pk).update(next_query_at=first.created_at)

    assert topup.poll_due() == 1  # what beat runs every 15 s
    settled(order, Status.DELIVERED, timeout=5)
    assert tries(order) == [
        (dead.pk, AttemptStatus.FAILED, True, topup.NOT_SENT),
        (alive.pk, AttemptStatus.SUCCEEDED, False, ""),
    ]


def test_a_send_that_may_have_landed_is_never_failed_by_a_later_one_that_did_not_leave(
    direct_world, sims, refusing_url, django_user_model
):
    """The first send timed out (the supplier may have topped up); later the supplier
    cannot be reached at all. The attempt stays unknown and is queried, never failed
    over (a second top-up elsewhere could pay the account twice)."""
    slow = sims(latency=2.0)  # every answer comes after our 0.5 s timeout
    source = connect(slow, direct_world.direct, cost="44.00")
    other = connect(sims(), direct_world.direct, cost="46.50")
    order = buy(direct_world, account="NOCB-13800138000")
    wait_until(lambda: Attempt.objects.filter(order=order, status="unknown").exists())
    assert len(slow.orders) == 1  # it did land

    # The supplier's host is gone now: every connection is refused.
    upstream.configure_api(
        source, adapter="kameng-http", base_url=refusing_url, merchant_id="sim", secret="s"
    )
    attempt = Attempt.objects.get(order=order)
    topup.submit(attempt.pk)  # a resend, as after a query that found nothing

    attempt.refresh_from_db()
    assert (attempt.status, attempt.submits) == (AttemptStatus.UNKNOWN, 2)
    assert "not sent" in attempt.message and attempt.next_query_at is not None
    assert status_of(order) == Status.DELIVERING
    assert list(Attempt.objects.filter(order=order).values_list("supplier", flat=True)) == [
        source.pk
    ]
    assert not Attempt.objects.filter(supplier=other).exists()

    # Settled by the operator, so nothing is left open.
    django_user_model.objects.create_superuser("op", "op@example.com", "pw")
    call_command(
        "topup_resolve",
        attempt.request_id,
        "--delivered",
        "--reason",
        "供应商确认",
        "--operator",
        "op",
    )
    assert status_of(order) == Status.DELIVERED


def test_the_adapter_says_not_sent_only_when_nothing_left(refusing_url, sims):
    """The distinction itself: connection errors are SupplierNotReached; a timeout
    after the request was sent is only SupplierUnreachable."""
    request = TopupRequest("K1-1", PRODUCT, "13800138000", 1, "http://127.0.0.1:9/cb")
    for url in (UNRESOLVABLE, refusing_url):
        adapter = KamengHttpAdapter(SupplierCredentials(url, "sim", "sim-secret"), timeout=0.5)
        with pytest.raises(SupplierNotReached):
            adapter.submit(request)
    slow = sims(latency=2.0)
    adapter = KamengHttpAdapter(SupplierCredentials(slow.url, "sim", "sim-secret"), timeout=0.5)
    with pytest.raises(SupplierUnreachable) as caught:
        adapter.submit(request)
    assert not isinstance(caught.value, SupplierNotReached)
    assert len(slow.orders) == 1  # the request had arrived


def test_a_supplier_whose_secret_cannot_be_read_counts_as_not_sent(direct_world, sims):
    """Keys changed without rotate-keys: nothing can be signed, so nothing left."""
    from cryptography.fernet import Fernet

    from kameng.suppliers.models import Supplier

    unreadable = supplier_at("http://127.0.0.1:9", direct_world.direct, "44.00")
    foreign = Fernet(Fernet.generate_key()).encrypt(b"s").decode()  # under no key we hold
    Supplier.objects.filter(pk=unreadable.pk).update(api_secret_encrypted=foreign)
    alive = connect(sims(), direct_world.direct, cost="46.50")

    order = buy(direct_world)
    settled(order, Status.DELIVERED, timeout=5)
    assert tries(order) == [
        (unreadable.pk, AttemptStatus.FAILED, True, topup.NOT_SENT),
        (alive.pk, AttemptStatus.SUCCEEDED, False, ""),
    ]
    assert_books_sound()
