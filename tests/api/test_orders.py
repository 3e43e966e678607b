"""The distributor's view through the API: its products at its price, its balance, its
orders — bought once per out_trade_no — and never anyone else's."""

from decimal import Decimal

import pytest

from kameng.agents import services as agents
from kameng.catalog.models import Sku
from kameng.client import signed_headers
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.stock.models import Card
from tests import factories
from tests.distributor import distributor_for
from tests.orders.helpers import assert_books_sound


def error(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


# --- products and balance -----------------------------------------------------------------


def test_products_carry_the_agents_own_price_and_stock(world, shop, rival):
    mine = shop.call("GET", "/api/v1/products").json()["products"]
    theirs = rival.call("GET", "/api/v1/products").json()["products"]
    [product] = [p for p in mine if p["sku_id"] == world.sku.pk]
    # Level prices: agent3 pays 98.50 for face 100, agent2 97.00.
    assert product["price"] == "98.50"
    assert [p["price"] for p in theirs if p["sku_id"] == world.sku.pk] == ["97.00"]
    assert (product["stock_state"], product["stock"], product["kind"]) == ("in_stock", 20, "card")


def test_a_sub_agent_price_set_by_the_parent_is_what_the_api_shows(world, shop):
    agents.set_price(world.a2, world.sku, sub_agent_price=Decimal("99.00"))
    product = shop.call("GET", f"/api/v1/products/{world.sku.pk}").json()
    assert product["price"] == "99.00"


def test_sold_out_and_unlisted_skus(world, shop):
    empty = factories.sku("30.00")
    hidden = factories.sku("40.00", authorised=False)
    products = {p["sku_id"]: p for p in shop.call("GET", "/api/v1/products").json()["products"]}
    assert products[empty.pk]["stock_state"] == "out_of_stock"
    assert products[empty.pk]["stock"] == 0
    assert hidden.pk not in products
    assert error(shop.call("GET", f"/api/v1/products/{hidden.pk}")) == (404, "sku_not_found")
    assert error(shop.call("GET", "/api/v1/products/999999")) == (404, "sku_not_found")


def test_direct_skus_are_in_stock_only_while_a_supplier_can_take_them(world, shop):
    direct = factories.sku("50.00", kind=Sku.Kind.DIRECT)
    product = shop.call("GET", f"/api/v1/products/{direct.pk}").json()
    assert (product["kind"], product["stock_state"], product["stock"]) == (
        "direct",
        "out_of_stock",
        None,
    )


def test_balance_shows_prepaid_and_held_amounts(world, shop, rival):
    assert shop.buy(world.sku.pk, "b-1", quantity=2).status_code == 201
    mine = shop.call("GET", "/api/v1/balance").json()
    assert mine == {
        "currency": "CNY",
        "balance": "1803.00",  # 2000 − 2 × 98.50
        "held": "197.00",  # in escrow until confirmed
        "pending_earnings": "0.00",
    }
    # agent2 earns 2 × (98.50 − 97.00) when that order is released.
    assert rival.call("GET", "/api/v1/balance").json()["pending_earnings"] == "3.00"
    order = Order.objects.get(out_trade_no="b-1")
    orders.confirm_receipt(order)
    assert shop.call("GET", "/api/v1/balance").json()["held"] == "0.00"
    assert rival.call("GET", "/api/v1/balance").json()["pending_earnings"] == "0.00"


# --- placing orders -----------------------------------------------------------------------


def test_an_order_answers_201_with_its_codes(world, shop):
    response = shop.buy(world.sku.pk, "shop-1", quantity=2)
    assert response.status_code == 201
    body = response.json()
    assert body["out_trade_no"] == "shop-1"
    assert (body["status"], body["amount"], body["quantity"]) == ("delivered", "197.00", 2)
    assert len(body["cards"]) == 2
    sold = Card.objects.filter(order__order_no=body["order_no"])
    assert {c["code"] for c in body["cards"]} == set(sold.values_list("code", flat=True))
    assert all(c["secret"] for c in body["cards"])
    assert factories.wallet(world.a3) == Decimal("1803.00")


def test_the_same_request_again_returns_the_same_order_once(world, shop):
    first = shop.buy(world.sku.pk, "retry-1")
    again = shop.buy(world.sku.pk, "retry-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Order.objects.filter(out_trade_no="retry-1").count() == 1
    assert factories.wallet(world.a3) == Decimal("1901.50")


@pytest.mark.parametrize("change", [{"quantity": 2}, {"callback_url": "https://shop.example/cb"}])
def test_the_same_out_trade_no_for_a_different_request_is_409(world, shop, change):
    shop.buy(world.sku.pk, "dup-1")
    response = shop.buy(world.sku.pk, "dup-1", **change)
    assert error(response) == (409, "duplicate_out_trade_no")
    assert response.json()["error"]["order_no"] == Order.objects.get().order_no
    assert factories.wallet(world.a3) == Decimal("1901.50")


def test_two_agents_may_use_the_same_out_trade_no(world, shop, rival):
    assert shop.buy(world.sku.pk, "shared-no").status_code == 201
    assert rival.buy(world.sku.pk, "shared-no").status_code == 201


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"sku_id": 999_999}, (404, "sku_not_found")),
        ({"quantity": 21}, (409, "out_of_stock")),
        ({"quantity": 0}, (400, "invalid_input")),
        ({"quantity": 101}, (400, "invalid_input")),
        ({"out_trade_no": ""}, (400, "invalid_input")),
        ({"out_trade_no": "x" * 65}, (400, "invalid_input")),
        ({"account": "13800138000"}, (400, "invalid_account")),
        ({"callback_url": "ftp://shop/cb"}, (400, "invalid_input")),
        ({"unknown_field": 1}, (400, "invalid_input")),
        # Integers only, as the OpenAPI document says: no booleans, strings or floats.
        ({"quantity": True}, (400, "invalid_input")),
        ({"quantity": "2"}, (400, "invalid_input")),
        ({"quantity": 2.0}, (400, "invalid_input")),
        ({"sku_id": True}, (400, "invalid_input")),
        # Spaces at either end would make a different idempotency key than it looks.
        ({"out_trade_no": " refused"}, (400, "invalid_input")),
        ({"out_trade_no": "refused "}, (400, "invalid_input")),
    ],
)
def test_refused_orders_change_nothing(world, shop, body, expected):
    before = (factories.wallet(world.a3), Card.objects.filter(status="available").count())
    payload = {"out_trade_no": "refused", "sku_id": world.sku.pk, "quantity": 1, **body}
    response = shop.call("POST", "/api/v1/orders", payload)
    assert error(response) == expected
    assert response.json()["error"]["message"]
    assert not Order.objects.exists()
    assert (factories.wallet(world.a3), Card.objects.filter(status="available").count()) == before
    assert_books_sound()


