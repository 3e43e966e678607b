"""卡密批次: a supplier uploads codes for one of its SKUs (the stock import service) and
reads the duplicate report; stock per SKU and the batch history; secrets never shown."""

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kameng.orders import services as orders
from kameng.stock.models import Card, CardBatch
from kameng.suppliers import services as suppliers
from kameng.suppliers.accounts import register_supplier_user
from tests import factories
from tests.console.conftest import PASSWORD, Person, log_in

pytestmark = pytest.mark.django_db

URL = "/console/s/batches/"


@pytest.fixture
def signed_in(client, supplier_person):
    log_in(client, supplier_person)
    return client


def _batch_count(world) -> int:
    return CardBatch.objects.filter(supplier=world.supplier).count()


def test_an_upload_with_duplicates_reports_each_kind_by_line(signed_in, world):
    already = Card.objects.filter(supplier=world.supplier).order_by("pk").first()
    text = "\n".join(
        [
            "NEW-1,secret-one",  # 1 imported
            "NEW-2,secret-two",  # 2 imported
            "NEW-1,secret-one",  # 3 repeated in this upload
            f"{already.code},anything",  # 4 its code is already in stock
            "a,b,c",  # 5 not a card line
            "NEW-3----secret-three",  # 6 imported
        ]
    )
    before = _batch_count(world)
    response = signed_in.post(URL, {"sku": world.sku.pk, "text": text})
    assert response.status_code == 302
    batch = CardBatch.objects.filter(supplier=world.supplier).latest("pk")
    assert response["Location"] == f"/console/s/batches/{batch.pk}/"
    assert _batch_count(world) == before + 1
    assert (batch.imported, batch.rejected) == (3, 3)

    page = signed_in.get(response["Location"]).content.decode()
    report = page[page.index('id="import-report"') :]
    counts = re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", report)
    assert counts[:4] == [
        ("已导入", "3"),
        ("本次上传内重复", "1"),
        ("与已有库存重复", "1"),
        ("格式错误", "1"),
    ]
    assert "本次上传内重复：</strong>第 3 行" in report
    assert "与已有库存重复：</strong>第 4 行" in report
    assert "格式错误：</strong>第 5 行" in report
    assert "已导入 3 张卡密，3 行未导入" in page
    # The batch's cards by status: 3 for sale.
    assert 'data-status="available">3<' in page
    for secret in ("secret-one", "secret-two", "secret-three"):
        assert secret not in page
        assert secret not in signed_in.get(URL).content.decode()


def test_nothing_new_is_refused_with_the_report_and_no_batch(signed_in, world):
    existing = Card.objects.filter(supplier=world.supplier).order_by("pk")[:2]
    text = "\n".join(f"{card.code},x{n}" for n, card in enumerate(existing))
    before = _batch_count(world)
    response = signed_in.post(URL, {"sku": world.sku.pk, "text": text + "\n" + text})
    page = response.content.decode()
    assert response.status_code == 400
    assert "文件里没有可导入的新卡密" in page
    assert "与已有库存重复：</strong>第 1、2 行" in page
    assert "本次上传内重复：</strong>第 3、4 行" in page
    assert _batch_count(world) == before


def test_a_csv_file_from_a_chinese_excel_is_read(signed_in, world):
    data = "卡号,卡密\nGBK-1,密码一\nGBK-2,密码二\n".encode("gb18030")
    upload = SimpleUploadedFile("第二批.csv", data, content_type="text/csv")
    response = signed_in.post(URL, {"sku": world.sku.pk, "file": upload})
    assert response.status_code == 302
    batch = CardBatch.objects.filter(supplier=world.supplier).latest("pk")
    assert (batch.imported, batch.source_name) == (2, "第二批.csv")
    page = signed_in.get(response["Location"]).content.decode()
    assert "第二批.csv" in page and "密码一" not in page


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({}, "请粘贴卡密或上传文件"),
        ({"text": "A,B", "file": SimpleUploadedFile("a.csv", b"C,D")}, "请只用一种方式"),
        ({"file": SimpleUploadedFile("a.csv", b"\xff\xfe\x00\xd8bad")}, "UTF-8 或 GBK"),
    ],
)
def test_an_upload_without_cards_is_refused(signed_in, world, data, said):
    before = _batch_count(world)
    response = signed_in.post(URL, {"sku": world.sku.pk, **data})
    assert response.status_code == 400
    assert said in response.content.decode()
    assert _batch_count(world) == before


