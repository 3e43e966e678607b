"""The buyer's pages through Django's test client: each renders in Chinese and English;
prices, amounts and sellers come from the server whatever is posted; the buyer's links
open only with their token; codes show only once delivered; refusals are form messages
(400, 429 for limits), never a 500."""

import re
from decimal import Decimal

import pytest
from babel.messages import pofile
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

from kameng import errors as base_errors
from kameng.agents import errors as agent_errors
from kameng.catalog import errors as catalog_errors
from kameng.errors import DomainError
from kameng.ledger.models import Journal
from kameng.orders import errors as order_errors
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.orders.states import Status
from kameng.payments import errors as payment_errors
from kameng.payments import services as payments
from kameng.payments.models import GatewayEvent, Payment
from kameng.risk.verdicts import RiskBlocked
from kameng.storefront import errors as storefront_errors
from kameng.storefront import services
from kameng.storefront.forms import BUYER_ERROR_TITLES
from kameng.storefront.models import Checkout
from tests import factories
from tests.storefront.conftest import GATEWAY_KEY, fresh_email, fresh_ip
from tests.web.conftest import reload_translations

pytestmark = pytest.mark.django_db

D = Decimal
GATEWAY_URL = "http://127.0.0.1:9"
EN_PO = settings.LOCALE_PATHS[0] / "en" / "LC_MESSAGES" / "django.po"


@pytest.fixture(scope="module")
def english() -> None:
    call_command("compile_messages", verbosity=0)
    reload_translations()


@pytest.fixture
def gateway(db):
    """The operator's epay account, at an address where nothing listens: queries fail
    at once, as unreachable (nothing here leaves this machine)."""
    return payments.configure_gateway(
        "epay", url=GATEWAY_URL, pid="1001", key=GATEWAY_KEY, types="alipay,wxpay"
    )


@pytest.fixture
def ip() -> str:
    return fresh_ip()


@pytest.fixture(autouse=True)
def buyer(client, ip):
    """A browser from an address of its own: counters are per address, and on Redis
    they outlive a test (the browser tests check out from 127.0.0.1)."""
    client.defaults["REMOTE_ADDR"] = ip
    return client


def _in(client, language: str) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language


def _product_url(shop, sku) -> str:
    return f"/s/{shop.slug}/p/{sku.pk}/"


def _checkout_fields(**changes) -> dict:
    fields = {"quantity": "1", "contact": fresh_email(), "payment_type": "alipay"}
    fields.update(changes)
    return fields


def _check_out(client, shop, sku, *, ip: str = "", **changes) -> Order:
    extra = {"REMOTE_ADDR": ip} if ip else {}
    response = client.post(_product_url(shop, sku), _checkout_fields(**changes), **extra)
    assert response.status_code == 303, response.content.decode()[:2000]
    order_no = re.fullmatch(r"/pay/(K\w+)/\?t=\w{32}", response["Location"]).group(1)
    return Order.objects.get(order_no=order_no)


def _token(order: Order) -> str:
    return services.order_access_token(order.order_no)


def _result_url(shop, order: Order, token: str | None = None) -> str:
    return f"/s/{shop.slug}/o/{order.order_no}/?t={token or _token(order)}"


def _pay_url(order: Order, token: str | None = None) -> str:
    return f"/pay/{order.order_no}/?t={token or _token(order)}"


def _deliver(order: Order) -> Order:
    """The gateway's money arrived (payments would call this after a verified notify)."""
    return orders.record_payment(
        order_no=order.order_no, amount=order.amount, payment_ref=f"test:{order.order_no}"
    )


def _text(response) -> str:
    return response.content.decode()


def _field_errors(text: str) -> dict[str, str]:
    """Each field's error messages (a field's errors follow its input)."""
    found: dict[str, str] = {}
    for match in re.finditer(r'<p class="field__error">(.*?)</p>', text):
        field = re.findall(r'name="(\w+)"', text[: match.start()])[-1]
        found[field] = found.get(field, "") + match.group(1)
    return found


