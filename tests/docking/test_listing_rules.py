"""What a sync does with a listing it must not trust as it is: a price of 0, products
that are not the API's objects, a kind that changed. The upstream here is a stub at the
edge (a small HTTP server answering the listing), since a real Kameng never lists them."""

import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kameng.catalog.errors import OutOfStock
from kameng.docking import services as docking
from kameng.docking.errors import BadPriceRule, UpstreamUnreachable
from kameng.docking.models import Connection, DockedSku
from kameng.errors import InvalidInput
from kameng.orders import services as orders
from kameng.suppliers.models import Offer, Supplier
from tests import factories
from tests.docking.stub import StubUpstream, product


@pytest.fixture
def stub() -> Iterator[StubUpstream]:
    upstream = StubUpstream().start()
    yield upstream
    upstream.stop()


@pytest.fixture
def connection(db, stub) -> Connection:
    factories.levels()
    return docking.connect("桩站", url=stub.url, app_key="kmk_stub", secret="stub-secret")


def test_a_price_of_0_or_a_malformed_product_is_never_mirrored(connection, stub):
    stub.products = [
        product(1, "9.50"),
        product(2, "0.00"),
        product(3, "9.50", name=""),
        product(4, "-1.00"),
        {"sku_id": "5", "price": "1.00"},
        "not a product",
    ]
    report = docking.sync(connection)
    assert [d.remote_sku_id for d in DockedSku.objects.all()] == [1]
    assert {(s["sku_id"], s["reason"]) for s in report.skipped} == {
        (2, "price_zero"),
        (3, "malformed"),
        (4, "malformed"),
        ("5", "malformed"),
    }
    connection.refresh_from_db()
    assert str(connection.balance) == "88.00"


def test_a_mirrored_sku_whose_price_drops_to_0_stops_selling(connection, stub):
    stub.products = [product(1, "9.50")]
    docking.sync(connection)
    sku_id = DockedSku.objects.get(remote_sku_id=1).sku_id
    stub.products = [product(1, "0.00")]
    report = docking.sync(connection)
    assert report.skipped == [{"sku_id": 1, "reason": "price_zero"}]
    offer = Offer.objects.get(sku_id=sku_id)
    assert (offer.cost, offer.remote_available) == (Decimal("9.50"), False)  # never 0
    buyer = factories.agent("stub-buyer", funds="100")
    with pytest.raises(OutOfStock):
        orders.place_order(agent=buyer, sku_id=sku_id, quantity=1, out_trade_no="zero-1")


def test_a_mirrored_product_listed_unreadable_stops_selling_but_stays(connection, stub):
    stub.products = [product(1, "9.50")]
    docking.sync(connection)
    stub.products = [product(1, "9.50", face_value="ten")]
    report = docking.sync(connection, full=True)
    assert report.delisted == [] and report.skipped == [{"sku_id": 1, "reason": "malformed"}]
    docked = DockedSku.objects.select_related("sku").get(remote_sku_id=1)
    assert docked.delisted_at is None and docked.sku.active
    assert not Offer.objects.get(sku=docked.sku).remote_available


def test_a_product_whose_kind_changes_is_not_sold_as_the_other_kind(connection, stub):
    stub.products = [product(1, "9.50")]
    docking.sync(connection)
    stub.products = [product(1, "9.50", kind="direct")]
    report = docking.sync(connection)
    assert report.skipped == [{"sku_id": 1, "reason": "kind_changed"}]
    assert not Offer.objects.get(sku__docked__remote_sku_id=1).remote_available


def test_a_price_rule_that_could_sell_below_cost_is_refused(db, stub):
    for rule in ({"markup_percent": "-1"}, {"markup_fixed": "-0.10"}, {"rounding": "down"}):
        with pytest.raises(BadPriceRule):
            docking.connect("坏规则", url=stub.url, app_key="k", secret="s", **rule)
    assert not Supplier.objects.filter(name="坏规则").exists()


def test_a_key_that_cannot_be_sent_or_a_name_taken_is_refused_before_asking(connection, stub):
    with pytest.raises(InvalidInput, match="ASCII"):
        docking.connect("另一站", url=stub.url, app_key="密钥", secret="s")
    with pytest.raises(InvalidInput, match="exists already"):
        docking.connect("桩站", url=stub.url, app_key="k", secret="s")
    assert Supplier.objects.count() == 1


def test_an_upstream_that_does_not_answer_is_not_connected(db):
    with pytest.raises(UpstreamUnreachable):
        docking.connect("不在线", url="http://127.0.0.1:9", app_key="k", secret="s")
    assert not Connection.objects.exists() and not Supplier.objects.exists()


def test_the_cli_connects_syncs_lists_and_refuses_bad_input(db, stub, capsys):
    factories.levels()
    stub.products = [product(7, "19.00")]
    call_command(
        "dock",
        "connect",
        "命令行站",
        "--url",
        stub.url,
        "--app-key",
        "kmk_cli",
        "--secret",
        "cli-secret",
        "--markup-percent",
        "3",
        "--rounding",
        "yuan",
        "--json",
    )
    connected = json.loads(capsys.readouterr().out)
    assert (connected["name"], connected["markup_percent"], connected["rounding"]) == (
        "命令行站",
        "3.00",
        "yuan",
    )
    call_command("dock", "sync", "命令行站", "--json")
    synced = json.loads(capsys.readouterr().out)
    assert len(synced["added"]) == 1 and synced["complete"]
    # 19.00 × 1.03 = 19.57, up to 20 yuan for the top level: 21.05 × 95% = 19.9975 → 20.00.
    assert DockedSku.objects.get(remote_sku_id=7).sku.list_price == Decimal("21.05")
    call_command("dock", "list", "--json")
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["mirrored"], listed["balance"]) == (1, "88.00")
    with pytest.raises(CommandError, match="bad_price_rule"):
        call_command("dock", "set", "命令行站", "--markup-percent", "-5")
    with pytest.raises(CommandError, match="connection_not_found"):
        call_command("dock", "sync", "没有这个站")
