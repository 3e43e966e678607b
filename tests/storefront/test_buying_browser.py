"""A buyer in a real browser (headless Chromium, Playwright): the storefront, the
checkout, the hand-off to the simulated 易支付 cashier (kameng sim-pay, in a thread),
the result page, lookup. The live server takes the gateway's notifies and returns, the
Celery workers run top-ups against a simulated supplier. Each test asserts what the
buyer sees and what the books say; no request leaves this machine.

Screenshots go to DATA_DIR/screenshots (sf-<page>-<desk|phone>.png); a chosen set of
them is in docs/screenshots/."""

from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import redis
from django.conf import settings

from kameng import guards
from kameng.catalog import services as catalog
from kameng.catalog.models import Sku
from kameng.ledger import services as ledger
from kameng.ledger.models import Journal
from kameng.orders.models import Order, OrderEvent
from kameng.orders.states import Status
from kameng.payments.models import GatewayEvent, Payment
from kameng.payments.services import FAILED_NOTIFIES_KEY
from kameng.payments.simulator import SimPayConfig, SimulatedEpay
from kameng.stock.models import Card
from kameng.storefront import services as storefront
from tests import factories
from tests.browser import DESKTOP, PHONE, overflow_x, screenshot
from tests.live import connect
from tests.orders.helpers import assert_books_sound
from tests.payments.helpers import (
    configure,
    notify_params,
    payments_balance,
    send_notify,
    to_gateway,
    wait_until,
)

pytestmark = pytest.mark.django_db(transaction=True)

PHONE_ONLY = [pytest.param(PHONE, id="phone")]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
SLUG = "xinghe"


# --- the stack ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_failed_notifies_counted():
    """Forged notifies count against 127.0.0.1: none from earlier tests."""
    if settings.REDIS_URL:
        client = redis.Redis.from_url(settings.REDIS_URL)
        stale = list(client.scan_iter(f"{FAILED_NOTIFIES_KEY}*"))
        if stale:
            client.delete(*stale)
    else:
        guards._store.cache_clear()


@pytest.fixture
def sim() -> Iterator[SimulatedEpay]:
    provider = SimulatedEpay(
        SimPayConfig(retry_delays=(0.2,), notify_retries=3, notify_timeout=10.0, seed=7)
    ).start()
    yield provider
    provider.stop()


@pytest.fixture
def stack(worker, sim, settings):
    """The live server (KAMENG_PUBLIC_URL), the workers, the `epay` gateway at sim-pay.
    Every checkout here comes from 127.0.0.1: no captcha, lookups not limited."""
    settings.KAMENG_STOREFRONT_CAPTCHA_AFTER = 10_000
    settings.KAMENG_STOREFRONT_LOOKUPS = (10_000, 600)
    configure(sim)
    return sim


class Shop:
    """星河数码小店: agent3's shop with cards (one with a 批发价), a sold-out card and
    a phone top-up. agent3 sells at face value."""

    def __init__(self, topup_sim=None) -> None:
        factories.levels()
        source = factories.supplier("星河供应链")
        self.steam = self._card(
            "游戏点卡",
            "Steam 钱包充值卡（国区）",
            "100元",
            "100.00",
            source,
            cards=6,
            description=(
                "官方正版卡密，付款后自动发货。\n登录 Steam → 账户 → 充值钱包 → 兑换 Steam 充值卡。"
            ),
        )
        self.steam50 = self._card(
            "游戏点卡", "Steam 钱包充值卡（国区）", "50元", "50.00", source, 40
        )
        self.qq = self._card("会员卡", "腾讯QQ会员月卡", "1个月", "15.00", source, 3, cost="12.00")
        self.music = self._card("会员卡", "网易云音乐黑胶VIP年卡", "12个月", "158.00", source, 0)
        phone = catalog.create_product("手机话费", "中国移动话费直充")
        self.mobile = catalog.create_sku(phone, "50元", Decimal("50.00"), kind=Sku.Kind.DIRECT)
        a1 = factories.agent("agent1")
        a2 = factories.agent("agent2", parent=a1)
        self.seller = factories.agent("agent3", parent=a2)
        if topup_sim is not None:
            connect(topup_sim, self.mobile)
        else:
            factories.api_offer(self.mobile)
        self.shop = storefront.set_storefront(
            self.seller,
            slug=SLUG,
            name="星河数码小店",
            notice=(
                "全场卡密自动发货，24 小时营业。\n售后请在订单页面点击“投诉”，客服 2 小时内处理。"
            ),
            colour="#7c3aed",
        )
        storefront.set_price_tier(self.seller, self.steam, min_quantity=5, unit_price="99.00")

    @staticmethod
    def _card(category, product_name, name, face, source, cards, cost=None, description=""):
        product = Shop._product(category, product_name, description)
        sku = catalog.create_sku(product, name, Decimal(face))
        cost = cost or str((Decimal(face) * Decimal("0.9")).quantize(Decimal("0.01")))
        if cards:
            factories.stock(sku, source, cards, cost=cost)
        return sku

    @staticmethod
    def _product(category, name, description):
        from kameng.catalog.models import Product

        found = Product.objects.filter(name=name).first()
        return found or catalog.create_product(category, name, description)


