"""The split of the old `supply` app moved models, not data: from the state before it
to the latest, cards, suppliers and their content types stay as they were."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from kameng.orders import services as orders
from kameng.stock.models import Card
from kameng.suppliers.models import Supplier
from kameng.topup.models import Attempt
from tests import factories

# The last migrations before the split; everything after them is state only.
BEFORE_SPLIT = [
    ("suppliers", None),
    ("stock", None),
    ("topup", "0005_chinese_labels"),
    ("supply", "0007_chinese_labels"),
]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_the_split_keeps_every_row_and_content_type():
    world = factories.World.build()
    order = orders.place_order(
        agent=world.a3, sku_id=world.sku.pk, quantity=2, out_trade_no="split-1"
    ).order
    card_types = ContentType.objects.get_for_model(Card).pk
    supplier_types = ContentType.objects.get_for_model(Supplier).pk
    cards, suppliers = Card.objects.count(), Supplier.objects.count()

    executor = _migrate(BEFORE_SPLIT)
    # The state the database is in now: what is applied (apps that came after the split,
    # docking say, were taken back with it).
    old = executor.loader.project_state(list(executor.loader.applied_migrations))
    OldCard = old.apps.get_model("supply", "Card")
    OldType = old.apps.get_model("contenttypes", "ContentType")
    # Before the split, the same rows are the supply app's, under the same content types.
    assert OldCard.objects.count() == cards
    assert sorted(OldCard.objects.filter(order_id=order.pk).values_list("status", flat=True)) == [
        "sold",
        "sold",
    ]
    assert OldType.objects.get(app_label="supply", model="card").pk == card_types
    sold = OldCard.objects.filter(order_id=order.pk).first()
    OldCard.objects.create(
        sku_id=sold.sku_id,
        supplier_id=sold.supplier_id,
        batch_id=sold.batch_id,
        code="PRE-SPLIT",
        secret_encrypted=sold.secret_encrypted,
        secret_digest="0" * 64,
        cost=sold.cost,
    )

    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    _migrate(latest)
    ContentType.objects.clear_cache()
    assert Card.objects.count() == cards + 1
    assert Card.objects.get(code="PRE-SPLIT").supplier.name == world.supplier.name
    assert Supplier.objects.count() == suppliers
    assert ContentType.objects.get_for_model(Card).pk == card_types
    assert ContentType.objects.get_for_model(Supplier).pk == supplier_types
    assert not ContentType.objects.filter(app_label="supply").exists()
    assert Attempt._meta.get_field("supplier").related_model is Supplier
