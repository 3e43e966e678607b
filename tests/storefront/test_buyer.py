"""The buyer's side after checkout: its links, lookup, codes, confirmation, complaint,
and when a captcha is asked for."""

import secrets
from decimal import Decimal

import pytest

from kameng.errors import InvalidInput
from kameng.orders import services as orders
from kameng.orders.errors import OrderNotFound
from kameng.orders.models import Order
from kameng.orders.states import Status
from kameng.stock.models import Card
from kameng.storefront import services
from kameng.storefront.errors import LookupFailed, RateLimited
from kameng.vault import decrypt
from tests import factories
from tests.storefront.conftest import buy, fresh_ip

pytestmark = pytest.mark.django_db


def test_an_access_token_opens_only_its_own_order(world, shop, settings):
    token = services.order_access_token("K1")
    assert len(token) == 32 and token == services.order_access_token("K1")
    assert services.check_access_token("K1", token)
    assert not services.check_access_token("K2", token)
    assert not services.check_access_token("K1", token[:-1] + ("0" if token[-1] != "0" else "1"))
    assert not services.check_access_token("K1", None)
    assert not services.check_access_token("K1", "")
    # A new secret key, the old one kept as a fallback: old links still open.
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    assert services.check_access_token("K1", token)
    assert services.order_access_token("K1") != token
    settings.SECRET_KEY_FALLBACKS = []
    assert not services.check_access_token("K1", token)


def test_lookup_needs_the_order_number_the_contact_and_the_password(world, shop):
    order = buy(shop, world.sku, contact="Me@Example.com", query_password="open sesame")
    ip = fresh_ip()
    found = services.lookup(order.order_no, " me@example.COM ", "open sesame", client_ip=ip)
    assert found.pk == order.pk
    mismatches = [
        (order.order_no, "me@example.com", "open sesame!"),
        (order.order_no, "me@example.com", ""),
        (order.order_no, "you@example.com", "open sesame"),
        (order.order_no, "13800138000", "open sesame"),
        (order.order_no, "", "open sesame"),
        ("K0000", "me@example.com", "open sesame"),
        ("", "me@example.com", "open sesame"),
    ]
    for order_no, contact, password in mismatches:
        with pytest.raises(LookupFailed) as failed:
            services.lookup(order_no, contact, password, client_ip=ip)
        # One answer for every mismatch: nothing says which part was wrong.
        assert failed.value.message == (
            "no order matches this order number, contact and query password"
        )
        assert failed.value.details == {}


def test_an_order_without_a_password_is_found_by_number_and_contact(world, shop):
    order = buy(shop, world.sku, contact="13800138000")
    found = services.lookup(order.order_no, "138 0013 8000", client_ip=fresh_ip())
    assert found.pk == order.pk
    # A pay link made without a contact is never found by lookup.
    anonymous, _ = services.create_pay_link(world.a3, world.sku.pk)
    with pytest.raises(LookupFailed):
        services.lookup(anonymous.order_no, "", client_ip=fresh_ip())


def test_an_agents_own_purchase_is_never_found(world, shop):
    placed = orders.place_order(agent=world.a3, sku_id=world.sku.pk, quantity=1, out_trade_no="x")
    with pytest.raises(LookupFailed):
        services.lookup(placed.order.order_no, "", client_ip=fresh_ip())


def test_lookups_are_limited_per_address(world, shop, settings):
    settings.KAMENG_STOREFRONT_LOOKUPS = (3, 600)
    order = buy(shop, world.sku, contact="me@example.com")
    ip = fresh_ip()
    for _ in range(2):
        with pytest.raises(LookupFailed):
            services.lookup(order.order_no, "you@example.com", client_ip=ip)
    assert services.lookup(order.order_no, "me@example.com", client_ip=ip).pk == order.pk
    with pytest.raises(RateLimited) as limited:
        services.lookup(order.order_no, "me@example.com", client_ip=ip)
    assert limited.value.status == 429 and 0 < limited.value.retry_after <= 600
    # Another address is not held back.
    assert services.lookup(order.order_no, "me@example.com", client_ip=fresh_ip()).pk == order.pk


def test_the_buyer_sees_its_codes_only_once_delivered(world, shop):
    order = buy(shop, world.sku, quantity=2)
    assert services.buyer_cards(order) == []  # held for it, not yet its own
    orders.record_payment(order_no=order.order_no, amount=order.amount, payment_ref="p")
    order = Order.objects.get(pk=order.pk)
    cards = services.buyer_cards(order)
    sold = Card.objects.filter(order=order).order_by("pk")
    assert cards == [(card.code, decrypt(card.secret_encrypted)) for card in sold]
    assert len(cards) == 2
    # An agent's own purchase is not the storefront's to show.
    placed = orders.place_order(agent=world.a3, sku_id=world.sku.pk, quantity=1, out_trade_no="x")
    assert services.buyer_cards(placed.order) == []


def test_the_buyer_confirms_and_escrow_is_released(world, shop):
    order = buy(shop, world.sku)
    orders.record_payment(order_no=order.order_no, amount=order.amount, payment_ref="p")
    order = services.buyer_confirm(Order.objects.get(pk=order.pk))
    assert order.status == Status.COMPLETED
    assert factories.wallet(world.a3) == Decimal("2001.50")  # 100.00 - 98.50


def test_the_buyer_complains_with_a_reason(world, shop):
    order = buy(shop, world.sku)
    orders.record_payment(order_no=order.order_no, amount=order.amount, payment_ref="p")
    order = Order.objects.get(pk=order.pk)
    with pytest.raises(InvalidInput):
        services.buyer_complain(order, "  ")
    with pytest.raises(InvalidInput):
        services.buyer_complain(order, "x" * 1001)
    order = services.buyer_complain(order, "卡密无效")
    assert (order.status, order.dispute_reason) == (Status.DISPUTED, "卡密无效")
    assert len(services.buyer_cards(order)) == 1  # still shown while under complaint
    placed = orders.place_order(agent=world.a3, sku_id=world.sku.pk, quantity=1, out_trade_no="x")
    with pytest.raises(OrderNotFound):
        services.buyer_complain(placed.order, "not a storefront order")


def test_a_captcha_is_asked_for_after_three_checkouts_from_one_address(world, shop):
    ip = fresh_ip()
    for _ in range(3):
        assert not services.captcha_needed(ip)
        buy(shop, world.sku, buyer_ip=ip)
    assert services.captcha_needed(ip)
    assert services.captcha_needed(ip)  # asking counts nothing
    assert not services.captcha_needed(fresh_ip())


def test_refused_checkouts_count_towards_the_captcha(world, shop, settings):
    settings.KAMENG_STOREFRONT_CAPTCHA_AFTER = 2
    ip = fresh_ip()
    for _ in range(2):
        with pytest.raises(InvalidInput):
            buy(shop, world.sku, buyer_ip=ip, quantity=0)
    assert services.captcha_needed(ip)
    assert Order.objects.count() == 0


def test_ipv6_addresses_are_counted_per_64(world, shop):
    prefix = f"2001:db8:{secrets.randbelow(65536):x}:{secrets.randbelow(65536):x}"
    neighbour = f"2001:db8:{secrets.randbelow(65536):x}:{secrets.randbelow(65536):x}"
    for n in range(3):
        buy(shop, world.sku, buyer_ip=f"{prefix}::{n + 1}")
    assert services.captcha_needed(f"{prefix}:ffff:ffff:ffff:ffff")
    assert not services.captcha_needed(f"{neighbour}::1")