@pytest.fixture
def guarded(page) -> list[str]:
    """Requests for anything but this machine are refused and recorded."""
    refused: list[str] = []

    def route(request_route) -> None:
        url = request_route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS or url.startswith(("data:", "blob:")):
            request_route.continue_()
        else:
            refused.append(url)
            request_route.abort()

    page.context.route("**/*", route)
    return refused


def _size(page) -> str:
    return "phone" if page.viewport_size["width"] == PHONE["width"] else "desk"


def _shot(page, name: str) -> None:
    page.wait_for_load_state("networkidle")
    assert overflow_x(page) == 0, f"{name} scrolls sideways"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"sf-{name}-{_size(page)}")


def _fill_checkout(page, contact: str, quantity: int = 1, total: str = "") -> None:
    page.fill("#id_quantity", str(quantity))
    page.fill("#id_contact", contact)
    page.check("input[name=payment_type][value=alipay]")
    if total:
        page.wait_for_function(
            "t => document.querySelector('#total').textContent === t", arg=total, timeout=5000
        )


def _order_of(contact: str) -> Order:
    return Order.objects.get(buyer_contact=contact)


def _result_url(live_server, order: Order) -> str:
    token = storefront.order_access_token(order.order_no)
    return f"{live_server.url}/s/{SLUG}/o/{order.order_no}/?t={token}"


def _shown_codes(page) -> list[str]:
    return page.eval_on_selector_all(".secret__value", "els => els.map(e => e.textContent)")


