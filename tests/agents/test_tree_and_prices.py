from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from kameng.agents import services as agents
from kameng.agents.errors import DepthLimitExceeded, PriceOutOfBounds, UsernameTaken
from kameng.agents.models import Agent
from kameng.agents.pricing import quote
from tests import factories

pytestmark = pytest.mark.django_db


def test_tree_depth_is_bounded_by_default_at_three(world):
    assert [world.a1.depth, world.a2.depth, world.a3.depth] == [1, 2, 3]
    assert world.a3.chain_ids == [world.a1.pk, world.a2.pk, world.a3.pk]
    with pytest.raises(DepthLimitExceeded) as caught:
        agents.create_agent("agent4", parent=world.a3)
    assert caught.value.code == "depth_limit_exceeded"
    assert not Agent.objects.filter(user__username="agent4").exists()


@override_settings(KAMENG_MAX_AGENT_DEPTH=2)
def test_depth_limit_is_a_setting(world):
    with pytest.raises(DepthLimitExceeded):
        agents.create_agent("deep", parent=world.a2)


def test_depth_limit_from_the_command_line_is_a_clear_message(world):
    with pytest.raises(CommandError, match="depth_limit_exceeded: agents may be at most 3"):
        call_command("create_agent", "agent4", "--parent", "agent3")


def test_username_must_be_unique(world):
    with pytest.raises(UsernameTaken):
        agents.create_agent("agent2")


def test_default_chain_prices_and_spreads_across_three_levels(world):
    prices = quote(world.a3, world.sku)  # face 100.00; levels 95% / 97% / 98.5%
    assert [link.unit_price for link in prices.links] == [
        Decimal("95.00"),
        Decimal("97.00"),
        Decimal("98.50"),
    ]
    assert prices.spreads(2) == [
        (world.a1.wallet_id, Decimal("4.00")),
        (world.a2.wallet_id, Decimal("3.00")),
    ]


def test_parent_sets_the_price_its_sub_agents_pay(world):
    agents.set_price(world.a1, world.sku, sub_agent_price="96.20")
    agents.set_price(world.a2, world.sku, sub_agent_price="99.00", retail_price="99.90")
    prices = quote(world.a3, world.sku)
    assert [link.unit_price for link in prices.links] == [
        Decimal("95.00"),
        Decimal("96.20"),
        Decimal("99.00"),
    ]
    storefront = quote(world.a2, world.sku, retail=True)
    assert storefront.unit_price == Decimal("99.90")
    assert storefront.spreads(1) == [
        (world.a1.wallet_id, Decimal("1.20")),
        (world.a2.wallet_id, Decimal("3.70")),
    ]


def test_an_agent_cannot_price_below_its_own_cost_or_above_face_value(world):
    with pytest.raises(PriceOutOfBounds):
        agents.set_price(world.a2, world.sku, sub_agent_price="96.99")  # a2 pays 97.00
    with pytest.raises(PriceOutOfBounds):
        agents.set_price(world.a2, world.sku, retail_price="100.01")
    assert not world.a2.prices.exists()


def test_sub_agent_never_pays_less_than_its_parent_after_the_parent_cost_rises(world):
    agents.set_price(world.a1, world.sku, sub_agent_price="96.00")
    agents.set_price(world.a2, world.sku, sub_agent_price="97.00")
    agents.set_level(1, "一级", Decimal("0.975"))  # the operator raises level 1 to 97.50
    prices = quote(world.a3, world.sku)
    assert [link.unit_price for link in prices.links] == [
        Decimal("97.50"),
        Decimal("97.50"),
        Decimal("97.50"),
    ]
    assert prices.spreads(1) == []


def test_an_unconfigured_level_pays_face_value(db):
    top = factories.agent("solo")
    item = factories.sku("30.00")
    assert quote(top, item).unit_price == Decimal("30.00")


def test_recruiting_pays_nothing(world):
    before = factories.wallet(world.a2)
    agents.create_agent("recruit", parent=world.a2)
    assert factories.wallet(world.a2) == before


def test_top_up_is_idempotent_on_its_reference(world):
    before = factories.wallet(world.a1)
    agents.top_up(world.a1, "100", reference="bank-1")
    agents.top_up(world.a1, "100", reference="bank-1")
    assert factories.wallet(world.a1) == before + Decimal("100.00")


def test_topup_command_rejects_a_bad_amount(world):
    with pytest.raises(CommandError, match="invalid_amount"):
        call_command("topup", "agent1", "12.345")
    with pytest.raises(CommandError, match="invalid_amount"):
        call_command("topup", "agent1", "-5")
    with pytest.raises(CommandError, match="agent_not_found"):
        call_command("topup", "nobody", "5")
