"""The operator's admin: every page renders, money and stock are read-only, and no
card secret ever reaches a page."""

import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kameng.agents.credentials import create_api_key
from kameng.agents.models import Agent, ApiKey
from kameng.ledger.models import Journal
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.orders.states import Status
from kameng.stock.models import Card, CardBatch
from kameng.vault import decrypt
from tests import factories
from tests.orders.helpers import assert_books_sound

pytestmark = pytest.mark.django_db

APPS = {
    "ledger",
    "catalog",
    "suppliers",
    "stock",
    "agents",
    "orders",
    "topup",
    "webhooks",
    "payments",
    "storefront",
}
READ_ONLY = {
    "ledger.account",
    "ledger.journal",
    "ledger.entry",
    "orders.order",
    "stock.card",
    "topup.attempt",
    "topup.callback",
    "agents.apikey",
    "webhooks.delivery",
    "payments.payment",
    "payments.refund",
    "payments.gatewayevent",
}


@pytest.fixture
def operator_client(client, django_user_model, world):
    key = create_api_key(world.a3).key
    order = orders.place_order(
        agent=world.a3,
        sku_id=world.sku.pk,
        quantity=2,
        out_trade_no="adm",
        callback_url="http://127.0.0.1:9/cb",
        api_key_id=key.pk,
    ).order
    orders.confirm_receipt(order)  # a webhook delivery to list
    django_user_model.objects.create_superuser("op", "op@example.com", "pw")
    client.login(username="op", password="pw")
    return client