def test_an_order_beyond_the_balance_is_refused(world):
    poor = distributor_for(factories.agent("poor", parent=world.a2, funds="50"))
    response = poor.buy(world.sku.pk, "too-dear")
    assert error(response) == (402, "insufficient_balance")
    assert not Order.objects.exists()
    assert factories.wallet(poor.agent) == Decimal("50.00")
    assert Card.objects.filter(status="available").count() == 20


@pytest.mark.parametrize(
    "raw", [b"", b"{", b"[]", b'"text"', b'{"out_trade_no": 5, "sku_id": "x"}', b"\xff\xfe"]
)
def test_malformed_bodies_are_400(world, shop, raw):
    headers = signed_headers(shop.app_key, shop.secret, "POST", "/api/v1/orders", raw)
    response = shop.send("POST", "/api/v1/orders", raw, headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"invalid_input", "bad_request"}
    assert not Order.objects.exists()


# --- reading orders -----------------------------------------------------------------------


def test_get_order_and_find_it_by_out_trade_no(world, shop):
    placed = shop.buy(world.sku.pk, "find-me").json()
    by_no = shop.call("GET", f"/api/v1/orders/{placed['order_no']}")
    assert by_no.status_code == 200
    assert by_no.json() == placed
    found = shop.call("GET", "/api/v1/orders?out_trade_no=find-me").json()["orders"]
    assert found == [placed]
    assert shop.call("GET", "/api/v1/orders?out_trade_no=nope").json()["orders"] == []


def test_order_list_newest_first_and_filtered_by_status(world, shop):
    for n in range(3):
        shop.buy(world.sku.pk, f"list-{n}")
    listed = shop.call("GET", "/api/v1/orders?limit=2").json()["orders"]
    assert [o["out_trade_no"] for o in listed] == ["list-2", "list-1"]
    orders.confirm_receipt(Order.objects.get(out_trade_no="list-0"))
    completed = shop.call("GET", "/api/v1/orders?status=completed").json()["orders"]
    assert [o["out_trade_no"] for o in completed] == ["list-0"]