# --- every page ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh-hans", ["全部商品", "查询订单", "提交订单并支付", "前往支付", "正在等待支付结果"]),
        (
            "en",
            [
                "All products",
                "Find my order",
                "Place order and pay",
                "Go to payment",
                "Waiting for the payment result",
            ],
        ),
    ],
)
def test_every_page_renders_in_chinese_and_english(world, shop, buyer, language, words, english):
    _in(buyer, language)
    order = _check_out(buyer, shop, world.sku)
    pages = {
        "/": 200,
        f"/s/{shop.slug}/": 200,
        _product_url(shop, world.sku): 200,
        f"/s/{shop.slug}/p/{world.sku.pk}/price?quantity=2": 200,
        f"/s/{shop.slug}/lookup/": 200,
        _pay_url(order): 200,
        _result_url(shop, order): 200,
        f"/s/{shop.slug}/o/{order.order_no}/status/?t={_token(order)}": 200,
        "/pay/return/epay/?out_trade_no=x&sign=y": 200,
        "/s/no-such-shop/": 404,
    }
    seen = ""
    for url, status in pages.items():
        response = buyer.get(url)
        assert response.status_code == status, url
        text = _text(response)
        if not url.endswith(("price?quantity=2", "/status/?t=" + _token(order))):
            lang = "en" if language == "en" else "zh-hans"
            assert f'<html lang="{lang}">' in text, url
        seen += text
    for word in words:
        assert word in seen
    if language == "en":  # no Chinese left but the shop's own data
        data = [shop.name, world.sku.product.name, world.sku.name, world.sku.product.category.name]
        text = re.sub(r"<(script|style)\b.*?</\1>", "", seen, flags=re.S)
        text = re.sub(r"<[^>]+>", " ", text)
        for word in [*data, *(word[0] for word in data), "卡盟", "中文"]:
            text = text.replace(word, "")
        assert re.findall(r"[\u3400-\u9fff]+", text) == []


def test_the_root_is_the_platforms_own_shop_once_there_is_one(world, gateway, client):
    response = client.get("/")
    assert response.status_code == 200
    assert "平台店铺尚未开通" in _text(response)
    factories.storefront(world.a1, slug="kameng", name="卡盟自营店", platform=True)
    text = _text(client.get("/"))
    assert "卡盟自营店" in text and f'href="/s/kameng/p/{world.sku.pk}/"' in text


def test_a_shop_shows_its_categories_prices_and_stock(world, shop, client):
    direct = factories.direct_sku("50.00", category="手机话费")
    factories.api_offer(direct)
    sold_out = factories.sku("30.00")  # no codes at all
    services.set_price_tier(world.a3, world.sku, min_quantity=5, unit_price="99.00")
    services.set_storefront(
        world.a3, slug=shop.slug, name="阿三的小店", notice="今日特价\n欢迎光临", colour="#e03e2d"
    )
    text = _text(client.get(f"/s/{shop.slug}/"))
    assert "阿三的小店" in text and "今日特价<br>欢迎光临" in text
    assert "--brand:#e03e2d" in text  # the shop's colour
    assert 'href="#cat-1"' in text and 'href="#cat-2"' in text  # two categories
    card = text.split(f'/p/{world.sku.pk}/"')[1].split("</li>")[0]
    assert "¥100.00" in card and "批发价" in card and "库存 20" in card
    top_up = text.split(f'/p/{direct.pk}/"')[1].split("</li>")[0]
    assert "¥50.00" in top_up and "有货" in top_up and "批发价" not in top_up
    assert "缺货" in text.split(f'/p/{sold_out.pk}/"')[1].split("</li>")[0]
    # Nobody's cost is on the page: agent3 pays 98.50 a code.
    assert "98.50" not in text


def test_an_unknown_or_closed_shop_and_a_product_it_does_not_sell_are_404(world, shop, client):
    inactive = factories.sku("10.00", authorised=False)
    assert client.get("/s/nope/").status_code == 404
    assert client.get(f"/s/{shop.slug}/p/{inactive.pk}/").status_code == 404
    assert client.get(f"/s/{shop.slug}/p/999999/").status_code == 404
    services.set_storefront_active(shop, False)
    response = client.get(f"/s/{shop.slug}/")
    assert response.status_code == 404
    assert "页面不存在" in _text(response) and "site-header" in _text(response)


