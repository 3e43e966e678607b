"""Risk control from the command line: `kameng place-order` is scored as channel cli;
`kameng risk-review` lists the held orders and decides one (approve, or reject with a
reason), once; a blocked order is a clear error and moves nothing."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kameng.orders.models import Order
from kameng.stock.models import Card
from tests import factories
from tests.orders.helpers import assert_books_sound
from tests.risk.flow_helpers import (
    ALLOWED,
    BLOCKED,
    HELD,
    assessment_of,
    blocked_attempts,
    fresh_risk,  # noqa: F401 (a fixture)
    tight_scenario,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_risk")]


@pytest.fixture(autouse=True)
def scenario(db):
    return tight_scenario()


def _kameng(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _place(world, no: str, quantity: int) -> dict:
    text = _kameng(
        "place_order", "--agent", "agent3", "--sku", str(world.sku.pk),
        "--quantity", str(quantity), "--out-trade-no", no,
    )  # fmt: skip
    return json.loads(text)


def test_an_allowed_order_from_the_cli_is_scored_as_cli(world):
    placed = _place(world, "C-1", ALLOWED)
    assert placed["status"] == "delivered"
    assessment = assessment_of(placed["order_no"])
    assert (assessment.decision, assessment.channel, assessment.ip) == ("allow", "cli", "")


def test_the_operator_lists_and_approves_a_held_order_once(world):
    placed = _place(world, "C-2", HELD)
    assert placed["status"] == "review"
    listed = json.loads(_kameng("risk_review", "--json"))
    assert [row["order_no"] for row in listed] == [placed["order_no"]]
    decided = json.loads(_kameng("risk_review", placed["order_no"], "--approve", "--by", "op"))
    assert decided["status"] == "delivered" and "cards" not in decided  # the buyer's only
    assert Card.objects.filter(order__order_no=placed["order_no"]).count() == HELD
    with pytest.raises(CommandError, match="not_in_review"):
        _kameng("risk_review", placed["order_no"], "--reject", "--reason", "late")
    assert assessment_of(placed["order_no"]).labelled_by == "op"
    assert "no order is waiting" in _kameng("risk_review")


def test_rejecting_needs_a_reason_and_refunds(world):
    placed = _place(world, "C-3", HELD)
    with pytest.raises(CommandError, match="reason"):
        _kameng("risk_review", placed["order_no"], "--reject")
    assert Order.objects.get(order_no=placed["order_no"]).status == "review"
    decided = json.loads(_kameng("risk_review", placed["order_no"], "--reject", "--reason", "盗卡"))
    assert decided["status"] == "refunded"
    assert factories.wallet(world.a3) == Decimal("2000.00")
    assert assessment_of(placed["order_no"]).label == "fraud"
    assert_books_sound()


def test_a_blocked_order_is_a_clear_error_and_moves_nothing(world):
    with pytest.raises(CommandError, match=r"^risk_blocked: ") as refused:
        _place(world, "C-4", BLOCKED)
    assert "three_blocked" not in str(refused.value)
    assert not Order.objects.filter(out_trade_no="C-4").exists()
    assert factories.wallet(world.a3) == Decimal("2000.00")
    assert [a.channel for a in blocked_attempts()] == ["cli"]
