"""The docking harness itself (tests/sites.py): a second Kameng, seeded inside, answers
a distributor's signed calls over real HTTP from its own database."""

import os

from django.db import connection

from kameng.agents.models import Agent, ApiKey
from kameng.client import KamengClient

SEED = """
    from django.db import connection

    from tests import factories
    from tests.distributor import distributor_for

    world = factories.World.build(cards=7)
    shop = distributor_for(world.a3)
    emit(
        {
            "app_key": shop.app_key,
            "secret": shop.secret,
            "sku_id": world.sku.pk,
            "product": world.sku.product.name,
            "database": [connection.vendor, str(connection.settings_dict["NAME"])],
        }
    )
"""


def test_a_site_serves_what_was_seeded_in_it_from_its_own_database(kameng_sites, db):
    site = kameng_sites("a")
    seeded = site.run(SEED)

    with KamengClient(site.url, seeded["app_key"], seeded["secret"]) as client:
        products = client.products()
    assert [(p["sku_id"], p["product"], p["name"]) for p in products] == [
        (seeded["sku_id"], seeded["product"], "100.00元")
    ]
    # agent3, three levels down: 100.00 at 98.5%; seven cards in stock.
    assert (products[0]["face_value"], products[0]["price"]) == ("100.00", "98.50")
    assert (products[0]["stock_state"], products[0]["stock"]) == ("in_stock", 7)

    # The site's database is its own, of the test process's kind.
    vendor, name = seeded["database"]
    assert vendor == connection.vendor
    if vendor == "postgresql":
        assert name == f"kameng_site_a_{os.getpid()}"
    else:
        assert name == str(site.data_dir / "kameng.sqlite3")
    assert name != str(connection.settings_dict["NAME"])
    assert not ApiKey.objects.filter(app_key=seeded["app_key"]).exists()
    assert not Agent.objects.filter(user__username="agent3").exists()
