"""The supplier console's "test connection": the real simulated supplier over HTTP,
through the adapter; only the offers' refreshed fields change."""

import socket
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from kameng.ledger.models import Journal
from kameng.suppliers import services as suppliers
from kameng.suppliers.models import Offer, Supplier
from kameng.upstream import services as upstream
from kameng.upstream.errors import ApiSettingsIncomplete, ConnectionFailed
from kameng.upstream.simulator import SimConfig, SimProduct, SimulatedSupplier
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def sim() -> Iterator[SimulatedSupplier]:
    products = {
        "QB-10": SimProduct(Decimal("9.30"), stock=120),
        "QB-50": SimProduct(Decimal("46.25")),  # stock unlimited (answered as -1)
        "QB-100": SimProduct(Decimal("92.00"), stock=0, on=False),
    }
    with SimulatedSupplier(SimConfig(products=products)) as running:
        yield running


def _connected(url: str, *, secret: str = "sim-secret", status=Supplier.Status.APPROVED):
    source = factories.supplier(status=status)
    upstream.configure_api(
        source, adapter="kameng-http", base_url=url, merchant_id="sim", secret=secret
    )
    return Supplier.objects.get(pk=source.pk)


def _offer(source: Supplier, remote_sku: str, face: str, cost: str = "1.00") -> Offer:
    return suppliers.set_offer(source, factories.sku(face), Decimal(cost), remote_sku=remote_sku)


def _state(source: Supplier) -> tuple:
    """Everything test_connection must leave alone."""
    supplier = Supplier.objects.filter(pk=source.pk).values().get()
    return supplier, Journal.objects.count()


def test_it_shows_what_the_supplier_says_and_refreshes_the_offers(sim):
    source = _connected(sim.url)
    small = _offer(source, "QB-10", "10.00")
    medium = _offer(source, "QB-50", "50.00")
    closed = _offer(source, "QB-100", "100.00", cost="95.00")
    inactive = _offer(source, "QB-10", "20.00")
    Offer.objects.filter(pk=inactive.pk).update(active=False)
    before = _state(source)

    rows = upstream.test_connection(source)

    assert [(str(r.sku), r.remote_sku, r.cost, r.stock, r.available) for r in rows] == [
        (str(small.sku), "QB-10", Decimal("9.30"), 120, True),
        (str(medium.sku), "QB-50", Decimal("46.25"), None, True),
        (str(closed.sku), "QB-100", Decimal("92.00"), 0, False),
    ]
    assert sim.product_queries == 3  # one question per active offer, none for the inactive
    refreshed = {o.pk: o for o in Offer.objects.filter(supplier=source)}
    assert (refreshed[small.pk].cost, refreshed[small.pk].remote_stock) == (Decimal("9.30"), 120)
    assert refreshed[medium.pk].remote_stock is None and refreshed[medium.pk].remote_available
    assert not refreshed[closed.pk].remote_available
    assert all(refreshed[o.pk].refreshed_at is not None for o in (small, medium, closed))
    assert refreshed[inactive.pk].refreshed_at is None
    assert _state(source) == before


def test_a_supplier_not_yet_approved_tests_its_connection_too(sim):
    source = _connected(sim.url, status=Supplier.Status.PENDING)
    _offer(source, "QB-10", "10.00")
    assert [row.stock for row in upstream.test_connection(source)] == [120]
    assert Supplier.objects.get(pk=source.pk).status == Supplier.Status.PENDING


def test_without_offers_a_probe_proves_the_credentials(sim):
    source = _connected(sim.url)
    assert upstream.test_connection(source) == []
    assert sim.product_queries == 1
    wrong = _connected(sim.url, secret="not-the-secret")
    with pytest.raises(ConnectionFailed, match="signature"):
        upstream.test_connection(wrong)


def test_a_wrong_secret_is_a_clear_failure_and_changes_nothing(sim):
    source = _connected(sim.url, secret="not-the-secret")
    offer = _offer(source, "QB-10", "10.00", cost="8.88")
    before = _state(source)
    with pytest.raises(ConnectionFailed) as caught:
        upstream.test_connection(source)
    error = caught.value
    assert (error.code, error.status, error.title) == (
        "supplier_connection_failed",
        502,
        "连接失败",
    )
    assert "signature does not verify" in error.details["detail"]
    stored = Offer.objects.get(pk=offer.pk)
    assert (stored.cost, stored.remote_stock, stored.refreshed_at) == (Decimal("8.88"), None, None)
    assert _state(source) == before


def test_a_wrong_merchant_id_is_named(sim):
    source = _connected(sim.url)
    Supplier.objects.filter(pk=source.pk).update(merchant_id="someone-else")
    source.refresh_from_db()
    _offer(source, "QB-10", "10.00")
    with pytest.raises(ConnectionFailed, match="unknown merchant"):
        upstream.test_connection(source)


def test_nobody_listening_is_a_connection_failure():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = _connected(f"http://127.0.0.1:{port}")
    _offer(source, "QB-10", "10.00")
    with pytest.raises(ConnectionFailed) as caught:
        upstream.test_connection(source)
    assert "not sent" in caught.value.details["detail"]


def test_a_supplier_not_connected_by_api_is_told_what_is_missing():
    manual = factories.supplier()
    with pytest.raises(ApiSettingsIncomplete):
        upstream.test_connection(manual)


def test_from_the_command_line(sim, capsys):
    source = _connected(sim.url)
    _offer(source, "QB-50", "50.00")
    call_command("test_connection", source.name)
    out = capsys.readouterr().out
    assert "QB-50" in out and "46.25" in out and "unlimited" in out
    broken = _connected(sim.url, secret="nope")
    with pytest.raises(CommandError, match="supplier_connection_failed: connection failed"):
        call_command("test_connection", broken.name)