def test_only_its_own_licensed_skus_take_codes(signed_in, world):
    other = factories.supplier()
    their_sku = factories.sku("30.00")
    factories.stock(their_sku, other, 1)
    page = signed_in.get(URL).content.decode()
    assert f'value="{world.sku.pk}"' in page and f'value="{their_sku.pk}"' not in page
    for sku in (their_sku.pk, "not-a-number", 99999999):
        response = signed_in.post(URL, {"sku": sku, "text": "X-1,secret"})
        assert response.status_code == 400
    assert not CardBatch.objects.filter(sku=their_sku, supplier=world.supplier).exists()
    assert CardBatch.objects.filter(sku=their_sku).count() == 1


def test_stock_per_sku_marks_low_stock(signed_in, world):
    plenty = factories.sku("10.00")
    factories.stock(plenty, world.supplier, 25, cost="9.00")
    orders.place_order(agent=world.a3, sku_id=world.sku.pk, quantity=2, out_trade_no="b-1")
    page = signed_in.get(URL).content.decode()
    rows = re.findall(r"<tr>\s*<td>([^<]+)</td>\s*<td class=\"num\">(\d+)</td>.*?</tr>", page, re.S)
    shown = {name.strip(): int(n) for name, n in rows}
    assert shown[f"{world.sku.product.name} {world.sku.name}"] == 18
    assert shown[f"{plenty.product.name} {plenty.name}"] == 25
    assert page.count("库存不足") == 1 + 1  # the badge of the 18, and the note below


def test_the_history_is_paginated_and_odd_page_numbers_do_no_harm(
    signed_in, world, django_assert_max_num_queries
):
    for n in range(30):
        signed_in.post(URL, {"sku": world.sku.pk, "text": f"H-{n},hist-{n}"})
    with django_assert_max_num_queries(14):
        first = signed_in.get(URL)
    assert first.status_code == 200
    assert "第 1 / 2 页" in first.content.decode()
    for page in ("2", "99999", "-1", "abc", "1e9"):
        response = signed_in.get(URL, {"page": page})
        assert response.status_code == 200
        assert "/ 2 页" in response.content.decode()


def test_the_upload_form_is_absent_without_a_licensed_card_sku(client, db):
    lonely = factories.supplier()
    account = register_supplier_user("lonely", PASSWORD, "l@example.com", supplier=lonely)
    log_in(client, Person("lonely", PASSWORD, account.user))
    page = client.get(URL).content.decode()
    assert "没有可上传卡密的商品" in page and 'name="text"' not in page


def test_another_suppliers_batch_is_a_404_for_get_and_post(signed_in, world):
    other = factories.supplier()
    sku = factories.sku("20.00")
    factories.stock(sku, other, 2)
    theirs = CardBatch.objects.get(supplier=other)
    for url in (f"/console/s/batches/{theirs.pk}/", "/console/s/batches/99999999/"):
        assert signed_in.get(url).status_code == 404
        assert signed_in.post(url, {"sku": sku.pk, "text": "Z,z"}).status_code == 404
    assert CardBatch.objects.filter(supplier=other).count() == 1
    assert Card.objects.filter(batch=theirs).count() == 2
    mine = CardBatch.objects.filter(supplier=world.supplier).first()
    assert signed_in.get(f"/console/s/batches/{mine.pk}/").status_code == 200
    assert signed_in.post(f"/console/s/batches/{mine.pk}/").status_code == 405


def test_a_batch_page_costs_a_few_queries(signed_in, world, django_assert_max_num_queries):
    mine = CardBatch.objects.filter(supplier=world.supplier).first()
    suppliers.set_offer(world.supplier, world.sku, Decimal("90.00"))
    with django_assert_max_num_queries(10):
        assert signed_in.get(f"/console/s/batches/{mine.pk}/").status_code == 200