def _fresh(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


# --- the buyer ---------------------------------------------------------------------------


def test_a_buyer_buys_a_card_through_sim_pay_sees_the_code_and_copies_it(
    stack, page, live_server, guarded
):
    sim = stack
    world = Shop()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(f"{live_server.url}/s/{SLUG}/")
    assert page.title() == "全部商品 · 星河数码小店"
    assert page.locator(".product").count() == 5
    _shot(page, "storefront")

    page.click(f"a.product[href='/s/{SLUG}/p/{world.steam.pk}/']")
    page.wait_for_selector("form#checkout")
    assert page.inner_text("#retail-price") == "¥100.00"
    _shot(page, "product")

    _fill_checkout(page, "buyer@example.com", quantity=2, total="¥200.00")
    _shot(page, "checkout")
    page.click("form#checkout button[type=submit]")
    page.wait_for_url(f"{sim.url}/**")  # the hand-off sent the browser on by itself
    assert page.inner_text("#sim-amount") == "¥200.00"
    _shot(page, "gateway")

    page.click("#sim-pay")
    page.wait_for_url(f"{live_server.url}/s/{SLUG}/o/**")
    page.wait_for_selector("#order-live[data-status=delivered]")
    order = _order_of("buyer@example.com")
    cards = storefront.buyer_cards(order)
    assert len(cards) == 2
    assert _shown_codes(page) == [value for pair in cards for value in pair]
    assert "发货成功" in page.inner_text("#order-live")
    _shot(page, "result")

    copy = page.locator(".secret__copy").nth(1)  # the first code's secret
    copy.click()
    page.wait_for_function(
        "document.querySelectorAll('.secret__copy')[1].textContent === '已复制'", timeout=5000
    )
    assert page.evaluate("navigator.clipboard.readText()") == cards[0][1]
    # The language switch works from a page that sends no referrer.
    page.click(".lang-switch button[value=en]")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert "Delivered. Copy your codes now" in page.inner_text("#order-live")
    assert _shown_codes(page) == [value for pair in cards for value in pair]

    # The books: paid once into escrow, two codes sold to this order.
    payment = Payment.objects.get(order=order)
    assert (payment.status, payment.amount) == ("paid", Decimal("200.00"))
    assert (
        Journal.objects.filter(kind=Journal.Kind.ORDER_PAY, reference=order.order_no).count() == 1
    )
    assert Card.objects.filter(order=order, status=Card.Status.SOLD).count() == 2
    assert payments_balance() == Decimal("-200.00")
    assert ledger.escrow_balance() == Decimal("200.00")
    assert_books_sound()
    assert guarded == []


def test_a_direct_top_up_turns_delivered_on_the_page_without_a_reload(
    stack, sims, page, live_server, guarded
):
    sim = stack
    supplier = sims(process_time=2.5)
    world = Shop(topup_sim=supplier)
    page.goto(f"{live_server.url}/s/{SLUG}/p/{world.mobile.pk}/")
    assert page.get_attribute("#id_recharge_account", "inputmode") == "numeric"
    page.fill("#id_recharge_account", "13800138000")
    page.fill("#id_recharge_account_again", "138 0013 8000")
    _fill_checkout(page, "13900139000", total="¥50.00")
    page.click("form#checkout button[type=submit]")
    page.wait_for_url(f"{sim.url}/**")
    page.click("#sim-pay")
    page.wait_for_url(f"{live_server.url}/s/{SLUG}/o/**")
    page.evaluate("window.__sameDocument = true")
    waiting = page.inner_text("#order-live")
    assert "正在为你充值" in waiting, waiting
    _shot(page, "topup-waiting")
    page.wait_for_selector("#order-live[data-status=delivered]", timeout=15_000)
    assert page.evaluate("window.__sameDocument === true")  # updated in place
    assert "充值成功" in page.inner_text("#order-live")
    assert "13800138000" in page.inner_text("#order-live")
    _shot(page, "topup-delivered")
    # Final: the page stops asking.
    assert page.get_attribute("#order-live", "hx-trigger") is None

    order = Order.objects.get(recharge_account="13800138000")
    assert order.status == Status.DELIVERED and order.amount == Decimal("50.00")
    assert payments_balance() == Decimal("-50.00")
    assert ledger.escrow_balance() == Decimal("50.00")
    assert_books_sound()
    assert guarded == []


def test_a_dropped_notify_still_ends_paid_and_delivered_by_query(stack, page, live_server, guarded):
    sim = stack
    sim.update_config({"drop_rate": 1.0})
    world = Shop()
    page.goto(f"{live_server.url}/s/{SLUG}/p/{world.qq.pk}/")
    _fill_checkout(page, "dropped@example.com", total="¥15.00")
    page.click("form#checkout button[type=submit]")
    page.wait_for_url(f"{sim.url}/**")
    order = _order_of("dropped@example.com")
    # The buyer pays in its wallet app and looks at the order page; no notify ever comes.
    page.goto(_result_url(live_server, order))
    assert page.get_attribute("#order-live", "data-status") == "created"
    assert "正在等待支付结果" in page.inner_text("#order-live")
    _shot(page, "result-waiting")
    trade = sim.pay(order.order_no)
    page.wait_for_selector("#order-live[data-status=delivered]", timeout=10_000)
    assert len(_shown_codes(page)) == 2  # its code and secret

    payment = Payment.objects.get(order=order)
    assert (payment.paid_via, payment.trade_no) == (Payment.Via.QUERY, trade.trade_no)
    assert trade.notifies == [] and trade.dropped
    assert _fresh(order).status == Status.DELIVERED
    assert payments_balance() == Decimal("-15.00")
    assert_books_sound()
    assert guarded == []


def test_a_notify_sent_five_times_at_once_delivers_once(stack, page, live_server, guarded):
    sim = stack
    sim.update_config({"notify_repeat": 5})
    world = Shop()
    page.goto(f"{live_server.url}/s/{SLUG}/p/{world.steam.pk}/")
    _fill_checkout(page, "five@example.com", total="¥100.00")
    page.click("form#checkout button[type=submit]")
    page.wait_for_url(f"{sim.url}/**")
    page.click("#sim-pay")
    page.wait_for_selector("#order-live[data-status=delivered]")
    order = _order_of("five@example.com")
    trade = sim.trade(order.order_no)
    wait_until(lambda: len(trade.notifies) == 5)
    assert {(a.status, a.reply) for a in trade.notifies} == {(200, "success")}

    page.reload()
    ((code, secret),) = storefront.buyer_cards(order)
    assert _shown_codes(page) == [code, secret]  # once each
    assert OrderEvent.objects.filter(order=order, to_status=Status.PAID).count() == 1
    assert Card.objects.filter(order=order).count() == 1
    assert (
        Journal.objects.filter(kind=Journal.Kind.ORDER_PAY, reference=order.order_no).count() == 1
    )
    assert Payment.objects.filter(order=order).count() == 1
    assert payments_balance() == Decimal("-100.00")
    assert_books_sound()
    assert guarded == []


def test_a_forged_notify_and_one_with_the_wrong_money_change_nothing(
    stack, page, live_server, guarded
):
    sim = stack
    world = Shop()
    page.goto(f"{live_server.url}/s/{SLUG}/p/{world.steam.pk}/")
    _fill_checkout(page, "forged@example.com", total="¥100.00")
    page.click("form#checkout button[type=submit]")
    page.wait_for_url(f"{sim.url}/**")
    order = _order_of("forged@example.com")
    trade = sim.trade(order.order_no)

    forged = send_notify(notify_params(sim, trade, key="not-the-merchant-key-0123456789"))
    assert (forged.status_code, forged.text) == (400, "fail")
    cheap = send_notify(notify_params(sim, trade, money="0.01"))
    assert (cheap.status_code, cheap.text) == (400, "fail")

    page.goto(_result_url(live_server, order))
    assert page.get_attribute("#order-live", "data-status") == "created"
    assert "正在等待支付结果" in page.inner_text("#order-live")
    assert _shown_codes(page) == []
    order = _fresh(order)
    assert (order.status, order.paid_at, order.payment_ref) == (Status.CREATED, None, None)
    assert Payment.objects.get(order=order).status == "pending"
    assert not Journal.objects.filter(reference=order.order_no).exists()
    assert Card.objects.filter(order=order, status=Card.Status.SOLD).count() == 0
    outcomes = set(
        GatewayEvent.objects.filter(kind=GatewayEvent.Kind.NOTIFY).values_list("outcome", flat=True)
    )
    assert outcomes == {GatewayEvent.Outcome.FORGED, GatewayEvent.Outcome.WRONG_MONEY}
    assert payments_balance() == Decimal("0")
    assert_books_sound()
    assert guarded == []


def test_a_price_tampered_in_the_form_is_ignored(stack, page, live_server, guarded):
    sim = stack
    world = Shop()
    page.goto(f"{live_server.url}/s/{SLUG}/p/{world.steam.pk}/")
    _fill_checkout(page, "tamper@example.com", total="¥100.00")
    page.evaluate(
        """() => {
            const form = document.querySelector('#checkout');
            for (const [name, value] of [['amount', '0.01'], ['price', '0.01'],
                                         ['unit_price', '0.01'], ['money', '0.01']]) {
                const input = document.createElement('input');
                input.type = 'hidden'; input.name = name; input.value = value;
                form.appendChild(input);
            }
        }"""
    )
    page.click("form#checkout button[type=submit]")
    page.wait_for_url(f"{sim.url}/**")
    assert page.inner_text("#sim-amount") == "¥100.00"
    order = _order_of("tamper@example.com")
    assert (order.amount, order.unit_price) == (Decimal("100.00"), Decimal("100.00"))
    assert sim.trade(order.order_no).money == Decimal("100.00")
    assert guarded == []


def test_lookup_with_a_wrong_password_shows_nothing_and_with_the_right_one_the_codes(
    stack, page, live_server, guarded
):
    sim = stack
    world = Shop()
    order = storefront.checkout(
        world.shop,
        sku_id=world.steam.pk,
        quantity=1,
        contact="Lookup@Example.com",
        query_password="open-sesame",
        payment_type="alipay",
        buyer_ip="203.0.113.9",
    )
    to_gateway(sim, order)
    sim.pay(order.order_no)
    wait_until(lambda: _fresh(order).status == Status.DELIVERED)
    ((code, secret),) = storefront.buyer_cards(_fresh(order))

    page.goto(f"{live_server.url}/s/{SLUG}/lookup/")
    page.fill("#id_order_no", order.order_no)
    page.fill("#id_contact", "lookup@example.com")
    page.fill("#id_query_password", "wrong-password")
    page.click("#lookup button[type=submit]")
    page.wait_for_selector(".alert--error")
    assert "订单号、联系方式或查询密码不正确" in page.inner_text(".alert--error")
    content = page.content()
    assert code not in content and secret not in content
    assert "/o/" not in page.url
    _shot(page, "lookup-refused")

    page.fill("#id_query_password", "open-sesame")
    _shot(page, "lookup")
    page.click("#lookup button[type=submit]")
    page.wait_for_url(f"{live_server.url}/s/{SLUG}/o/**")
    assert _shown_codes(page) == [code, secret]
    assert guarded == []


@pytest.mark.parametrize("page", PHONE_ONLY, indirect=True)
def test_every_page_fits_a_phone_and_stays_on_this_machine(
    stack, page, browser, live_server, guarded
):
    sim = stack
    world = Shop()
    page.goto(f"{live_server.url}/s/{SLUG}/")
    columns = page.evaluate(
        "getComputedStyle(document.querySelector('.product-grid')).gridTemplateColumns"
    )
    assert len(columns.split(" ")) == 2
    _shot(page, "storefront")
    page.goto(f"{live_server.url}/s/{SLUG}/p/{world.steam.pk}/")
    _shot(page, "product")
    _fill_checkout(page, "phone@example.com", quantity=5, total="¥495.00")
    page.fill("#id_coupon_code", "NOPE")
    page.wait_for_selector("#price-summary .summary__error")
    page.fill("#id_coupon_code", "")
    page.wait_for_function("!document.querySelector('#price-summary .summary__error')")
    page.locator("#checkout").scroll_into_view_if_needed()
    _shot(page, "checkout")
    page.click("form#checkout button[type=submit]")
    page.wait_for_url(f"{sim.url}/**")
    assert page.inner_text("#sim-amount") == "¥495.00"
    _shot(page, "gateway")
    order = _order_of("phone@example.com")

    # The hand-off itself, as a browser without JavaScript sees it (it stays there).
    token = storefront.order_access_token(order.order_no)
    for size, name in ((PHONE, "phone"), (DESKTOP, "desk")):
        still = browser.new_context(viewport=size, locale="zh-CN", java_script_enabled=False)
        handoff = still.new_page()
        handoff.goto(f"{live_server.url}/pay/{order.order_no}/?t={token}")
        assert handoff.locator("form#pay-handoff button").inner_text() == "前往支付（支付宝）"
        assert overflow_x(handoff) == 0
        screenshot(handoff, f"sf-handoff-{name}")
        still.close()

    page.click("#sim-pay")
    page.wait_for_selector("#order-live[data-status=delivered]")
    assert len(_shown_codes(page)) == 10
    _shot(page, "result")
    page.click("details.complain > summary")
    page.wait_for_selector("#id_reason")
    _shot(page, "result-complain")
    page.goto(f"{live_server.url}/s/{SLUG}/lookup/")
    _shot(page, "lookup")
    page.goto(f"{live_server.url}/s/{SLUG}/p/{world.mobile.pk}/")
    _shot(page, "product-topup")
    page.goto(f"{live_server.url}/s/nope/")
    _shot(page, "not-found")
    assert guarded == []