def test_another_agents_order_is_404_not_its_data(world, shop, rival):
    theirs = rival.buy(world.sku.pk, "rival-order").json()
    for method, path in [
        ("GET", f"/api/v1/orders/{theirs['order_no']}"),
        ("GET", f"/api/v1/orders/{theirs['order_no']}/webhooks"),
        ("POST", f"/api/v1/orders/{theirs['order_no']}/webhooks"),
    ]:
        response = shop.call(method, path)
        assert error(response) == (404, "order_not_found"), path
        assert theirs["cards"][0]["secret"] not in response.content.decode()
    # By out_trade_no: only one's own orders are searched.
    assert shop.call("GET", "/api/v1/orders?out_trade_no=rival-order").json()["orders"] == []
    # Not even the parent agent sees its sub-agent's card secrets through the API.
    mine = shop.buy(world.sku.pk, "child-order").json()
    assert error(rival.call("GET", f"/api/v1/orders/{mine['order_no']}")) == (
        404,
        "order_not_found",
    )


def test_a_card_order_without_callback_cannot_be_resent(world, shop):
    placed = shop.buy(world.sku.pk, "no-cb").json()
    response = shop.call("POST", f"/api/v1/orders/{placed['order_no']}/webhooks")
    assert error(response) == (409, "no_callback_url")


# --- after delivery -----------------------------------------------------------------------


def test_confirming_releases_escrow_along_the_chain(world, shop):
    placed = shop.buy(world.sku.pk, "conf-1").json()
    agent2_before = factories.wallet(world.a2)
    response = shop.call("POST", f"/api/v1/orders/{placed['order_no']}/confirm")
    assert (response.status_code, response.json()["status"]) == (200, "completed")
    assert factories.wallet(world.a2) == agent2_before + Decimal("1.50")  # its spread
    again = shop.call("POST", f"/api/v1/orders/{placed['order_no']}/confirm")
    assert error(again) == (409, "illegal_transition")
    assert_books_sound()


def test_a_dispute_keeps_the_money_in_escrow(world, shop):
    placed = shop.buy(world.sku.pk, "disp-1").json()
    path = f"/api/v1/orders/{placed['order_no']}/dispute"
    assert error(shop.call("POST", path, {"reason": ""})) == (400, "invalid_input")
    response = shop.call("POST", path, {"reason": "卡密无效"})
    assert (response.status_code, response.json()["status"]) == (200, "disputed")
    assert shop.call("GET", "/api/v1/balance").json()["held"] == "98.50"


def test_storefront_sales_are_not_the_distributors_purchases(world, shop):
    sale = orders.create_storefront_order(seller=world.a3, sku_id=world.sku.pk, quantity=1).order
    assert error(shop.call("GET", f"/api/v1/orders/{sale.order_no}")) == (404, "order_not_found")
    assert shop.call("GET", "/api/v1/orders").json()["orders"] == []


def test_a_wrong_method_is_a_json_405(shop):
    response = shop.call("DELETE", "/api/v1/orders")
    assert error(response) == (405, "method_not_allowed")
    assert "POST" in response["Allow"]


def test_invalid_input_names_the_field(world, shop):
    response = shop.call("POST", "/api/v1/orders", {"out_trade_no": "f", "sku_id": "abc"})
    assert error(response) == (400, "invalid_input")
    assert [f["field"] for f in response.json()["error"]["fields"]] == ["sku_id"]


def test_answers_are_utf8_not_escaped(world, shop):
    response = shop.call("GET", "/api/v1/products")
    assert "测试卡".encode() in response.content


def test_a_post_to_an_unknown_api_path_is_a_json_404_not_a_csrf_page(world, shop):
    response = shop.call("POST", "/api/v1/no-such-thing", {"x": 1})
    assert error(response) == (404, "not_found")
    assert response["Content-Type"].startswith("application/json")


def test_a_buyer_may_withdraw_its_complaint_by_confirming(world, shop):
    order_no = shop.buy(world.sku.pk, "withdraw").json()["order_no"]
    shop.call("POST", f"/api/v1/orders/{order_no}/dispute", {"reason": "卡密无效"})
    before = factories.wallet(world.a2)
    response = shop.call("POST", f"/api/v1/orders/{order_no}/confirm")
    assert (response.status_code, response.json()["status"]) == (200, "completed")
    # Released along the chain as for any confirmation: agent2 earned its spread.
    assert factories.wallet(world.a2) == before + Decimal("1.50")
    order = Order.objects.get(order_no=order_no)
    assert order.events.last().note == "complaint withdrawn; confirmed by buyer"
    assert_books_sound()
