"""The distributor console through its pages (Django's test client) and the real
services: what a distributor sees and can do, that a refusal is a form error, and that
another principal's objects are a 404 that changes nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from kameng.agents import invites
from kameng.agents.credentials import create_api_key
from kameng.agents.models import Agent, AgentPrice, ApiKey, InviteLink, TopUpRequest
from kameng.agents.pricing import quote
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.storefront import services as storefront
from kameng.storefront.models import Coupon, PriceTier, Storefront
from tests import factories
from tests.console.conftest import PASSWORD, log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, distributor):
    log_in(client, distributor)
    return client


def _buy(agent, n="o1", quantity=1, sku=None, world=None):
    return orders.place_order(
        agent=agent, sku_id=(sku or world.sku).pk, quantity=quantity, out_trade_no=n
    ).order


def _text(response) -> str:
    return response.content.decode()


# --- dashboard -----------------------------------------------------------------------------


def test_the_dashboard_shows_sales_spreads_balance_and_charts(signed_in, world):
    _buy(world.a2, "d1", 2, world=world)  # its own: 2 × 97.00
    _buy(world.a3, "d2", 1, world=world)  # below it: 98.50, its spread 1.50 pending
    page = _text(signed_in.get("/console/d/"))
    assert "194.00" in page  # today's and this month's own sales
    assert "98.50" in page  # the subtree's sales
    assert "1.50" in page  # pending spread
    assert "¥4806.00" in page  # 5000 − 194
    assert 'id="sales-by-day-data"' in page and 'id="sales-by-product-data"' in page
    assert reverse("console:d:money") in page and reverse("console:d:orders") in page


def test_the_dashboard_costs_a_bounded_number_of_queries(
    signed_in, world, django_assert_max_num_queries
):
    for i in range(5):
        _buy(world.a2, f"q{i}", world=world)
    with django_assert_max_num_queries(20):
        assert signed_in.get("/console/d/").status_code == 200


# --- orders --------------------------------------------------------------------------------


def test_orders_are_listed_searched_and_filtered(signed_in, world):
    mine = _buy(world.a2, "find-me", world=world)
    other = _buy(world.a2, "other", world=world)
    theirs = _buy(world.a3, "theirs", world=world)
    page = _text(signed_in.get("/console/d/orders/"))
    assert mine.order_no in page and other.order_no in page
    assert theirs.order_no not in page  # a sub-agent's orders are summed, never listed
    found = _text(signed_in.get("/console/d/orders/?q=find-me"))
    assert mine.order_no in found and other.order_no not in found
    assert mine.order_no in _text(signed_in.get(f"/console/d/orders/?q={mine.order_no}"))
    none = _text(signed_in.get("/console/d/orders/?status=refunded"))
    assert mine.order_no not in none and "没有符合条件的订单" in none
    today = timezone.localdate()
    dated = signed_in.get(f"/console/d/orders/?start={today}&end={today}&sku={world.sku.pk}")
    assert mine.order_no in _text(dated)
    old = signed_in.get(f"/console/d/orders/?end={today - timedelta(days=3)}")
    assert mine.order_no not in _text(old)


@pytest.mark.parametrize(
    "query",
    ["page=999999", "page=abc", "sku=abc&status=nonsense&start=2026-13-45", "q=" + "x" * 500],
)
def test_bad_filters_are_no_error_page(signed_in, world, query):
    _buy(world.a2, world=world)
    assert signed_in.get(f"/console/d/orders/?{query}").status_code == 200


def test_the_orders_list_is_paginated_with_bounded_queries(
    signed_in, world, django_assert_max_num_queries
):
    factories.stock(world.sku, world.supplier, 10)
    for i in range(30):
        _buy(world.a2, f"p{i}", world=world)
    with django_assert_max_num_queries(14):
        page = _text(signed_in.get("/console/d/orders/"))
    assert page.count('href="/console/d/orders/K') == 25
    assert "第 1 / 2 页" in page
    assert _text(signed_in.get("/console/d/orders/?page=2")).count('href="/console/d/orders/K') == 5


def test_the_order_page_shows_its_history_and_its_own_codes(signed_in, world):
    order = _buy(world.a2, world=world)
    codes = orders.reveal_cards(order, world.a2)
    page = _text(signed_in.get(f"/console/d/orders/{order.order_no}/"))
    assert codes and all(secret in page for _, secret in codes)
    assert "处理记录" in page and "已发货" in page
    assert "确认收货" in page and "申请售后" in page


def test_a_storefront_buyers_codes_are_not_shown_to_the_shop_owner(signed_in, world):
    order = _buy(world.a2, world=world)
    Order.objects.filter(pk=order.pk).update(channel=Order.Channel.STOREFRONT)
    (_code, secret), *_ = orders.reveal_cards(order, world.a2)
    page = _text(signed_in.get(f"/console/d/orders/{order.order_no}/"))
    assert secret not in page and "卡密只向买家显示" in page
    assert signed_in.post(f"/console/d/orders/{order.order_no}/confirm/").status_code == 404
    assert Order.objects.get(pk=order.pk).status == "delivered"


def test_confirming_an_order_releases_it(signed_in, world):
    order = _buy(world.a2, world=world)
    response = signed_in.post(f"/console/d/orders/{order.order_no}/confirm/")
    assert response.status_code == 302
    assert Order.objects.get(pk=order.pk).status == "completed"
    assert "已确认收货" in _text(signed_in.get(response["Location"]))


def test_a_dispute_needs_a_reason_and_then_holds_the_order(signed_in, world):
    order = _buy(world.a2, world=world)
    url = f"/console/d/orders/{order.order_no}/dispute/"
    refused = signed_in.post(url, {"reason": ""})
    assert refused.status_code == 400 and Order.objects.get(pk=order.pk).status == "delivered"
    assert signed_in.post(url, {"reason": "卡密无效"}).status_code == 302
    order.refresh_from_db()
    assert order.status == "disputed" and order.dispute_reason == "卡密无效"


def test_anothers_order_is_404_on_every_page_and_nothing_changes(signed_in, world):
    theirs = _buy(world.a3, world=world)
    base = f"/console/d/orders/{theirs.order_no}/"
    page = signed_in.get(base)
    assert page.status_code == 404 and "页面不存在" in _text(page)
    assert "卡密" not in _text(page) and theirs.out_trade_no not in _text(page)
    for action in ("confirm/", "dispute/", "resend/"):
        assert signed_in.post(base + action, {"reason": "x"}).status_code == 404
        assert signed_in.get(base + action).status_code == 404
    assert Order.objects.get(pk=theirs.pk).status == "delivered"
    assert signed_in.get("/console/d/orders/not-a-number/").status_code == 404


def test_resend_without_a_callback_url_is_a_message(signed_in, world):
    order = _buy(world.a2, world=world)
    response = signed_in.post(f"/console/d/orders/{order.order_no}/resend/", follow=True)
    assert "该订单没有回调地址" in _text(response)


# --- buying for itself ---------------------------------------------------------------------


def _buy_form(client) -> dict:
    page = client.get("/console/d/orders/buy/")
    form = page.context["form"]
    return {"out_trade_no": form.initial["out_trade_no"]}


def test_buying_for_itself_places_the_order_once(signed_in, world):
    data = {**_buy_form(signed_in), "sku": world.sku.pk, "quantity": 2}
    response = signed_in.post("/console/d/orders/buy/", data)
    assert response.status_code == 302
    order = Order.objects.get(agent=world.a2)
    assert response["Location"] == f"/console/d/orders/{order.order_no}/"
    assert order.quantity == 2 and order.amount == Decimal("194.00")
    assert order.out_trade_no == data["out_trade_no"]
    again = signed_in.post("/console/d/orders/buy/", data)  # the form sent twice
    assert again["Location"] == response["Location"]
    assert Order.objects.filter(agent=world.a2).count() == 1
    assert factories.wallet(world.a2) == Decimal("4806.00")


def test_a_refused_purchase_is_a_form_error_and_nothing_is_bought(signed_in, world):
    factories.stock(world.sku, world.supplier, 60)
    poor = {**_buy_form(signed_in), "sku": world.sku.pk, "quantity": 60}  # 5820 > 5000
    response = signed_in.post("/console/d/orders/buy/", poor)
    assert response.status_code == 400 and "余额不足" in _text(response)
    empty = {**_buy_form(signed_in), "sku": world.sku.pk, "quantity": 81}  # 80 cards
    response = signed_in.post("/console/d/orders/buy/", empty)
    assert response.status_code == 400 and "库存不足" in _text(response)
    assert not Order.objects.filter(agent=world.a2).exists()
    assert factories.wallet(world.a2) == Decimal("5000.00")
    forged = {"out_trade_no": "mine", "sku": world.sku.pk, "quantity": 1}
    assert signed_in.post("/console/d/orders/buy/", forged).status_code == 400


def test_a_direct_top_up_needs_its_account(signed_in, world):
    sku = factories.direct_sku()
    data = {**_buy_form(signed_in), "sku": sku.pk, "quantity": 1}
    response = signed_in.post("/console/d/orders/buy/", data)
    assert response.status_code == 400 and "直充商品须填写充值账号" in _text(response)


# --- sub-agents and invites ----------------------------------------------------------------


def test_sub_agents_are_listed_with_their_team_sales_and_browsable(signed_in, world):
    factories.levels()
    _buy(world.a3, "s1", 2, world=world)
    page = _text(signed_in.get("/console/d/agents/"))
    assert "agent3" in page and "197.00" in page  # 2 × 98.50
    assert "agent1" not in page
    assert "他们的进货价" in page and "¥98.50" in page  # what agent3 pays per card
    below = signed_in.get(f"/console/d/agents/?parent={world.a3.pk}")
    assert below.status_code == 200 and "还没有下级代理" in _text(below)


def test_browsing_outside_its_subtree_is_404(signed_in, world, stranger_agent):
    stranger = Agent.objects.get(user=stranger_agent.user)
    for parent in (world.a1.pk, stranger.pk, "x", "99999999"):
        assert signed_in.get(f"/console/d/agents/?parent={parent}").status_code == 404


def test_the_agents_list_costs_a_bounded_number_of_queries(
    signed_in, world, django_assert_max_num_queries
):
    from kameng.agents import services as agent_services

    for i in range(30):
        agent_services.create_agent(f"child{i}", parent=world.a2)
    with django_assert_max_num_queries(14):
        page = _text(signed_in.get("/console/d/agents/"))
    assert "第 1 / 2 页" in page


def test_an_invite_link_is_made_listed_and_revoked(signed_in, world):
    response = signed_in.post("/console/d/agents/invites/", {"label": "老王", "max_uses": 3})
    assert response.status_code == 302
    invite = InviteLink.objects.get(agent=world.a2)
    assert invite.label == "老王" and invite.max_uses == 3
    page = _text(signed_in.get("/console/d/agents/"))
    assert f"/console/join/{invite.token}/" in page and "可用" in page
    assert signed_in.post(f"/console/d/agents/invites/{invite.pk}/revoke/").status_code == 302
    invite.refresh_from_db()
    assert invite.revoked_at is not None
    page = _text(signed_in.get("/console/d/agents/"))
    assert "已作废" in page and f"/console/join/{invite.token}/" not in page


def test_a_bad_invite_form_is_400(signed_in, world):
    response = signed_in.post("/console/d/agents/invites/", {"max_uses": "0", "days": "-1"})
    assert response.status_code == 400 and not InviteLink.objects.exists()


def test_anothers_invite_cannot_be_revoked(signed_in, world):
    theirs = invites.create_invite(world.a1)
    assert signed_in.post(f"/console/d/agents/invites/{theirs.pk}/revoke/").status_code == 404
    assert signed_in.get(f"/console/d/agents/invites/{theirs.pk}/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_the_deepest_agent_cannot_invite(client, other_distributor, world):
    log_in(client, other_distributor)
    assert "不能再发展下级代理" in _text(client.get("/console/d/agents/"))
    assert client.post("/console/d/agents/invites/", {}).status_code == 400
    assert not InviteLink.objects.exists()


def test_a_newcomer_joins_by_the_link_and_is_signed_in(client, world):
    invite = invites.create_invite(world.a2)
    url = f"/console/join/{invite.token}/"
    page = client.get(url)
    assert page.status_code == 200 and "agent2" in _text(page)
    data = {"username": "newbie", "email": "", "password": PASSWORD, "password2": PASSWORD}
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == "/console/d/"
    newbie = Agent.objects.get(user__username="newbie")
    assert newbie.parent == world.a2 and factories.wallet(newbie) == Decimal("0.00")
    assert client.get("/console/d/").status_code == 200  # signed in as the newcomer
    invite.refresh_from_db()
    assert invite.used_count == 1


def test_a_refused_sign_up_is_a_form_error_and_spends_nothing(client, world):
    invite = invites.create_invite(world.a2, max_uses=1)
    url = f"/console/join/{invite.token}/"
    taken = {"username": "agent1", "password": PASSWORD, "password2": PASSWORD}
    response = client.post(url, taken)
    assert response.status_code == 400 and "用户名已被占用" in _text(response)
    weak = {"username": "weakling", "password": "123", "password2": "123"}
    response = client.post(url, weak)
    assert response.status_code == 400 and "密码不符合安全要求" in _text(response)
    mismatch = {"username": "x1", "password": PASSWORD, "password2": PASSWORD + "x"}
    assert client.post(url, mismatch).status_code == 400
    invite.refresh_from_db()
    assert invite.used_count == 0
    assert not get_user_model().objects.filter(username__in=["weakling", "x1"]).exists()


@pytest.mark.parametrize("state", ["unknown", "revoked", "expired", "used_up", "malformed"])
def test_an_unusable_invite_is_a_clear_page(client, world, state):
    invite = invites.create_invite(world.a2, max_uses=1)
    token = invite.token
    if state == "unknown":
        token = "A" * 32
    elif state == "malformed":
        token = "%3Cscript%3E"
    elif state == "revoked":
        invites.revoke_invite(world.a2, token)
    elif state == "expired":
        InviteLink.objects.filter(pk=invite.pk).update(expires_at=timezone.now())
    elif state == "used_up":
        invites.accept_invite(token, username="first", password=PASSWORD)
    url = f"/console/join/{token}/"
    data = {"username": "late", "password": PASSWORD, "password2": PASSWORD}
    for response in (client.get(url), client.post(url, data)):
        assert response.status_code == 404
        assert "邀请链接不可用" in _text(response)
    assert not Agent.objects.filter(user__username="late").exists()


# --- prices --------------------------------------------------------------------------------


def test_prices_show_cost_sub_agent_and_retail_prices(signed_in, world):
    page = _text(signed_in.get("/console/d/prices/"))
    assert "97.00" in page and "98.50" in page and "100.00" in page


def test_a_sub_agent_price_is_set_and_followed(signed_in, world):
    url = f"/console/d/prices/{world.sku.pk}/"
    response = signed_in.post(url, {"sub_agent_price": "99.00", "retail_price": ""})
    assert response.status_code == 302
    assert quote(world.a3, world.sku).links[-1].unit_price == Decimal("99.00")
    assert "99.00" in _text(signed_in.get("/console/d/prices/"))


def test_a_price_below_cost_is_refused_and_nothing_changes(signed_in, world):
    url = f"/console/d/prices/{world.sku.pk}/"
    response = signed_in.post(url, {"sub_agent_price": "96.00"})
    assert response.status_code == 400 and "价格须在成本价与面值之间" in _text(response)
    for bad in ("-1", "abc", "1e9"):
        assert signed_in.post(url, {"retail_price": bad}).status_code == 400
    assert not AgentPrice.objects.filter(agent=world.a2).exists()


def test_an_unknown_sku_price_page_is_404(signed_in, world):
    assert signed_in.get("/console/d/prices/987654/").status_code == 404
    assert signed_in.post("/console/d/prices/987654/", {"retail_price": "1"}).status_code == 404


def test_the_prices_list_costs_a_bounded_number_of_queries(
    signed_in, world, django_assert_max_num_queries
):
    for _ in range(30):
        factories.sku()
    with django_assert_max_num_queries(14):
        page = _text(signed_in.get("/console/d/prices/"))
    assert "第 1 / 2 页" in page


# --- the shop ------------------------------------------------------------------------------


def test_the_shop_is_opened_and_changed(signed_in, world):
    data = {"name": "二号小店", "slug": "shop-two", "notice": "欢迎", "colour": "#ff6600"}
    assert signed_in.post("/console/d/shop/", data).status_code == 302
    shop = Storefront.objects.get(agent=world.a2)
    assert (shop.name, shop.slug, shop.colour) == ("二号小店", "shop-two", "#ff6600")
    bad = signed_in.post("/console/d/shop/", {**data, "slug": "A!"})
    assert bad.status_code == 400
    shop.refresh_from_db()
    assert shop.slug == "shop-two"


def test_a_taken_shop_address_is_refused(signed_in, world):
    factories.storefront(world.a1, slug="taken")
    data = {"name": "x", "slug": "taken", "colour": "#ff6600"}
    response = signed_in.post("/console/d/shop/", data)
    assert response.status_code == 400 and "店铺地址已被占用" in _text(response)


def test_coupons_are_made_and_disabled_only_its_own(signed_in, world):
    data = {"code": "save5", "kind": "fixed", "value": "5"}
    assert signed_in.post("/console/d/shop/coupons/", data).status_code == 302
    coupon = Coupon.objects.get(agent=world.a2)
    assert coupon.code == "SAVE5" and coupon.active
    again = signed_in.post("/console/d/shop/coupons/", data)
    assert again.status_code == 400 and "优惠码已存在" in _text(again)
    assert signed_in.post(f"/console/d/shop/coupons/{coupon.pk}/disable/").status_code == 302
    coupon.refresh_from_db()
    assert not coupon.active
    theirs = storefront.create_coupon(world.a1, code="THEIRS", kind="fixed", value="1")
    assert signed_in.post(f"/console/d/shop/coupons/{theirs.pk}/disable/").status_code == 404
    assert signed_in.get(f"/console/d/shop/coupons/{theirs.pk}/disable/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.active


def test_price_tiers_are_set_within_bounds_and_removed(signed_in, world):
    data = {"sku": world.sku.pk, "min_quantity": 5, "unit_price": "98.00"}
    assert signed_in.post("/console/d/shop/tiers/", data).status_code == 302
    tier = PriceTier.objects.get(agent=world.a2)
    low = signed_in.post("/console/d/shop/tiers/", {**data, "unit_price": "90.00"})
    assert low.status_code == 400 and "阶梯价须在成本价与零售价之间" in _text(low)
    theirs = storefront.set_price_tier(world.a1, world.sku, min_quantity=3, unit_price="99")
    assert signed_in.post(f"/console/d/shop/tiers/{theirs.pk}/remove/").status_code == 404
    assert PriceTier.objects.filter(pk=theirs.pk).exists()
    assert signed_in.post(f"/console/d/shop/tiers/{tier.pk}/remove/").status_code == 302
    assert not PriceTier.objects.filter(pk=tier.pk).exists()


# --- API keys ------------------------------------------------------------------------------


def test_an_api_key_secret_is_shown_once(signed_in, world):
    response = signed_in.post("/console/d/api/keys/", {"label": "erp"})
    assert response.status_code == 302
    key = ApiKey.objects.get(agent=world.a2)
    page = signed_in.get("/console/d/api/")
    secret = page.context["new_key"]["secret"]
    assert secret in _text(page) and key.app_key in _text(page)
    assert "no-store" in page["Cache-Control"] or "no-cache" in page["Cache-Control"]
    again = _text(signed_in.get("/console/d/api/"))
    assert secret not in again and key.app_key in again


def test_api_keys_are_revoked_only_its_own(signed_in, world):
    mine = create_api_key(world.a2).key
    theirs = create_api_key(world.a3).key
    assert theirs.app_key not in _text(signed_in.get("/console/d/api/"))
    assert signed_in.post(f"/console/d/api/keys/{theirs.pk}/revoke/").status_code == 404
    assert signed_in.get(f"/console/d/api/keys/{theirs.pk}/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert signed_in.post(f"/console/d/api/keys/{mine.pk}/revoke/").status_code == 302
    mine.refresh_from_db()
    assert mine.revoked_at is not None


def test_the_api_page_costs_a_bounded_number_of_queries(
    signed_in, world, django_assert_max_num_queries
):
    for _ in range(5):
        create_api_key(world.a2)
    with django_assert_max_num_queries(14):
        assert signed_in.get("/console/d/api/").status_code == 200


# --- money ---------------------------------------------------------------------------------


def test_the_statement_lists_every_line_of_the_wallet(signed_in, world):
    order = _buy(world.a2, world=world)
    page = _text(signed_in.get("/console/d/money/"))
    assert order.order_no in page and "-¥97.00" in page and "¥4903.00" in page
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    later = signed_in.get(f"/console/d/money/?start={tomorrow}&end={tomorrow}")
    assert order.order_no not in _text(later)
    reversed_period = signed_in.get(
        f"/console/d/money/?start={today}&end={today.replace(year=2020)}"
    )
    assert reversed_period.status_code == 200


def test_the_money_page_costs_a_bounded_number_of_queries(
    signed_in, world, django_assert_max_num_queries
):
    factories.stock(world.sku, world.supplier, 10)
    for i in range(30):
        _buy(world.a2, f"m{i}", world=world)
    with django_assert_max_num_queries(16):
        page = _text(signed_in.get("/console/d/money/"))
    assert "第 1 / 2 页" in page


def test_a_top_up_request_is_made_and_listed(signed_in, world):
    data = {"amount": "500", "reference": "BANK-001", "note": ""}
    assert signed_in.post("/console/d/money/top-up/", data).status_code == 302
    request = TopUpRequest.objects.get(agent=world.a2)
    assert request.amount == Decimal("500.00") and request.status == "submitted"
    assert "BANK-001" in _text(signed_in.get("/console/d/money/"))
    again = signed_in.post("/console/d/money/top-up/", data)
    assert again.status_code == 400 and "该转账流水号已提交过充值申请" in _text(again)
    assert signed_in.post("/console/d/money/top-up/", {"amount": "-5"}).status_code == 400
    assert TopUpRequest.objects.count() == 1


def test_a_withdrawal_holds_the_money_and_more_than_the_balance_is_refused(signed_in, world):
    data = {"amount": "1000", "payee": "招商银行 6225 张三"}
    assert signed_in.post("/console/d/money/withdraw/", data).status_code == 302
    assert factories.wallet(world.a2) == Decimal("4000.00")
    too_much = signed_in.post("/console/d/money/withdraw/", {**data, "amount": "4000.01"})
    assert too_much.status_code == 400 and "余额不足" in _text(too_much)
    assert factories.wallet(world.a2) == Decimal("4000.00")
    assert "待付款" in _text(signed_in.get("/console/d/money/"))


# --- English -------------------------------------------------------------------------------


def test_the_pages_read_in_english(signed_in, world, english):
    signed_in.cookies["django_language"] = "en"
    for url, words in [
        ("/console/d/", "Today"),
        ("/console/d/orders/", "Buy for yourself"),
        ("/console/d/agents/", "Invite links"),
        ("/console/d/prices/", "My cost"),
        ("/console/d/api/", "API keys"),
        ("/console/d/money/", "Request a top-up"),
    ]:
        assert words in _text(signed_in.get(url)), url


def test_a_pay_link_is_made_for_a_customer(signed_in, world, gateway, settings):
    settings.KAMENG_PUBLIC_URL = "https://shop.example.com"
    data = {"sku": world.sku.pk, "quantity": 1, "contact": "13900139000"}
    response = signed_in.post("/console/d/shop/pay-links/", data)
    assert response.status_code == 302
    order = Order.objects.get(agent=world.a2)
    assert (order.channel, order.status) == ("storefront", "created")
    page = _text(signed_in.get("/console/d/shop/"))
    assert f"https://shop.example.com/pay/{order.order_no}/?t=" in page
    assert f"/pay/{order.order_no}/" not in _text(signed_in.get("/console/d/shop/"))


def test_no_pay_link_without_a_payment_gateway(signed_in, world):
    response = signed_in.post("/console/d/shop/pay-links/", {"sku": world.sku.pk, "quantity": 1})
    assert response.status_code == 400 and "尚未配置支付网关" in _text(response)
    assert not Order.objects.exists()


# --- whatever a person sends --------------------------------------------------------------

GARBAGE = [
    ("orders/buy/", {"sku": "x", "quantity": "1e99", "out_trade_no": "<>"}),
    ("orders/buy/", {"sku": "1", "quantity": str(10**20), "out_trade_no": "console-" + "0" * 20}),
    ("shop/", {"name": "x" * 1000, "slug": "..", "colour": "red", "notice": "x" * 5000}),
    ("shop/coupons/", {"code": "x" * 100, "kind": "zzz", "value": "NaN", "usage_limit": "9" * 20}),
    ("shop/coupons/", {"code": "OK-1", "kind": "percent", "value": "500"}),
    ("shop/tiers/", {"sku": "-1", "min_quantity": "9" * 20, "unit_price": "inf"}),
    ("shop/pay-links/", {"sku": "1", "quantity": "9" * 20}),
    ("money/top-up/", {"amount": "99999999999999", "reference": "a\x00b"}),
    ("money/withdraw/", {"amount": "0", "payee": ""}),
    ("agents/invites/", {"label": "x" * 1000, "max_uses": "9" * 20, "days": "99999"}),
    ("api/keys/", {"label": "x" * 1000}),
]


@pytest.mark.parametrize(("path", "data"), GARBAGE)
def test_malformed_input_is_a_400_never_a_500(signed_in, world, path, data):
    response = signed_in.post(f"/console/d/{path}", data)
    assert response.status_code == 400, _text(response)[:500]
    assert not Order.objects.exists() and not Coupon.objects.exists()
    assert factories.wallet(world.a2) == Decimal("5000.00")