def test_the_logo_is_served_with_cache_headers(world, shop, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("logo.png", factories.image_bytes("PNG"))
    shop = services.set_storefront(world.a3, slug=shop.slug, name=shop.name, logo=upload)
    text = _text(client.get(f"/s/{shop.slug}/"))
    src = re.search(r'class="brand__logo" src="([^"]+)"', text).group(1)
    assert src.startswith(f"/s/{shop.slug}/logo?v=")
    response = client.get(src)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    again = client.get(src, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert client.get(f"/s/{shop.slug}/logo")["Cache-Control"] == "public, max-age=3600"
    no_logo = factories.storefront(world.a2, slug="plain-shop")
    assert client.get(f"/s/{no_logo.slug}/logo").status_code == 404


# --- the product page and its checkout ----------------------------------------------------


def test_the_product_page_has_the_checkout_form_the_share_link_and_its_qr(world, shop, client):
    services.set_price_tier(world.a3, world.sku, min_quantity=5, unit_price="99.00")
    response = client.get(_product_url(shop, world.sku))
    text = _text(response)
    assert '<form id="checkout" class="card form" method="post"' in text
    for name in ("quantity", "contact", "query_password", "coupon_code", "payment_type"):
        assert f'name="{name}"' in text
    assert 'name="recharge_account"' not in text  # a card takes no account
    assert 'value="alipay"' in text and "支付宝" in text and "微信支付" in text
    assert 'name="captcha_1"' not in text
    share = f"{settings.KAMENG_PUBLIC_URL}/s/{shop.slug}/p/{world.sku.pk}/"
    assert f'data-copy="{share}"' in text
    assert '<svg role="img"' in text and "商品链接二维码" in text
    assert "5 件起" in text and "¥99.00" in text  # the tier table
    assert 'id="total">¥100.00<' in text


def test_a_phone_top_up_asks_for_the_number_twice_on_a_numeric_keyboard(world, gateway, client):
    shop = factories.storefront(world.a3, slug="topups")
    direct = factories.direct_sku("50.00", category="手机话费")
    factories.api_offer(direct)
    text = _text(client.get(_product_url(shop, direct)))
    for name in ("recharge_account", "recharge_account_again"):
        field = re.search(rf'<input[^>]*name="{name}"[^>]*>', text).group(0)
        assert 'inputmode="numeric"' in field
    assert "充值手机号" in text
    ip = fresh_ip()
    response = client.post(
        _product_url(shop, direct),
        _checkout_fields(recharge_account="13800138000", recharge_account_again="13800138001"),
        REMOTE_ADDR=ip,
    )
    assert response.status_code == 400
    assert "两次输入的充值账号不一致" in _text(response)
    assert Order.objects.count() == 0
    order = _check_out(
        client,
        shop,
        direct,
        ip=ip,
        recharge_account="138 0013 8000",
        recharge_account_again="13800138000",
    )
    assert (order.recharge_account, order.amount) == ("13800138000", D("50.00"))


def test_a_checkout_goes_to_the_hand_off_with_the_signed_gateway_form(world, shop, buyer):
    order = _check_out(buyer, shop, world.sku, quantity="2", payment_type="wxpay")
    assert (order.status, order.amount, order.agent_id) == (
        Status.CREATED,
        D("200.00"),
        world.a3.pk,
    )
    payment = Payment.objects.get(order=order)
    assert (payment.type, payment.amount) == ("wxpay", D("200.00"))
    response = buyer.get(_pay_url(order))
    text = _text(response)
    assert response.status_code == 200
    form = re.search(r'<form id="pay-handoff" method="post" action="([^"]+)"', text)
    assert form.group(1) == f"{GATEWAY_URL}/submit.php"
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', text))
    assert fields["money"] == "200.00" and fields["type"] == "wxpay"
    assert fields["out_trade_no"] == order.order_no and len(fields["sign"]) == 32
    assert "csrfmiddlewaretoken" not in text.split('id="pay-handoff"')[1].split("</form>")[0]
    assert "前往支付（微信支付）" in text and "¥200.00" in text


@pytest.mark.parametrize(
    "tampered",
    [
        {"amount": "0.01"},
        {"price": "0"},
        {"unit_price": "0.01", "total": "0.01"},
        {"seller": "agent1", "agent_id": "1", "agent": "1"},
        {"amount": "0.01", "price": "0.01", "discount": "99.99", "money": "0.01"},
    ],
)
def test_tampered_price_amount_and_seller_fields_change_nothing(world, shop, buyer, tampered):
    tampered = {**tampered}
    if "agent_id" in tampered:
        tampered["agent_id"] = str(world.a1.pk)
    order = _check_out(buyer, shop, world.sku, **tampered)
    assert (order.amount, order.unit_price, order.agent_id) == (
        D("100.00"),
        D("100.00"),
        world.a3.pk,
    )
    assert Checkout.objects.get(order=order).discount == D("0")
    fields = dict(
        re.findall(
            r'<input type="hidden" name="(\w+)" value="([^"]*)"', _text(buyer.get(_pay_url(order)))
        )
    )
    assert fields["money"] == "100.00"


@pytest.mark.parametrize(
    ("changes", "status", "message", "field"),
    [
        ({"contact": "not-a-contact"}, 400, "联系方式须为邮箱或 11 位手机号", "contact"),
        ({"quantity": "50"}, 400, "库存不足", None),
        ({"quantity": "0"}, 400, "确保该值大于或等于1", "quantity"),
        ({"quantity": "abc"}, 400, "输入整数", "quantity"),
        ({"coupon_code": "NOPE"}, 400, "优惠码无效", "coupon_code"),
        ({"payment_type": "qqpay"}, 400, "请选择支付方式", "payment_type"),
        ({"contact": ""}, 400, "这个字段是必须的", "contact"),
        ({"query_password": "abc"}, 400, "至少", "query_password"),
    ],
)
def test_a_refusal_is_a_form_message_and_creates_nothing(
    world, shop, buyer, changes, status, message, field
):
    response = buyer.post(_product_url(shop, world.sku), _checkout_fields(**changes))
    assert response.status_code == status
    text = _text(response)
    if field:
        assert message in _field_errors(text).get(field, ""), _field_errors(text)
    else:
        assert message in text.split('<div class="alert alert--error" role="alert">')[1]
    assert '<form id="checkout"' in text
    assert Order.objects.count() == 0


def test_refusals_read_in_english_too(world, shop, buyer, english):
    _in(buyer, "en")
    response = buyer.post(_product_url(shop, world.sku), _checkout_fields(quantity="50"))
    assert response.status_code == 400
    assert "Out of stock" in _text(response)
    response = buyer.post(_product_url(shop, world.sku), _checkout_fields(contact="x"))
    assert "an email address or an 11-digit mobile number" in _text(response)


def test_too_many_unpaid_orders_is_429(world, shop, buyer, settings):
    settings.KAMENG_STOREFRONT_CAPTCHA_AFTER = 100
    for _ in range(settings.KAMENG_STOREFRONT_MAX_OPEN_ORDERS):
        _check_out(buyer, shop, world.sku)
    response = buyer.post(_product_url(shop, world.sku), _checkout_fields())
    assert response.status_code == 429
    assert "未支付的订单过多" in _text(response) and response["Retry-After"]
    assert Order.objects.count() == settings.KAMENG_STOREFRONT_MAX_OPEN_ORDERS


def test_a_captcha_is_asked_after_a_burst_of_checkouts_from_one_address(
    world, shop, buyer, settings
):
    from captcha.models import CaptchaStore

    settings.KAMENG_STOREFRONT_CAPTCHA_AFTER = 2
    settings.KAMENG_STOREFRONT_MAX_OPEN_ORDERS = 10
    url = _product_url(shop, world.sku)
    assert 'name="captcha_1"' not in _text(buyer.get(url))
    _check_out(buyer, shop, world.sku)
    _check_out(buyer, shop, world.sku)
    text = _text(buyer.get(url))
    assert 'name="captcha_1"' in text and 'class="captcha-row__image"' in text
    image = re.search(r'src="(/captcha/image/\w+/)"', text).group(1)
    assert buyer.get(image)["Content-Type"] == "image/png"
    # Without it, or wrong: refused, nothing ordered.
    response = buyer.post(url, _checkout_fields())
    assert response.status_code == 400 and "请输入验证码" in _text(response)
    key = re.search(r'name="captcha_0" value="(\w+)"', _text(response)).group(1)
    response = buyer.post(url, _checkout_fields(captcha_0=key, captcha_1="wrong"))
    assert response.status_code == 400 and "验证码不正确" in _text(response)
    assert Order.objects.count() == 2
    # Right: ordered. Another address is not asked.
    key = re.search(r'name="captcha_0" value="(\w+)"', _text(response)).group(1)
    answer = CaptchaStore.objects.get(hashkey=key).response
    response = buyer.post(url, _checkout_fields(captcha_0=key, captcha_1=answer.upper()))
    assert response.status_code == 303
    assert Order.objects.count() == 3
    assert 'name="captcha_1"' not in _text(buyer.get(url, REMOTE_ADDR=fresh_ip()))


def test_the_live_price_is_the_services(world, shop, client):
    # agent3 pays 98.50 a code and sells at 100.00: tiers and coupons come out of that.
    services.set_price_tier(world.a3, world.sku, min_quantity=5, unit_price="99.00")
    services.create_coupon(world.a3, code="OFF2", kind="fixed", value="2")
    url = f"/s/{shop.slug}/p/{world.sku.pk}/price"
    text = _text(client.get(url, {"quantity": "3"}))
    assert 'id="total">¥300.00<' in text and "<s " not in text
    text = _text(client.get(url, {"quantity": "5"}))
    assert '<s class="muted">¥100.00</s> ¥99.00' in text and 'id="total">¥495.00<' in text
    text = _text(client.get(url, {"quantity": "3", "coupon_code": "off2"}))
    assert "-¥2.00" in text and 'id="total">¥298.00<' in text
    text = _text(client.get(url, {"quantity": "1", "coupon_code": "off2"}))
    assert "-¥1.50" in text and 'id="total">¥98.50<' in text  # never below its cost
    text = _text(client.get(url, {"quantity": "3", "coupon_code": "NOPE"}))
    assert "优惠码无效" in text and 'id="total">¥300.00<' in text
    for bad in ("abc", "0", "-1", "1000000", ""):
        response = client.get(url, {"quantity": bad})
        assert response.status_code == 200 and "购买数量须为 1 到 100 之间的整数" in _text(response)
    # The form posts the same: the order costs what the summary said.
    order = _check_out(client, shop, world.sku, ip=fresh_ip(), quantity="3", coupon_code="OFF2")
    assert order.amount == D("298.00")


# --- the buyer's links ----------------------------------------------------------------------


def test_the_buyers_links_need_their_token(world, shop, buyer):
    order = _check_out(buyer, shop, world.sku)
    other = _check_out(buyer, shop, world.sku)
    wrong = [None, "", "0" * 32, _token(other), _token(order)[:-1]]
    for token in wrong:
        suffix = "" if token is None else f"?t={token}"
        for url in (
            f"/pay/{order.order_no}/",
            f"/s/{shop.slug}/o/{order.order_no}/",
            f"/s/{shop.slug}/o/{order.order_no}/status/",
        ):
            response = buyer.get(url + suffix)
            assert response.status_code == 404, (url, token)
            assert world.sku.product.name not in _text(response)
        for action in ("confirm", "complain"):
            url = f"/s/{shop.slug}/o/{order.order_no}/{action}/{suffix}"
            assert buyer.post(url, {"reason": "x"}).status_code == 404
    # The right token in another shop's address: 404 too.
    factories.storefront(world.a2, slug="shop-a2")
    assert buyer.get(f"/s/shop-a2/o/{order.order_no}/?t={_token(order)}").status_code == 404
    assert buyer.get(_result_url(shop, order)).status_code == 200


def test_codes_show_only_once_delivered_and_only_with_the_token(world, shop, buyer):
    order = _check_out(buyer, shop, world.sku, quantity="2")
    waiting = _text(buyer.get(_result_url(shop, order)))
    assert "正在等待支付结果" in waiting and 'hx-trigger="every 2s"' in waiting
    assert "secret__value" not in waiting
    _deliver(order)
    cards = services.buyer_cards(Order.objects.get(pk=order.pk))
    assert len(cards) == 2
    response = buyer.get(_result_url(shop, order))
    text = _text(response)
    for code, secret in cards:
        assert f'data-copy="{code}"' in text and f'data-copy="{secret}"' in text
    assert "hx-trigger" not in text  # final: no more polling
    assert "卡密也已发送到你的邮箱" in text and order.buyer_contact in text
    assert 'id="confirm-receipt"' in text and "投诉" in text
    for token in ("", "f" * 32):
        text = _text(
            buyer.get(
                _result_url(shop, order, token) if token else f"/s/{shop.slug}/o/{order.order_no}/"
            )
        )
        assert all(secret not in text and code not in text for code, secret in cards)


def test_the_result_page_and_the_hand_off_are_never_stored_nor_referred(world, shop, buyer):
    order = _check_out(buyer, shop, world.sku)
    for url in (
        _pay_url(order),
        _result_url(shop, order),
        f"/s/{shop.slug}/o/{order.order_no}/status/?t={_token(order)}",
        f"/pay/{order.order_no}/?t=bad",
    ):
        response = buyer.get(url)
        assert response["Cache-Control"] == "no-store", url
        assert response["Referrer-Policy"] == "same-origin", url
    assert buyer.get(f"/s/{shop.slug}/lookup/")["Cache-Control"] == "no-store"


def test_the_order_pages_forms_need_their_token_and_a_csrf_token(world, shop, ip):
    """Confirm and complain are authorised by the order's token in their URL, and like
    every form, by Django's CSRF check: a forging page can do neither."""
    from django.test import Client

    browser = Client(enforce_csrf_checks=True, REMOTE_ADDR=ip)
    order = _check_out(Client(REMOTE_ADDR=ip), shop, world.sku)
    _deliver(order)
    result = browser.get(_result_url(shop, order))
    token = result.cookies["csrftoken"].value if "csrftoken" in result.cookies else ""
    url = f"/s/{shop.slug}/o/{order.order_no}/confirm/"
    assert browser.post(f"{url}?t={_token(order)}").status_code == 403  # no CSRF token
    assert Order.objects.get(pk=order.pk).status == Status.DELIVERED
    headers = {"HTTP_X_CSRFTOKEN": token or browser.cookies["csrftoken"].value}
    assert browser.post(f"{url}?t={'0' * 32}", **headers).status_code == 404
    response = browser.post(f"{url}?t={_token(order)}", **headers)
    assert response.status_code == 303
    assert Order.objects.get(pk=order.pk).status == Status.COMPLETED


def test_the_status_part_asks_the_gateway_at_most_once_per_three_seconds(world, shop, buyer):
    order = _check_out(buyer, shop, world.sku)
    url = f"/s/{shop.slug}/o/{order.order_no}/status/?t={_token(order)}"
    for _ in range(3):
        text = _text(buyer.get(url))
        assert text.startswith('\n<div id="order-live"') or 'id="order-live"' in text[:200]
        assert 'hx-trigger="every 2s"' in text
    # The gateway cannot be reached: one query, recorded, for three polls.
    queries = GatewayEvent.objects.filter(kind=GatewayEvent.Kind.QUERY, out_trade_no=order.order_no)
    assert queries.count() == 1


def test_a_delivered_order_is_confirmed_or_complained_about(world, shop, buyer):
    first = _check_out(buyer, shop, world.sku)
    second = _check_out(buyer, shop, world.sku)
    for order in (first, second):
        _deliver(order)
    response = buyer.post(f"/s/{shop.slug}/o/{first.order_no}/confirm/?t={_token(first)}")
    assert response.status_code == 303 and response["Location"] == _result_url(shop, first)
    assert Order.objects.get(pk=first.pk).status == Status.COMPLETED
    text = _text(buyer.get(response["Location"]))
    assert "订单已完成" in text and 'id="confirm-receipt"' not in text
    # Confirming again is refused on the page, not a 500.
    response = buyer.post(f"/s/{shop.slug}/o/{first.order_no}/confirm/?t={_token(first)}")
    assert response.status_code == 400 and "订单当前状态不允许此操作" in _text(response)
    complain = f"/s/{shop.slug}/o/{second.order_no}/complain/?t={_token(second)}"
    response = buyer.post(complain, {"reason": "  "})
    assert response.status_code == 400 and "这个字段是必须的" in _text(response)
    response = buyer.post(complain, {"reason": "卡密提示已被使用"})
    assert response.status_code == 303
    second = Order.objects.get(pk=second.pk)
    assert (second.status, second.dispute_reason) == (Status.DISPUTED, "卡密提示已被使用")
    assert "投诉已提交" in _text(buyer.get(_result_url(shop, second)))


def test_the_hand_off_sends_a_paid_order_to_its_result_and_says_when_it_expired(world, shop, buyer):
    paid = _check_out(buyer, shop, world.sku)
    _deliver(paid)
    response = buyer.get(_pay_url(paid))
    assert response.status_code == 303 and response["Location"] == _result_url(shop, paid)
    late = _check_out(buyer, shop, world.sku)
    Order.objects.filter(pk=late.pk).update(payment_deadline=late.created_at)
    text = _text(buyer.get(_pay_url(late)))
    assert "订单已超时关闭" in text and "pay-handoff" not in text
    result = _text(buyer.get(_result_url(shop, late)))
    assert "已关闭" in result and "hx-trigger" not in result


def test_a_pay_link_asks_for_the_payment_type_first(world, gateway, buyer):
    order, url = services.create_pay_link(world.a3, world.sku.pk, quantity=2)
    path = url.removeprefix(settings.KAMENG_PUBLIC_URL)
    text = _text(buyer.get(path))
    assert "pay-handoff" not in text and 'name="payment_type"' in text and "¥200.00" in text
    response = buyer.post(path, {"payment_type": "bogus"})
    assert response.status_code == 400 and "请选择支付方式" in _text(response)
    response = buyer.post(path, {"payment_type": "alipay"})
    assert response.status_code == 303 and response["Location"] == path
    text = _text(buyer.get(path))
    assert 'id="pay-handoff"' in text and "前往支付（支付宝）" in text
    assert Payment.objects.get(order=order).type == "alipay"
    # Changing it: the choice again.
    assert 'name="payment_type"' in _text(buyer.get(path + "&change=1"))


def test_a_return_that_does_not_verify_says_the_result_is_being_confirmed(world, shop, buyer):
    order = _check_out(buyer, shop, world.sku)
    params = {"out_trade_no": order.order_no, "trade_no": "1", "money": "100.00", "sign": "x" * 32}
    for gateway in ("epay", "nope"):
        response = buyer.get(f"/pay/return/{gateway}/", params)
        assert response.status_code == 200
        text = _text(response)
        assert (
            "正在确认支付结果" in text
            and f'href="/s/{shop.slug}/lookup/?order_no={order.order_no}"' in text
        )
        assert "Traceback" not in text
    assert Order.objects.get(pk=order.pk).status == Status.CREATED
    assert not Journal.objects.filter(reference=order.order_no).exists()


# --- lookup -------------------------------------------------------------------------------


def test_lookup_shows_nothing_on_a_mismatch_and_the_order_on_a_match(world, shop, buyer):
    contact = fresh_email()
    order = _check_out(buyer, shop, world.sku, contact=contact, query_password="open-sesame")
    _deliver(order)
    ((code, secret),) = services.buyer_cards(Order.objects.get(pk=order.pk))
    url = f"/s/{shop.slug}/lookup/"
    for fields in (
        {"order_no": order.order_no, "contact": contact, "query_password": "wrong"},
        {"order_no": order.order_no, "contact": contact},
        {
            "order_no": order.order_no,
            "contact": "other@example.com",
            "query_password": "open-sesame",
        },
        {"order_no": "K000", "contact": contact, "query_password": "open-sesame"},
    ):
        response = buyer.post(url, fields)
        assert response.status_code == 404 or response.status_code == 400
        text = _text(response)
        assert "订单号、联系方式或查询密码不正确" in text
        assert code not in text and secret not in text
    response = buyer.post(
        url,
        {"order_no": order.order_no, "contact": contact.upper(), "query_password": "open-sesame"},
    )
    assert response.status_code == 303 and response["Location"] == _result_url(shop, order)
    text = _text(buyer.get(response["Location"]))
    assert code in text and secret in text


def test_lookups_are_limited_per_address(world, shop, buyer, settings):
    settings.KAMENG_STOREFRONT_LOOKUPS = (2, 600)
    url = f"/s/{shop.slug}/lookup/"
    fields = {"order_no": "K1", "contact": "a@example.com"}
    assert buyer.post(url, fields).status_code == 400
    assert buyer.post(url, fields).status_code == 400
    response = buyer.post(url, fields)
    assert response.status_code == 429
    assert "操作过于频繁，请稍后再试" in _text(response) and response["Retry-After"] == "600"


# --- the messages ---------------------------------------------------------------------------

BUYER_ERRORS = [
    base_errors.DomainError,
    base_errors.NotFound,
    base_errors.Conflict,
    base_errors.InvalidInput,
    storefront_errors.StorefrontNotFound,
    storefront_errors.CouponNotFound,
    storefront_errors.CouponExpired,
    storefront_errors.CouponUsedUp,
    storefront_errors.CouponNotApplicable,
    storefront_errors.InvalidContact,
    storefront_errors.AccountsDoNotMatch,
    storefront_errors.InvalidRechargeAccount,
    storefront_errors.InvalidPaymentType,
    storefront_errors.TooManyOpenOrders,
    storefront_errors.LookupFailed,
    storefront_errors.RateLimited,
    payment_errors.GatewayNotConfigured,
    payment_errors.UnknownGatewayName,
    payment_errors.InvalidGatewayConfig,
    payment_errors.PaymentTypeNotOffered,
    payment_errors.OrderNotPayable,
    payment_errors.PaymentUnavailable,
    order_errors.OrderNotFound,
    order_errors.IllegalTransition,
    order_errors.PriceBelowCost,
    order_errors.ConfirmWindowClosed,
    order_errors.InvalidRechargeAccount,
    catalog_errors.SkuNotFound,
    catalog_errors.SkuNotSellable,
    catalog_errors.OutOfStock,
    agent_errors.AgentInactive,
    RiskBlocked,
]


def test_every_refusal_a_buyer_can_meet_reads_in_english(english):
    assert sorted(cls.title for cls in BUYER_ERRORS) == sorted(set(BUYER_ERROR_TITLES))
    assert all(issubclass(cls, DomainError) for cls in BUYER_ERRORS)
    with EN_PO.open("rb") as fh:
        catalog = pofile.read_po(fh, locale="en")
    for title in BUYER_ERROR_TITLES:
        assert catalog.get(title) is not None and catalog.get(title).string, title
        with translation.override("en"):
            assert translation.gettext(title) != title


def test_an_unknown_path_is_a_404_in_the_shop_layout(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "kameng.css" in response.content.decode()


def test_every_agent_has_a_shop_at_its_username_without_setting_one_up(client, world):
    from kameng.agents import services as agents

    newcomer = agents.create_agent("newshop", parent=world.a1)
    response = client.get("/s/newshop/")
    assert response.status_code == 200
    assert "newshop的小店" in response.content.decode()
    assert client.get("/s/nosuchagent/").status_code == 404
    agents.set_active(newcomer, False)
    assert client.get("/s/newshop/").status_code == 404