def _url(model, action: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def _models():
    return [m for m in admin.site._registry if m._meta.app_label in APPS]


def test_every_admin_page_renders_and_never_shows_a_secret(operator_client):
    card = Card.objects.filter(status=Card.Status.SOLD).first()
    plain = decrypt(card.secret_encrypted)
    for model in _models():
        listing = operator_client.get(_url(model, "changelist"))
        assert listing.status_code == 200, model
        pages = [listing]
        first = model.objects.order_by("pk").first()
        if first is not None:
            detail = operator_client.get(_url(model, "change", first.pk))
            assert detail.status_code == 200, model
            pages.append(detail)
        for page in pages:
            body = page.content.decode()
            assert plain not in body and card.secret_encrypted not in body
            assert card.secret_digest not in body


def test_money_and_stock_cannot_be_edited_in_the_admin(operator_client):
    for model in _models():
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        if label in READ_ONLY:
            assert operator_client.get(_url(model, "add")).status_code == 403, label


def test_cards_cannot_be_filtered_by_secret_digest(operator_client):
    digest = Card.objects.first().secret_digest
    url = reverse("admin:stock_card_changelist") + "?secret_digest=" + digest
    assert operator_client.get(url).status_code == 400


def test_api_keys_never_show_their_secret_and_can_be_revoked(operator_client, world):
    issued = create_api_key(world.a2, label="shop")
    page = operator_client.get(_url(ApiKey, "change", issued.key.pk)).content.decode()
    assert issued.key.app_key in page
    assert issued.secret not in page and issued.key.secret_encrypted not in page
    response = operator_client.post(
        _url(ApiKey, "changelist"), {"action": "revoke", "_selected_action": [issued.key.pk]}
    )
    assert response.status_code == 302
    issued.key.refresh_from_db()
    assert issued.key.revoked_at is not None


# --- the operator's daily work, through the services ---------------------------------


def _action(client, model, action: str, pks: list[int], reason: str = ""):
    return client.post(
        _url(model, "changelist"),
        {"action": action, "_selected_action": pks, "reason": reason},
        follow=True,
    )


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_operator_tops_up_an_agent_once_per_receipt(operator_client, world):
    url = reverse("admin:agents_agent_topup", args=[world.a3.pk])
    page = operator_client.get(url)
    before = factories.wallet(world.a3)
    assert page.status_code == 200 and f"{before} 元" in page.content.decode()
    for _ in range(2):  # the same bank slip twice: credited once
        response = operator_client.post(url, {"amount": "500", "reference": "BANK-7"}, follow=True)
        assert "已为 agent3 充值 500.00 元" in " ".join(_messages(response))
    assert factories.wallet(world.a3) == before + Decimal("500.00")
    assert_books_sound()


@pytest.mark.parametrize("amount", ["1e17", "-5", "12.345", ""])
def test_a_bad_top_up_amount_is_a_form_error_and_posts_nothing(operator_client, world, amount):
    url = reverse("admin:agents_agent_topup", args=[world.a3.pk])
    journals = Journal.objects.count()
    response = operator_client.post(url, {"amount": amount, "reference": "BANK-8"})
    assert response.status_code == 200
    assert response.context["form"].errors["amount"]
    assert Journal.objects.count() == journals


def test_disabling_and_enabling_agents_go_through_the_service(operator_client, world):
    _action(operator_client, Agent, "disable", [world.a2.pk])
    world.a2.refresh_from_db()
    assert not world.a2.active
    # agent3 below it still buys; agent2's spread will go to the platform.
    orders.place_order(agent=world.a3, sku_id=world.sku.pk, quantity=1, out_trade_no="under")
    _action(operator_client, Agent, "enable", [world.a2.pk])
    world.a2.refresh_from_db()
    assert world.a2.active


def test_the_operator_decides_disputes_with_a_reason(operator_client, world):
    upheld = orders.place_order(
        agent=world.a3, sku_id=world.sku.pk, quantity=1, out_trade_no="d-up"
    ).order
    rejected = orders.place_order(
        agent=world.a3, sku_id=world.sku.pk, quantity=1, out_trade_no="d-rej"
    ).order
    for order in (upheld, rejected):
        orders.open_dispute(order, "卡密无效")
    wallet = factories.wallet(world.a3)

    response = _action(operator_client, Order, "uphold_dispute", [upheld.pk])  # no reason
    assert "处理申诉必须填写理由" in _messages(response)
    assert Order.objects.get(pk=upheld.pk).status == Status.DISPUTED

    _action(operator_client, Order, "uphold_dispute", [upheld.pk], reason="卡密确认已被使用")
    _action(operator_client, Order, "reject_dispute", [rejected.pk], reason="买家已成功使用")
    upheld.refresh_from_db()
    rejected.refresh_from_db()
    assert (upheld.status, rejected.status) == (Status.REFUNDED, Status.COMPLETED)
    assert factories.wallet(world.a3) == wallet + upheld.amount
    assert upheld.events.last().note == "卡密确认已被使用 (by op)"
    # A decided order is not decided again.
    response = _action(operator_client, Order, "reject_dispute", [upheld.pk], reason="再次")
    assert "1 个订单不在售后中，未处理" in _messages(response)
    assert_books_sound()


def test_the_operator_imports_cards_from_the_admin(operator_client, world):
    add = _url(CardBatch, "add")
    assert "导入卡密" in operator_client.get(add).content.decode()
    existing = Card.objects.first()
    existing_secret = decrypt(existing.secret_encrypted)
    text = f"A-1,SECRET-1\nA-2,SECRET-2\nA-2,SECRET-2\nX,{existing_secret}\n".encode("gb18030")
    upload = SimpleUploadedFile("新批次.csv", text)
    response = operator_client.post(
        add,
        {"supplier": world.supplier.pk, "sku": world.sku.pk, "cost": "", "file": upload},
        follow=True,
    )
    batch = CardBatch.objects.latest("pk")
    assert (batch.imported, batch.rejected, batch.cost) == (2, 2, Decimal("90.00"))
    assert "已导入 2 张卡密，拒绝 2 行（文件内重复：第 3 行；与已有卡密重复：第 4 行）" in (
        _messages(response)
    )
    # A file with nothing new creates no batch and says why, line by line.
    again = SimpleUploadedFile("again.csv", b"A-1,SECRET-1\n")
    response = operator_client.post(
        add, {"supplier": world.supplier.pk, "sku": world.sku.pk, "file": again}
    )
    assert response.status_code == 200
    assert "与已有卡密重复：第 1 行" in str(response.context["form"].non_field_errors())
    assert CardBatch.objects.latest("pk") == batch


def test_list_headers_and_filters_are_chinese(operator_client):
    for model in _models():
        page = operator_client.get(_url(model, "changelist")).content.decode()
        headers = re.findall(r'<th scope="col"[^>]*>.*?<(?:a|span)[^>]*>([^<]+)<', page, re.S)
        for header in headers:
            assert not re.search(r"[a-z]{3,}", header), (model, header)
        filters = re.findall(r"<summary>\s*([^<]+?)\s*</summary>", page)
        for title in filters:
            assert not re.search(r"[a-z]{3,}", title), (model, title)
