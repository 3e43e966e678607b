"""The operator's docking pages (货源对接): the docked sites with their price rule, counts
and last error; a site's settings saved through docking.services.configure (a negative
markup refused, nothing changed); its mirrored SKUs with what they cost and what our top
level pays; 立即同步 and 接入 against an upstream that does not answer show the error
(never a 500) and change nothing but the connection's last error; the open
reconciliation discrepancies; none of it for another role. No live upstream: the
connections are made with the ORM (a live one is tests/docking's)."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kameng.docking.models import Connection, Discrepancy, DockedSku
from kameng.orders import services as orders
from kameng.suppliers.models import Supplier
from kameng.suppliers.services import create_supplier
from kameng.topup.models import Attempt
from tests.console.conftest import log_in
from tests.console.operator.conftest import UNREACHABLE

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- the list -----------------------------------------------------------------------------


def test_the_list_shows_each_docked_site(op_client, connection, mirrored):
    Connection.objects.filter(pk=connection.pk).update(last_error="upstream said no")
    page = op_client.get("/console/o/docking/")
    assert page.status_code == 200
    text = _text(page)
    for shown in (
        "上游站点甲",
        UNREACHABLE,
        "app-key-a-001",
        "+5% +0.50 元，向上取整到 0.1 元",
        "upstream said no",
        "立即同步",
        "接入上游站点",
    ):
        assert shown in text, shown
    row = page.context["connections"][0]
    assert (row.mirrored, row.delisted, row.open_discrepancies) == (2, 1, 0)
    assert f'href="/console/o/docking/{connection.pk}/"' in page.content.decode()


def test_the_menu_has_docking_after_suppliers(op_client):
    page = op_client.get("/console/o/docking/")
    labels = [link.label for link in page.wsgi_request.console.nav]
    assert labels.index("货源对接") == labels.index("供应商") + 1
    assert [link.label for link in page.wsgi_request.console.nav if link.current] == ["货源对接"]


def test_open_discrepancies_are_listed_with_their_kind(op_client, connection, world):
    placed = orders.place_order(agent=world.a3, sku_id=world.sku.pk, quantity=1, out_trade_no="x1")
    attempt = Attempt.objects.create(
        order=placed.order,
        supplier=connection.supplier,
        number=1,
        request_id="K-REQ-0001",
        remote_sku="501",
        status="succeeded",
        cost=Decimal("90.00"),
        created_at=timezone.now(),
        finished_at=timezone.now(),
    )
    Discrepancy.objects.create(
        connection=connection,
        attempt=attempt,
        kind=Discrepancy.Kind.NOT_DELIVERED_UPSTREAM,
        ours="succeeded 90.00",
        theirs="failed 90.00",
        found_at=timezone.now() - timedelta(minutes=3),
    )
    page = op_client.get("/console/o/docking/")
    text = _text(page)
    assert placed.order.order_no in text and "K-REQ-0001" in text
    assert "本站已发货，上游未成功" in text and "failed 90.00" in text
    assert page.context["connections"][0].open_discrepancies == 1
    assert 'href="#dk-discrepancies"' in page.content.decode()


def test_the_list_with_nothing_docked_is_an_empty_state(op_client):
    page = op_client.get("/console/o/docking/")
    assert page.status_code == 200
    assert "还没有接入上游站点" in _text(page) and "没有未处理的对账差异" in _text(page)


# --- 立即同步 -------------------------------------------------------------------------------


def test_sync_against_an_upstream_that_does_not_answer_shows_the_error(op_client, connection):
    response = op_client.post(f"/console/o/docking/{connection.pk}/sync/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [("/console/o/docking/", 302)]
    [message] = messages_of(response)
    assert message.startswith("同步 上游站点甲 失败：上游站点无法访问")
    connection.refresh_from_db()
    assert connection.last_error.startswith("upstream did not answer")
    assert connection.synced_at is None and not DockedSku.objects.exists()
    assert connection.last_error[:30] in _text(response)  # highlighted in the list


def test_sync_from_the_sites_page_comes_back_to_it(op_client, connection):
    here = f"/console/o/docking/{connection.pk}/"
    response = op_client.post(f"{here}sync/", {"back": "connection"})
    assert (response.status_code, response["Location"]) == (302, here)
    page = op_client.get(here)
    assert "最近一次同步失败" in _text(page)


def test_reconcile_with_nothing_forwarded_checks_nothing(op_client, connection):
    here = f"/console/o/docking/{connection.pk}/"
    response = op_client.post(f"{here}reconcile/", {"back": "connection"}, follow=True)
    assert response.redirect_chain == [(here, 302)]
    assert messages_of(response) == ["已对账 上游站点甲：核对 0 笔，不一致 0 笔，无法查询 0 笔。"]


def test_the_buttons_take_only_a_post_and_a_known_site(op_client, connection):
    assert op_client.get(f"/console/o/docking/{connection.pk}/sync/").status_code == 405
    assert op_client.post("/console/o/docking/987654/sync/").status_code == 404
    assert op_client.post("/console/o/docking/987654/reconcile/").status_code == 404
    assert op_client.get("/console/o/docking/987654/").status_code == 404


# --- 接入上游站点 ----------------------------------------------------------------------------


CONNECT = {
    "name": "上游站点乙",
    "url": "http://127.0.0.1:9/",
    "app_key": "app-key-b",
    "secret": "upstream-secret-b2",
    "markup_percent": "3",
    "markup_fixed": "0",
    "rounding": "yuan",
    "auto_price": "on",
}


def test_connecting_an_upstream_that_does_not_answer_creates_nothing(op_client):
    response = op_client.post("/console/o/docking/", CONNECT)
    assert response.status_code == 400
    errors = response.context["form"].non_field_errors()
    assert errors[0] == "上游站点无法访问"
    assert any("upstream did not answer" in e for e in errors)
    assert "上游站点无法访问" in _text(response)
    assert not Supplier.objects.filter(name="上游站点乙").exists()
    assert not Connection.objects.exists()
    assert "upstream-secret-b2" not in response.content.decode()  # never shown back


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "ftp://upstream.example.com/"}, "url"),
        ({"secret": ""}, "secret"),
        ({"markup_percent": "abc"}, "markup_percent"),
        ({"name": "上游站点甲"}, "name"),  # the fixture's supplier
        ({"app_key": "密钥-1"}, "app_key"),  # sent in a header: ASCII only
    ],
)
def test_the_connect_form_checks_its_fields(op_client, connection, change, field):
    response = op_client.post("/console/o/docking/", {**CONNECT, **change})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert Connection.objects.count() == 1


def test_a_negative_markup_on_connect_is_docking_s_refusal(op_client):
    response = op_client.post("/console/o/docking/", {**CONNECT, "markup_fixed": "-1"})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == ["加价规则不正确"]
    assert not Connection.objects.exists()


# --- a site's page --------------------------------------------------------------------------


def test_the_sites_page_lists_its_mirrored_skus(op_client, connection, mirrored):
    page = op_client.get(f"/console/o/docking/{connection.pk}/")
    assert page.status_code == 200
    rows = {row.remote_sku_id: row for row in page.context["page_obj"]}
    assert [row.remote_sku_id for row in page.context["page_obj"]] == [501, 502, 503]
    assert rows[501].top_price == Decimal("95.00") and not rows[501].below_cost
    assert rows[502].below_cost and not rows[503].below_cost
    text = _text(page)
    assert text.count("低于成本，已停售") == 1 and "已下架" in text and "缺货" in text
    assert "¥99.00" in text and "¥95.00" in text
    assert f"#{mirrored['selling'].sku_id}" in text
    form = page.context["form"]
    assert form["markup_percent"].value() == Decimal("5.00")
    assert form["rounding"].value() == "tenth"


def test_the_settings_form_saves_the_price_rule_and_exclusions(op_client, connection):
    here = f"/console/o/docking/{connection.pk}/"
    response = op_client.post(
        here,
        {
            "markup_percent": "12.5",
            "markup_fixed": "1.20",
            "rounding": "yuan",
            "excluded": "503, 501 ，  77",
        },
        follow=True,
    )
    assert response.redirect_chain == [(here, 302)]
    assert messages_of(response) == ["已保存 上游站点甲 的设置，下次同步时生效。"]
    connection.refresh_from_db()
    assert connection.markup_percent == Decimal("12.50")
    assert connection.markup_fixed == Decimal("1.20")
    assert connection.rounding == "yuan"
    assert connection.auto_price is False  # the box left unticked
    assert connection.excluded == [77, 501, 503]
    assert "+12.5% +1.20 元，向上取整到 1 元" in _text(response)
    assert response.context["form"]["excluded"].value() == "77 501 503"


@pytest.mark.parametrize(
    "change",
    [{"markup_percent": "-5"}, {"markup_fixed": "-0.01"}, {"markup_percent": "1001"}],
)
def test_a_negative_markup_is_refused_and_nothing_changes(op_client, connection, change):
    data = {"markup_percent": "5", "markup_fixed": "0.50", "rounding": "tenth"}
    data.update(change)
    data["auto_price"] = "on"
    response = op_client.post(f"/console/o/docking/{connection.pk}/", data)
    assert response.status_code == 400
    assert "加价规则不正确" in _text(response)
    connection.refresh_from_db()
    assert (connection.markup_percent, connection.markup_fixed) == (
        Decimal("5.00"),
        Decimal("0.50"),
    )


def test_excluded_ids_must_be_numbers(op_client, connection):
    response = op_client.post(
        f"/console/o/docking/{connection.pk}/",
        {"markup_percent": "5", "markup_fixed": "0", "rounding": "none", "excluded": "12 abc"},
    )
    assert response.status_code == 400
    assert "excluded" in response.context["form"].errors
    connection.refresh_from_db()
    assert connection.excluded == [] and connection.rounding == "tenth"


# --- other people, English --------------------------------------------------------------------


def test_other_roles_get_the_consoles_404(client, distributor, supplier_person, connection):
    urls = [
        "/console/o/docking/",
        f"/console/o/docking/{connection.pk}/",
        f"/console/o/docking/{connection.pk}/sync/",
        f"/console/o/docking/{connection.pk}/reconcile/",
    ]
    for person in (distributor, supplier_person):
        log_in(client, person)
        for url in urls:
            assert client.get(url).status_code == 404, url
            assert client.post(url, {**CONNECT, "markup_percent": "50"}).status_code == 404, url
    connection.refresh_from_db()
    assert connection.markup_percent == Decimal("5.00") and connection.last_error == ""
    assert Connection.objects.count() == 1


def test_the_pages_speak_english(op_client, connection, mirrored, english):
    op_client.cookies["django_language"] = "en"
    listing = _text(op_client.get("/console/o/docking/"))
    assert "Upstream sites" in listing and "Sync now" in listing
    assert "+5% +¥0.50, rounded up to ¥0.1" in listing
    site = _text(op_client.get(f"/console/o/docking/{connection.pk}/"))
    assert "Below cost, not on sale" in site and "Reconcile" in site
    for body in (listing, site):
        # What is left in Chinese: the data (the site's and its goods' names), the brand
        # and the language switch.
        left = re.sub(r"上游站点甲|测试卡\d+ [\d.]+元|Kameng 卡盟|中文", "", body)
        assert not re.findall(r"[\u4e00-\u9fff]+", left)


def test_the_pages_take_a_bounded_number_of_queries(
    op_client, connection, mirrored, django_assert_max_num_queries
):
    for n in range(3):
        other = create_supplier(f"上游{n}", mode=Supplier.Mode.API, status="approved")
        Connection.objects.create(supplier=other)
    for url in ("/console/o/docking/", f"/console/o/docking/{connection.pk}/"):
        op_client.get(url)
        with django_assert_max_num_queries(12):
            assert op_client.get(url).status_code == 200
