"""The operator's admin: every page renders, money and stock are read-only, and no
card secret ever reaches a page."""

import pytest
from django.contrib import admin
from django.urls import reverse

from kameng.agents.credentials import create_api_key
from kameng.agents.models import ApiKey
from kameng.orders import services as orders
from kameng.supply.models import Card
from kameng.vault import decrypt

pytestmark = pytest.mark.django_db

APPS = {"ledger", "catalog", "supply", "agents", "orders", "topup", "webhooks"}
READ_ONLY = {
    "ledger.account",
    "ledger.journal",
    "ledger.entry",
    "orders.order",
    "supply.card",
    "supply.cardbatch",
    "topup.attempt",
    "topup.callback",
    "agents.apikey",
    "webhooks.delivery",
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
    url = reverse("admin:supply_card_changelist") + "?secret_digest=" + digest
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
