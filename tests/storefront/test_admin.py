"""The operator's storefront pages: they render in Chinese, change things only through
the services, and never show a query password's hash or a card code."""

import re

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.storefront import services
from kameng.storefront.models import Checkout, Coupon, PriceTier, Storefront
from tests import factories
from tests.storefront.conftest import buy

pytestmark = pytest.mark.django_db

MODELS = [Storefront, Coupon, PriceTier, Checkout]


@pytest.fixture
def operator(client, django_user_model, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    django_user_model.objects.create_superuser("op", "op@example.com", "pw")
    client.login(username="op", password="pw")
    return client


@pytest.fixture
def sold(world, gateway, settings, tmp_path):
    """A shop with a logo, a coupon, a tier and a delivered order with a password."""
    settings.MEDIA_ROOT = tmp_path / "media"
    logo = SimpleUploadedFile("logo.png", factories.image_bytes())
    shop = factories.storefront(world.a3, slug="shop-a3", logo=logo)
    services.create_coupon(world.a3, code="ONE", kind="fixed", value="1", usage_limit=10)
    services.set_price_tier(world.a3, world.sku, min_quantity=5, unit_price="99.00")
    order = buy(shop, world.sku, coupon_code="ONE", query_password="very secret")
    orders.record_payment(order_no=order.order_no, amount=order.amount, payment_ref="p")
    return Order.objects.get(pk=order.pk)


def _url(model, action: str, *args) -> str:
    return reverse(f"admin:storefront_{model._meta.model_name}_{action}", args=args)


def test_every_page_renders_and_shows_no_password_hash_or_code(operator, sold):
    hidden = [Checkout.objects.get(order=sold).query_password]
    hidden += [part for pair in services.buyer_cards(sold) for part in pair]
    for model in MODELS:
        assert model in admin.site._registry
        pages = [operator.get(_url(model, "changelist"))]
        pages.append(operator.get(_url(model, "change", model.objects.first().pk)))
        if model is not Checkout:
            pages.append(operator.get(_url(model, "add")))
        for page in pages:
            assert page.status_code == 200, model
            body = page.content.decode()
            for secret in hidden:
                assert secret not in body, model
    listing = operator.get(_url(Coupon, "changelist")).content.decode()
    assert "1 / 10" in listing  # used / limit
    shops = operator.get(_url(Storefront, "changelist")).content.decode()
    assert '<img src="/media/storefront/logos/' in shops


def test_list_headers_and_filters_are_chinese(operator, sold):
    for model in MODELS:
        page = operator.get(_url(model, "changelist")).content.decode()
        headers = re.findall(r'<th scope="col"[^>]*>.*?<(?:a|span)[^>]*>([^<]+)<', page, re.S)
        assert headers, model
        for header in headers:
            assert not re.search(r"[a-z]{3,}", header), (model, header)
        for title in re.findall(r"<summary>\s*([^<]+?)\s*</summary>", page):
            assert not re.search(r"[a-z]{3,}", title), (model, title)


def _shop_form(world, **fields):
    return {
        "agent": world.a2.pk,
        "slug": "shop-a2",
        "name": "二号店",
        "notice": "",
        "colour": "#1677ff",
        **fields,
    }


def test_a_shop_is_added_through_the_service(operator, world):
    logo = SimpleUploadedFile("logo.webp", factories.image_bytes("WEBP"))
    response = operator.post(_url(Storefront, "add"), _shop_form(world, slug="Shop-A2", logo=logo))
    assert response.status_code == 302, response.context["adminform"].form.errors
    shop = Storefront.objects.get()
    assert (shop.agent, shop.slug) == (world.a2, "shop-a2")  # as the service normalises
    assert shop.logo.name.endswith(".webp")
    # Changed: the same checks.
    response = operator.post(
        _url(Storefront, "change", shop.pk),
        {"slug": "shop-a2", "name": "新名字", "notice": "公告", "colour": "#000000"},
    )
    assert response.status_code == 302
    shop.refresh_from_db()
    assert (shop.name, shop.notice, shop.colour) == ("新名字", "公告", "#000000")


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"slug": "x"}, "slug", "invalid_slug"),
        ({"colour": "red"}, "colour", "invalid_colour"),
    ],
)
def test_a_refused_shop_is_a_form_error(operator, world, fields, field, code):
    response = operator.post(_url(Storefront, "add"), _shop_form(world, **fields))
    assert response.status_code == 200
    assert code in str(response.context["adminform"].form.errors[field])
    assert not Storefront.objects.exists()


def test_an_agent_has_one_shop(operator, world):
    factories.storefront(world.a2, slug="first")
    response = operator.post(_url(Storefront, "add"), _shop_form(world))
    assert "已有店铺" in str(response.context["adminform"].form.errors["agent"])
    assert Storefront.objects.get().slug == "first"


def test_a_fake_logo_is_a_form_error(operator, world):
    fake = SimpleUploadedFile("logo.png", b"not a picture")
    response = operator.post(_url(Storefront, "add"), _shop_form(world, logo=fake))
    assert response.status_code == 200
    assert not Storefront.objects.exists()


def test_shops_are_closed_and_opened_by_action(operator, world):
    shop = factories.storefront(world.a3)
    operator.post(
        _url(Storefront, "changelist"),
        {"action": "close_shops", admin.helpers.ACTION_CHECKBOX_NAME: [shop.pk]},
    )
    shop.refresh_from_db()
    assert not shop.active


def test_a_coupon_is_added_through_the_service_and_only_switched_off(operator, world):
    response = operator.post(
        _url(Coupon, "add"),
        {
            "agent": world.a3.pk,
            "code": "spring",
            "kind": "percent",
            "value": "5",
            "min_amount": "0",
            "skus": [world.sku.pk],
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    coupon = Coupon.objects.get()
    assert (coupon.code, list(coupon.skus.all())) == ("SPRING", [world.sku])
    again = operator.post(
        _url(Coupon, "add"),
        {"agent": world.a3.pk, "code": "Spring", "kind": "fixed", "value": "1", "min_amount": "0"},
    )
    assert "coupon_code_taken" in str(again.context["adminform"].form.errors["code"])
    page = operator.get(_url(Coupon, "change", coupon.pk)).content.decode()
    assert 'name="value"' not in page  # view-only
    operator.post(
        _url(Coupon, "changelist"),
        {"action": "deactivate", admin.helpers.ACTION_CHECKBOX_NAME: [coupon.pk]},
    )
    coupon.refresh_from_db()
    assert not coupon.active


def test_a_price_tier_is_bounded_changed_and_removed_through_the_service(operator, world):
    form = {"agent": world.a3.pk, "sku": world.sku.pk, "min_quantity": 5, "unit_price": "98.00"}
    refused = operator.post(_url(PriceTier, "add"), form)
    assert "tier_price_out_of_bounds" in str(refused.context["adminform"].form.errors)
    assert not PriceTier.objects.exists()
    assert operator.post(_url(PriceTier, "add"), {**form, "unit_price": "99.00"}).status_code == 302
    tier = PriceTier.objects.get()
    operator.post(_url(PriceTier, "change", tier.pk), {"unit_price": "99.50"})
    tier.refresh_from_db()
    assert tier.unit_price == 99.5
    operator.post(_url(PriceTier, "delete", tier.pk), {"post": "yes"})
    assert not PriceTier.objects.exists()
