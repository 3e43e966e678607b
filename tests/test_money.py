"""Amounts of money: one bounded parser for every way in (CLI, services, admin), and
storage that stays exact to the cent on both backends."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from kameng.agents import services as agents
from kameng.catalog import services as catalog
from kameng.ledger import services as ledger
from kameng.ledger.models import Journal
from kameng.money import MAX_AMOUNT, InvalidAmount, parse_money
from kameng.suppliers import services as suppliers
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "text",
    [
        "1e17",
        "1E3",
        "-5",
        "0",
        "0.001",
        "12.345",
        "NaN",
        "inf",
        "1,000",
        "１００",
        "",
        " ",
        "10000000000",
    ],
)
def test_the_parser_refuses_what_is_not_a_plain_amount(text):
    with pytest.raises(InvalidAmount):
        parse_money(text)


def test_the_parser_takes_plain_amounts_up_to_the_column_precision():
    assert parse_money("100") == Decimal("100.00")
    assert parse_money(" 99.5 ") == Decimal("99.50")
    assert parse_money("9999999999.99") == MAX_AMOUNT
    assert parse_money(Decimal("0.01")) == Decimal("0.01")
    for bad in (
        0.5,
        True,
        Decimal("1E+17"),
        Decimal("1E+40"),
        Decimal("0.005"),
        Decimal("NaN"),
        None,
    ):
        with pytest.raises(InvalidAmount):
            parse_money(bad)


def test_a_huge_top_up_from_the_cli_is_refused_and_posts_nothing(world):
    before = (factories.wallet(world.a3), Journal.objects.count())
    with pytest.raises(CommandError, match="invalid_amount"):
        call_command("topup", "agent3", "1e17")
    with pytest.raises(CommandError, match="invalid_amount"):
        call_command("topup", "agent3", "10000000000")
    assert (factories.wallet(world.a3), Journal.objects.count()) == before
    assert ledger.verify() == []
    call_command("topup", "agent3", "9999999999.99")
    assert factories.wallet(world.a3) == before[0] + MAX_AMOUNT


def test_services_refuse_unbounded_amounts_too(world):
    with pytest.raises(InvalidAmount):
        agents.top_up(world.a1, Decimal("1E+17"))
    with pytest.raises(InvalidAmount):
        suppliers.set_offer(world.supplier, world.sku, "99999999999")
    product = catalog.create_product("游戏点卡", "上限测试")
    with pytest.raises(InvalidAmount):
        catalog.create_sku(product, "巨额", "1e12")
    with pytest.raises(InvalidAmount):
        agents.set_price(world.a1, world.sku, retail_price="100.001")


def test_balances_stay_exact_to_the_cent_beyond_what_floating_point_holds(world):
    # 18 digits: a double holds about 16, so on a floating-point column the cents of
    # this balance (and of the sums verify-ledger takes) would be lost.
    huge = Decimal("1234567890123456.78")
    ledger.post(
        key="test:huge",
        kind=Journal.Kind.ADJUSTMENT,
        lines=[(ledger.system_account_id(ledger.FUNDING), -huge), (world.a1.wallet_id, huge)],
    )
    ledger.post(
        key="test:cent",
        kind=Journal.Kind.ADJUSTMENT,
        lines=[
            (ledger.system_account_id(ledger.FUNDING), Decimal("-0.01")),
            (world.a1.wallet_id, Decimal("0.01")),
        ],
    )
    assert factories.wallet(world.a1) == Decimal("10000.00") + huge + Decimal("0.01")
    assert ledger.verify() == []
    assert ledger.total_of_all_balances() == Decimal("0.00")


def test_the_balance_endpoint_shows_exact_cents(world, shop):
    agents.top_up(world.a3, "9999999999.99")
    agents.top_up(world.a3, "0.03")
    body = shop.call("GET", "/api/v1/balance").json()
    assert body["balance"] == "10000002000.02"


def test_verify_ledger_runs_on_large_books(world, capsys):
    for n in range(3):
        agents.top_up(world.a2, MAX_AMOUNT, reference=f"big-{n}")
    call_command("verify_ledger")
    assert "ledger balances" in capsys.readouterr().out


def test_the_admin_refuses_a_price_beyond_the_column(world, admin_client):
    response = admin_client.post(
        reverse("admin:agents_agentprice_add"),
        {"agent": world.a1.pk, "sku": world.sku.pk, "retail_price": "1e17", "sub_agent_price": ""},
    )
    assert response.status_code == 200  # the form again, with its error
    assert not world.a1.prices.exists()


def test_admin_forms_take_amounts_by_the_same_rule(world, admin_client):
    response = admin_client.post(
        reverse("admin:agents_agentprice_add"),
        {"agent": world.a1.pk, "sku": world.sku.pk, "retail_price": "-1", "sub_agent_price": ""},
    )
    assert "金额不正确" in response.content.decode()
    assert not world.a1.prices.exists()
