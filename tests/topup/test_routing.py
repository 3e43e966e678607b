"""Routing without the network: which supplier a direct order is given to."""

from decimal import Decimal

import pytest
from django.utils import timezone

from kameng.orders import services as orders
from kameng.suppliers import services as suppliers
from kameng.suppliers.models import Offer
from kameng.topup import routing
from kameng.topup.models import Attempt
from kameng.upstream import services as upstream
from tests import factories

pytestmark = pytest.mark.django_db


def _api_supplier(sku, cost: str):
    source = factories.supplier()
    upstream.configure_api(
        source, adapter="kameng-http", base_url="http://127.0.0.1:9", merchant_id="m", secret="s"
    )
    suppliers.set_offer(source, sku, Decimal(cost), remote_sku="P")
    return source


@pytest.fixture
def direct_world(world):
    world.direct = factories.sku("50.00", kind="direct")
    return world


def _route(world) -> list[int]:
    top_price = Decimal("47.50")  # level 1 pays 95% of 50
    return [r.supplier_id for r in routing.routes(world.direct.pk, 1, top_price)]


def test_cheapest_first_until_its_failures_make_it_dearer(direct_world):
    cheap = _api_supplier(direct_world.direct, "44.00")
    steady = _api_supplier(direct_world.direct, "45.00")
    assert _route(direct_world) == [cheap.pk, steady.pk]

    for n in range(4):
        orders.place_order(
            agent=direct_world.a3,
            sku_id=direct_world.direct.pk,
            quantity=1,
            out_trade_no=f"r{n}",
            recharge_account="13800138000",
        )
    assert set(Attempt.objects.values_list("supplier_id", flat=True)) == {cheap.pk}
    Attempt.objects.update(status="failed", finished_at=timezone.now())
    routing._rates.clear()  # as after RATE_TTL seconds
    # 1 success in 6 (smoothed): 44 / 0.17 is dearer than 45 / 0.5.
    assert _route(direct_world) == [steady.pk, cheap.pk]


def test_no_route_to_a_supplier_out_of_stock_too_dear_suspended_or_manual(direct_world):
    empty = _api_supplier(direct_world.direct, "44.00")
    Offer.objects.filter(supplier=empty).update(remote_stock=0)
    _api_supplier(direct_world.direct, "47.60")  # above what the platform receives
    suspended = _api_supplier(direct_world.direct, "44.00")
    suspended.status = "suspended"
    suspended.save(update_fields=["status"])
    suppliers.set_offer(direct_world.supplier, direct_world.direct, Decimal("40.00"))  # manual
    assert _route(direct_world) == []
