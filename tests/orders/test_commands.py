"""The order commands as an operator and a distributor use them: listings of SKUs,
orders and balances (a table, or one line of JSON), and orders shown without their
codes to anyone but the buyer. (place-order --wait: tests/topup/test_wait.py and
tests/test_cli.py.)"""

import json

import pytest
from django.core.management import CommandError, call_command

from kameng.orders import services as orders
from kameng.orders.models import Order
from tests import factories

pytestmark = pytest.mark.django_db


def _out(capsys) -> str:
    return capsys.readouterr().out


def _buy(world, out_trade_no: str, quantity: int = 1) -> Order:
    return orders.place_order(
        agent=world.a3, sku_id=world.sku.pk, quantity=quantity, out_trade_no=out_trade_no
    ).order


# --- show-order ---------------------------------------------------------------------------


def test_show_order_without_the_buyer_says_the_codes_are_hidden(world, capsys):
    order = _buy(world, "S-1", quantity=2)
    call_command("show_order", order.order_no)
    shown = json.loads(_out(capsys))
    assert shown["status"] == "delivered"
    assert "cards" not in shown
    assert shown["cards_hidden"] == "card codes are shown to the buyer only: add --as agent3"

    call_command("show_order", order.order_no, "--as", "agent3")
    shown = json.loads(_out(capsys))
    assert len(shown["cards"]) == 2 and "cards_hidden" not in shown
    # The buyer confirming sees its own order as show-order --as shows it.
    call_command("confirm_order", order.order_no, "--as", "agent3")
    confirmed = json.loads(_out(capsys))
    assert confirmed["status"] == "completed" and confirmed["cards"] == shown["cards"]


# --- listings ---------------------------------------------------------------------------


def test_skus_lists_every_sku_with_product_id_sale_state_and_stock(world, capsys):
    hidden = factories.sku("30.00", active=False)
    call_command("skus", "--json")
    rows = {row["sku_id"]: row for row in json.loads(_out(capsys))}
    assert rows[world.sku.pk] == {
        "sku_id": world.sku.pk,
        "product_id": world.sku.product_id,
        "category": "游戏点卡",
        "product": world.sku.product.name,
        "name": "100.00元",
        "kind": "card",
        "face_value": "100.00",
        "on_sale": True,
        "stock": 20,
    }
    assert (rows[hidden.pk]["on_sale"], rows[hidden.pk]["stock"]) == (False, 0)

    call_command("skus")
    table = _out(capsys).splitlines()
    assert table[0].split() == [
        *("sku_id", "product_id", "category", "product", "name", "kind"),
        *("face_value", "on_sale", "stock"),
    ]
    mine = next(line for line in table if line.startswith(f"{world.sku.pk} "))
    assert mine.split()[-3:] == ["100.00", "yes", "20"]


def test_skus_for_an_agent_shows_its_own_price_and_only_what_is_on_sale(world, capsys):
    factories.sku("30.00", active=False)
    call_command("skus", "--agent", "agent3", "--json")
    rows = json.loads(_out(capsys))
    assert [(r["sku_id"], r["price"], r["stock_state"]) for r in rows] == [
        (world.sku.pk, "98.50", "in_stock")
    ]
    with pytest.raises(CommandError, match="agent_not_found"):
        call_command("skus", "--agent", "nobody")


def test_orders_lists_newest_first_with_filters_and_never_the_codes(world, capsys):
    first = _buy(world, "L-1", quantity=2)
    second = _buy(world, "L-2")
    orders.confirm_receipt(second)
    other = orders.place_order(
        agent=world.a2, sku_id=world.sku.pk, quantity=1, out_trade_no="L-3"
    ).order

    call_command("orders", "--json")
    out = _out(capsys)
    listed = json.loads(out)
    assert [row["order_no"] for row in listed] == [
        other.order_no,
        second.order_no,
        first.order_no,
    ]
    assert listed[2] == {
        "order_no": first.order_no,
        "agent": "agent3",
        "channel": "agent",
        "out_trade_no": "L-1",
        "sku_id": world.sku.pk,
        "quantity": 2,
        "amount": "197.00",
        "status": "delivered",
        "account": None,
        "created_at": first.created_at.isoformat(),
    }
    assert "secret" not in out and "cards" not in out

    call_command("orders", "--agent", "agent3", "--status", "completed", "--json")
    assert [row["out_trade_no"] for row in json.loads(_out(capsys))] == ["L-2"]
    call_command("orders", "--agent", "agent3", "--limit", "1", "--json")
    assert [row["out_trade_no"] for row in json.loads(_out(capsys))] == ["L-2"]

    call_command("orders", "--agent", "agent3")
    table = _out(capsys).splitlines()
    assert table[0].split() == [
        *("order_no", "agent", "out_trade_no", "sku_id", "quantity", "amount", "status"),
        "created_at",
    ]
    assert [line.split()[2] for line in table[1:]] == ["L-2", "L-1"]

    call_command("orders", "--status", "refunded")
    assert _out(capsys).strip() == "no orders"
    with pytest.raises(CommandError, match="--limit must be 1–1000"):
        call_command("orders", "--limit", "0")
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("orders", "--status", "lost")


def test_balance_shows_prepaid_held_and_pending_earnings(world, capsys):
    _buy(world, "B-1")  # agent3 pays 98.50 into escrow; agent2 earns 1.50, agent1 2.00
    call_command("balance", "agent3", "--json")
    assert json.loads(_out(capsys)) == {
        "agent": "agent3",
        "currency": "CNY",
        "balance": "1901.50",
        "held": "98.50",
        "pending_earnings": "0.00",
    }
    call_command("balance", "agent2")
    assert _out(capsys).splitlines() == [
        "agent   balance  held  pending_earnings  currency",
        "agent2  5000.00  0.00  1.50              CNY",
    ]
    with pytest.raises(CommandError, match="agent_not_found"):
        call_command("balance", "nobody")
