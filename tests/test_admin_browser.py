"""The operator's admin in a real browser at a desk's width (1280 px): every list fits
without scrolling sideways, in Chinese, and the daily actions work by clicking."""

import types
from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from kameng.agents.credentials import create_api_key
from kameng.catalog.models import Sku
from kameng.orders import services as orders
from tests import factories
from tests.browser import overflow_x, screenshot
from tests.topup.helpers import buy, supplier_at

pytestmark = pytest.mark.django_db(transaction=True)

APPS = {"ledger", "catalog", "suppliers", "stock", "agents", "orders", "topup", "webhooks"}
PASSWORD = "operator-pw-42"


@pytest.fixture
def operator_page(live_server, page, world, django_user_model):
    django_user_model.objects.create_superuser("op", "op@example.com", PASSWORD)
    order = orders.place_order(
        agent=world.a3, sku_id=world.sku.pk, quantity=2, out_trade_no="browser-1"
    ).order
    orders.open_dispute(order, "卡密无效")
    # A row for every list: a direct top-up waiting at its supplier (no worker runs here)
    # and a webhook delivery.
    direct = factories.sku("50.00", kind=Sku.Kind.DIRECT)
    supplier_at("http://127.0.0.1:9", direct, "45.00")
    buy(types.SimpleNamespace(a3=world.a3, direct=direct))
    key = create_api_key(world.a3).key
    hooked = orders.place_order(
        agent=world.a3,
        sku_id=world.sku.pk,
        quantity=1,
        out_trade_no="browser-2",
        callback_url="http://127.0.0.1:9/cb",
        api_key_id=key.pk,
    ).order
    orders.confirm_receipt(hooked)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "op")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page


def _results_overflow(page) -> int:
    """Pixels the results table is wider than its box (Django scrolls it inside)."""
    return page.evaluate(
        "(() => { const r = document.querySelector('#changelist .results');"
        " return r ? r.scrollWidth - r.clientWidth : 0; })()"
    )


def test_every_list_fits_a_1280_px_screen(operator_page, live_server):
    models = [m for m in admin.site._registry if m._meta.app_label in APPS]
    wide = []
    for model in models:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        operator_page.goto(live_server.url + url)
        name = f"admin-{model._meta.app_label}-{model._meta.model_name}"
        if _results_overflow(operator_page) > 0 or overflow_x(operator_page) > 0:
            wide.append((name, _results_overflow(operator_page), overflow_x(operator_page)))
        screenshot(operator_page, name)
    assert wide == []


def test_the_operator_tops_up_an_agent_by_clicking(operator_page, live_server, world):
    before = factories.wallet(world.a2)
    operator_page.goto(live_server.url + reverse("admin:agents_agent_changelist"))
    operator_page.click("text=agent2 >> xpath=ancestor::tr >> text=充值")
    operator_page.fill("#id_amount", "300")
    operator_page.fill("#id_reference", "BANK-20261203-1")
    screenshot(operator_page, "admin-agent-topup")
    operator_page.click("input[value=确认充值]")
    assert "已为 agent2 充值 300.00 元" in operator_page.inner_text(".messagelist")
    assert factories.wallet(world.a2) == before + Decimal("300.00")


def test_the_operator_upholds_a_dispute_by_clicking(operator_page, live_server, world):
    before = factories.wallet(world.a3)
    operator_page.goto(
        live_server.url + reverse("admin:orders_order_changelist") + "?status=disputed"
    )
    operator_page.check("input.action-select")
    operator_page.select_option("select[name=action]", "uphold_dispute")
    operator_page.fill("input[name=reason]", "卡密已被使用，供应商认可")
    screenshot(operator_page, "admin-order-dispute")
    operator_page.click("button[name=index]")
    assert "1 个订单已支持申诉并退款" in operator_page.inner_text(".messagelist")
    assert factories.wallet(world.a3) == before + Decimal("197.00")  # the disputed order
