"""The supplier's home, statements and complaints: figures to the cent from the ledger,
complaints about its goods only, never a secret nor the buyer's contact."""

import json
import re
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from kameng.orders import services as orders
from kameng.orders.models import Order, OrderEvent
from kameng.stock.models import Card
from kameng.suppliers.payouts import pay_out
from kameng.topup.models import Attempt
from kameng.topup.services import Report, conclude
from kameng.upstream.adapters import Outcome
from tests import factories
from tests.console.conftest import PASSWORD, Person, log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Face 50.00, supplier cost 33.33 a card (sums that only add up if kept exact)."""
    return factories.World.build(cards=20, face="50.00", cost="33.33")


@pytest.fixture
def signed_in(client, supplier_person):
    log_in(client, supplier_person)
    return client


def _order(world, qty: int, no: str) -> Order:
    return orders.place_order(
        agent=world.a3, sku_id=world.sku.pk, quantity=qty, out_trade_no=no
    ).order


@pytest.fixture
def trade(world):
    """Three cards settled (2 + 1), one order in escrow, one disputed, one refunded
    after its dispute, and 50.00 paid out."""
    orders.confirm_receipt(_order(world, 2, "T-1"))
    orders.confirm_receipt(_order(world, 1, "T-2"))
    delivered = _order(world, 3, "T-3")
    disputed = orders.open_dispute(_order(world, 1, "T-4"), "卡密提示已使用")
    refunded = orders.open_dispute(_order(world, 1, "T-5"), "无效卡")
    orders.resolve_dispute(refunded, upheld=True)
    pay_out(world.supplier, Decimal("50.00"), reference="BANK-0001")
    return delivered, disputed, refunded


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_home_shows_settled_pending_owed_and_the_chart(signed_in, world, trade):
    response = signed_in.get("/console/s/")
    page = response.content.decode()
    text = _text(page)
    # Settled today: 3 cards × 33.33; pending: 3 + 1 cards in escrow; owed 99.99 − 50.
    assert "今日结算 ¥99.99 2 笔订单" in text
    assert "待结算（托管中） ¥133.32 2 笔订单" in text
    assert "平台应付余额 ¥49.99 已打款 ¥50.00" in text
    assert "有 1 笔订单正在售后中" in text
    chart = json.loads(re.search(r'id="supplier-sales-data"[^>]*>(.*?)</script>', page).group(1))
    assert chart["series"][0]["data"][-1] == "99.99"
    assert len(chart["labels"]) == 30
    assert "库存不足" in text  # 20 − 8 sold − 1 invalid = 11 cards left


def test_statements_of_this_month(signed_in, world, trade, django_assert_max_num_queries):
    with django_assert_max_num_queries(16):
        response = signed_in.get("/console/s/statements/")
    assert response.status_code == 200
    text = _text(response.content.decode())
    assert "期初应付 ¥0.00" in text
    assert "本期结算 +¥99.99 （2 笔订单）" in text
    assert "本期打款 -¥50.00" in text
    assert "期末应付 ¥49.99" in text
    assert "托管中（待结算） ¥133.32 （4 件）" in text
    assert "BANK-0001" in text
    # The payable account's postings, newest first: the payout, then two settlements.
    lines = re.findall(r"(订单结算|结算打款) (\S+) (-?¥[\d.]+)", text)
    assert lines == [
        ("结算打款", "BANK-0001", "-¥50.00"),
        ("订单结算", Order.objects.get(out_trade_no="T-2").order_no, "¥33.33"),
        ("订单结算", Order.objects.get(out_trade_no="T-1").order_no, "¥66.66"),
    ]


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2026-13-01"},
        {"start": "2026-12-07", "end": "2026-12-01"},
        {"start": "1900-01-01", "end": "2026-01-01"},
        {"start": "x" * 500},
    ],
)
def test_a_bad_period_is_said_and_the_page_still_answers(signed_in, world, query):
    response = signed_in.get("/console/s/statements/", query)
    assert response.status_code == 400
    assert "alert--error" in response.content.decode()


def test_an_earlier_period_and_odd_pages(signed_in, world, trade):
    response = signed_in.get("/console/s/statements/", {"start": "2020-01-01", "end": "2020-01-31"})
    text = _text(response.content.decode())
    assert response.status_code == 200 and "期末应付 ¥0.00" in text and "这段时间没有记账" in text
    for page in ("999999", "x", "0"):
        assert signed_in.get("/console/s/statements/", {"page": page}).status_code == 200


def test_complaints_list_its_disputed_orders(
    signed_in, world, trade, django_assert_max_num_queries
):
    delivered, disputed, refunded = trade
    with django_assert_max_num_queries(10):
        response = signed_in.get("/console/s/complaints/")
    page = response.content.decode()
    assert disputed.order_no in page and "卡密提示已使用" in page
    assert refunded.order_no not in page and delivered.order_no not in page
    everything = signed_in.get("/console/s/complaints/", {"show": "all"}).content.decode()
    assert disputed.order_no in everything and refunded.order_no in everything
    assert delivered.order_no not in everything


def test_a_complaint_shows_what_it_needs_and_no_more(signed_in, world, trade):
    _, disputed, _ = trade
    Order.objects.filter(pk=disputed.pk).update(buyer_contact="buyer@example.com")
    card = Card.objects.get(order=disputed)
    response = signed_in.get(f"/console/s/complaints/{disputed.order_no}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "卡密提示已使用" in page
    assert card.masked_code in page and f"/console/s/batches/{card.batch_id}/" in page
    assert "buyer@example.com" not in page
    assert card.code not in page
    assert card.secret_digest not in page and card.secret_encrypted not in page


def test_another_suppliers_complaint_is_a_404_for_get_and_post(signed_in, world, trade):
    other = factories.supplier()
    sku = factories.sku("20.00")
    factories.stock(sku, other, 2, cost="15.00")
    theirs = orders.place_order(agent=world.a3, sku_id=sku.pk, quantity=1, out_trade_no="O-1")
    theirs = orders.open_dispute(theirs.order, "坏卡")
    delivered, _, _ = trade
    for order_no in (theirs.order_no, delivered.order_no, "nothing", "x" * 300):
        url = f"/console/s/complaints/{order_no}/"
        assert signed_in.get(url).status_code == 404
        assert signed_in.post(url, {"text": "not mine"}).status_code == 404
    assert Order.objects.get(pk=theirs.pk).status == "disputed"
    assert not OrderEvent.objects.filter(note__contains="not mine").exists()
    assert (
        signed_in.get("/console/s/complaints/", {"show": "all"})
        .content.decode()
        .count(theirs.order_no)
        == 0
    )


def test_main_pages_answer_within_a_bounded_number_of_queries(
    signed_in, world, trade, django_assert_max_num_queries
):
    for url, most in (
        ("/console/s/", 16),
        ("/console/s/batches/", 14),
        ("/console/s/connection/", 10),
        ("/console/s/application/", 10),
    ):
        with django_assert_max_num_queries(most):
            assert signed_in.get(url).status_code == 200, url


def test_the_period_form_shows_the_period_read(signed_in, world):
    page = signed_in.get("/console/s/statements/", {"start": "2026-01-05", "end": "2026-02-01"})
    html = page.content.decode()
    assert 'name="start" value="2026-01-05"' in html and 'name="end" value="2026-02-01"' in html


def test_the_supplier_answers_an_open_complaint_for_the_operator(signed_in, world, trade):
    _, disputed, refunded = trade
    url = f"/console/s/complaints/{disputed.order_no}/"
    response = signed_in.post(url, {"text": "已核查：该卡密于售出前未被使用，\n批次正常。"})
    assert response.status_code == 302 and response["Location"] == url
    event = OrderEvent.objects.filter(order=disputed).latest("pk")
    assert (event.from_status, event.to_status) == ("disputed", "disputed")
    assert (
        event.note
        == f"供应商说明（{world.supplier.name}）：已核查：该卡密于售出前未被使用， 批次正常。"
    )
    page = signed_in.get(url).content.decode()
    assert "说明已提交" in page and "批次正常" in page
    assert Order.objects.get(pk=disputed.pk).status == "disputed"

    assert signed_in.post(url, {"text": ""}).status_code == 400
    assert signed_in.post(url, {"text": "x" * 201}).status_code == 400

    # A decided complaint takes no answer: no form, and a POST changes nothing.
    closed = f"/console/s/complaints/{refunded.order_no}/"
    assert 'id="reply"' not in signed_in.get(closed).content.decode()
    before = OrderEvent.objects.filter(order=refunded).count()
    response = signed_in.post(closed, {"text": "晚到的说明"})
    assert response.status_code == 400
    assert "订单当前状态不允许此操作" in response.content.decode()
    assert OrderEvent.objects.filter(order=refunded).count() == before


def test_a_top_up_complaint_shows_the_attempt_and_the_account_topped_up(client, world):
    direct = factories.direct_sku("50.00")
    source = factories.api_offer(direct, cost="45.00")
    account = factories.supplier_person(supplier=source)
    account.user.set_password(PASSWORD)
    account.user.save()
    order = orders.place_order(
        agent=world.a3,
        sku_id=direct.pk,
        quantity=1,
        out_trade_no="direct-1",
        recharge_account="13800138000",
    ).order
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().get(order=order)
        conclude(attempt, Report(Outcome.SUCCEEDED, retryable=False), timezone.now())
    Order.objects.filter(pk=order.pk).update(buyer_contact="buyer@example.com")
    orders.open_dispute(Order.objects.get(pk=order.pk), "没到账")

    log_in(client, Person(account.user.username, PASSWORD, account.user))
    assert order.order_no in client.get("/console/s/complaints/").content.decode()
    page = client.get(f"/console/s/complaints/{order.order_no}/").content.decode()
    assert "没到账" in page and "13800138000" in page and attempt.request_id in page
    assert "成功" in page and "¥45.00" in page
    assert "buyer@example.com" not in page
