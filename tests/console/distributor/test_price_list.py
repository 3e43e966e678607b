"""agents.pricing.price_list (the prices page's read, two queries for a page of SKUs)
agrees with `quote`, the order path's rule, whatever prices the chain set."""

from decimal import Decimal

import pytest
from django.conf import settings

from kameng.agents import services as agents
from kameng.agents.pricing import price_list, quote
from tests import factories

pytestmark = pytest.mark.django_db


def _expected(agent, sku, child=None):
    own = quote(agent, sku, retail=True)
    return (
        own.links[-1].unit_price,
        own.retail_price,
        (quote(child, sku).links[-1].unit_price if child is not None else None),
    )


def test_price_list_agrees_with_quote(world, django_assert_max_num_queries):
    cheap = factories.sku("50.00")
    agents.set_price(world.a1, world.sku, sub_agent_price="96.00")
    agents.set_price(world.a2, world.sku, sub_agent_price="99.00", retail_price="99.50")
    agents.set_price(world.a1, cheap, retail_price="49.00")
    skus = [world.sku, cheap]
    for agent, child in ((world.a1, world.a2), (world.a2, world.a3), (world.a3, None)):
        with django_assert_max_num_queries(2):
            rows = price_list(agent, skus, settings.KAMENG_MAX_AGENT_DEPTH)
        for row, sku in zip(rows, skus, strict=True):
            cost, retail, child_pays = _expected(agent, sku, child)
            assert (row.own_cost, row.retail_price, row.sub_agent_pays) == (
                cost,
                retail,
                child_pays,
            ), (agent, sku)
    (row,) = price_list(world.a2, [world.sku], settings.KAMENG_MAX_AGENT_DEPTH)
    assert row.own_cost == Decimal("96.00")  # what agent1 set for it
    assert (row.sub_agent_price, row.retail_set) == (Decimal("99.00"), Decimal("99.50"))
    assert price_list(world.a2, [], settings.KAMENG_MAX_AGENT_DEPTH) == []


def test_a_new_sub_agent_pays_its_level_price_until_one_is_set(world):
    (row,) = price_list(world.a2, [world.sku], settings.KAMENG_MAX_AGENT_DEPTH)
    assert row.sub_agent_pays == quote(world.a3, world.sku).links[-1].unit_price == Decimal("98.50")
