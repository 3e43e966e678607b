"""A distributor buying for itself (its prepaid balance, through the CLI, the console or
the open API): its bulk buying is its normal, not a burst, and the same request sent
again is counted once."""

import pytest

from kameng.orders.services import place_order
from kameng.risk import services as risk
from kameng.risk.models import Assessment
from kameng.risk.rules import RuleSpec
from kameng.risk.verdicts import RiskBlocked
from tests import factories
from tests.risk.flow_helpers import fresh_risk  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_risk")]


def _buy(world, agent, out_trade_no: str):
    return place_order(agent=agent, sku_id=world.sku.pk, quantity=1, out_trade_no=out_trade_no)


def test_an_agents_own_bulk_buying_is_not_held_by_the_default_rules(db):
    world = factories.World.build(cards=40)
    placed = [_buy(world, world.a1, f"BULK-{i}").order for i in range(36)]
    assert {order.status for order in placed} == {"delivered"}
    decisions = set(Assessment.objects.values_list("decision", flat=True))
    assert decisions == {"allow"}
    assert risk.current_scenario().version == 1  # the defaults decided


def test_a_request_sent_again_is_counted_once(world):
    risk.publish_scenario(
        review_threshold=1000,
        block_threshold=2000,
        rules=[
            RuleSpec(
                code="three_in_ten_minutes",
                kind="seller_pattern",
                params={"ratio": 1, "min_orders": 3, "min_history": 0, "channels": ["cli"]},
                action="block",
                label="10 分钟 3 单",
            )
        ],
        by="test",
    )
    first = _buy(world, world.a3, "AGAIN-1")
    for _ in range(3):  # the client did not hear the answer and sends it again
        again = _buy(world, world.a3, "AGAIN-1")
        assert (again.created, again.order.pk) == (False, first.order.pk)
    assert _buy(world, world.a3, "AGAIN-2").order.status == "delivered"  # its 2nd order
    with pytest.raises(RiskBlocked):
        _buy(world, world.a3, "AGAIN-3")  # its 3rd within 10 minutes
