"""The operator's risk pages: the queue of held orders with their reasons and origin,
approve or reject once, the rules edited into a new version that scores the next
order, the blocked attempts; none of it for another role."""

import re
from decimal import Decimal

import pytest

from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.risk import services as risk
from kameng.risk.models import Scenario
from kameng.risk.verdicts import RiskBlocked
from tests import factories
from tests.console.conftest import log_in
from tests.risk.flow_helpers import (
    BLOCKED,
    HELD,
    assessment_of,
    fresh_risk,  # noqa: F401 (a fixture)
    tight_scenario,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_risk")]


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def held(world) -> Order:
    tight_scenario()
    placed = orders.place_order(
        agent=world.a3, sku_id=world.sku.pk, quantity=HELD, out_trade_no="held-1"
    )
    assert placed.order.status == "review"
    return placed.order


def test_the_queue_lists_held_orders_with_reasons(op_client, held):
    page = op_client.get("/console/o/queues/risk/")
    assert page.status_code == 200
    text = _text(page)
    assert held.order_no in text and "数量达到 2 件" in text
    detail = op_client.get(f"/console/o/queues/risk/{held.order_no}/")
    assert detail.status_code == 200
    assert "数量达到 2 件" in _text(detail) and "agent3" in _text(detail)


def test_approve_delivers_once(op_client, held, world):
    url = f"/console/o/queues/risk/{held.order_no}/"
    assert op_client.post(url, {"action": "approve", "reason": ""}).status_code == 302
    held.refresh_from_db()
    assert held.status == "delivered"
    assert assessment_of(held.order_no).label == "normal"
    again = op_client.post(url, {"action": "reject", "reason": "晚了"})
    assert again.status_code == 302
    held.refresh_from_db()
    assert held.status == "delivered"


def test_reject_needs_a_reason_then_refunds(op_client, held, world):
    url = f"/console/o/queues/risk/{held.order_no}/"
    refused = op_client.post(url, {"action": "reject", "reason": ""})
    assert refused.status_code == 400 and "拒绝时必须填写理由" in _text(refused)
    assert Order.objects.get(pk=held.pk).status == "review"
    assert op_client.post(url, {"action": "reject", "reason": "盗号"}).status_code == 302
    held.refresh_from_db()
    assert held.status == "refunded"
    assert factories.wallet(world.a3) == Decimal("2000.00")
    assert assessment_of(held.order_no).label == "fraud"


def test_editing_the_rules_publishes_a_version_used_by_the_next_order(op_client, world):
    before = risk.current_scenario().version
    page = op_client.get("/console/o/risk/")
    assert page.status_code == 200
    form = {
        "review_threshold": "1000",
        "block_threshold": "2000",
        "note": "一次拦截三件",
        "rules-TOTAL_FORMS": "1",
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "200",
        "rules-0-code": "three_blocked",
        "rules-0-kind": "feature",
        "rules-0-params": '{"feature": "quantity", "min": 3}',
        "rules-0-weight": "0",
        "rules-0-action": "block",
        "rules-0-active": "on",
        "rules-0-label": "数量达到 3 件",
    }
    assert op_client.post("/console/o/risk/", form).status_code == 302
    published = Scenario.objects.get(active=True)
    assert published.version == before + 1 and published.note == "一次拦截三件"
    with pytest.raises(RiskBlocked):
        orders.place_order(
            agent=world.a3, sku_id=world.sku.pk, quantity=BLOCKED, out_trade_no="b-1"
        )
    blocked = op_client.get("/console/o/risk/blocked/")
    assert blocked.status_code == 200 and "数量达到 3 件" in _text(blocked)


def test_a_bad_rule_is_a_form_error_and_publishes_nothing(op_client, world):
    before = Scenario.objects.count()
    form = {
        "review_threshold": "60",
        "block_threshold": "120",
        "rules-TOTAL_FORMS": "1",
        "rules-INITIAL_FORMS": "0",
        "rules-0-code": "bad",
        "rules-0-kind": "no-such-kind",
        "rules-0-params": "{}",
        "rules-0-weight": "10",
        "rules-0-action": "score",
        "rules-0-active": "on",
    }
    response = op_client.post("/console/o/risk/", form)
    assert response.status_code == 400
    assert Scenario.objects.count() == before


def test_other_roles_get_404(client, distributor, held):
    log_in(client, distributor)
    for url in (
        f"/console/o/queues/risk/{held.order_no}/",
        "/console/o/risk/",
        "/console/o/risk/blocked/",
    ):
        assert client.get(url).status_code == 404
        assert client.post(url, {"action": "approve"}).status_code == 404
    assert Order.objects.get(pk=held.pk).status == "review"
