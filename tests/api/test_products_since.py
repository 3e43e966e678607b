"""The product listing's `updated_after` (a docked site's incremental sync): what may
have changed since comes back, a price change anywhere makes it complete again."""

import time
from urllib.parse import quote

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from kameng.agents import services as agents
from tests import factories


def listing(shop, since: str | None = None) -> dict:
    path = "/api/v1/products" + (f"?updated_after={quote(since)}" if since else "")
    response = shop.call("GET", path)
    assert response.status_code == 200, response.content
    return response.json()


def test_without_updated_after_the_listing_is_complete_and_says_when(world, shop):
    before = timezone.now()
    answer = listing(shop)
    assert answer["complete"] is True
    assert {p["sku_id"] for p in answer["products"]} == {world.sku.pk}
    assert before <= parse_datetime(answer["as_of"]) <= timezone.now()


def test_only_skus_whose_stock_moved_come_back_until_a_price_changes(world, shop):
    quiet = factories.sku("30.00")
    factories.stock(quiet, world.supplier, 3, cost="25.00")
    time.sleep(0.01)
    as_of = listing(shop)["as_of"]

    nothing = listing(shop, as_of)
    assert (nothing["complete"], nothing["products"]) == (False, [])

    # A sale moves the stock of world.sku only.
    assert shop.buy(world.sku.pk, "since-1").status_code == 201
    moved = listing(shop, as_of)
    assert moved["complete"] is False
    assert [(p["sku_id"], p["stock"]) for p in moved["products"]] == [(world.sku.pk, 19)]

    # A price change (here a level's discount) may touch every SKU: all of them, complete.
    agents.set_level(3, "三级", "0.99")
    changed = listing(shop, moved["as_of"])
    assert changed["complete"] is True
    prices = {p["sku_id"]: p["price"] for p in changed["products"]}
    assert prices == {world.sku.pk: "99.00", quiet.pk: "29.70"}


def test_a_bad_updated_after_is_a_400(world, shop):
    response = shop.call("GET", "/api/v1/products?updated_after=yesterday")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
