"""The supplier console in a real browser, on a phone (390 px) and at a desk (1280 px):
a supplier uploads a batch with duplicates and reads the report; an applicant submits
its application with a document. Nothing scrolls sideways; no request leaves this
machine. Screenshots: console-supplier-*.png."""

from collections.abc import Iterator
from decimal import Decimal

import pytest

from kameng.catalog import services as catalog
from kameng.orders import services as orders
from kameng.stock.models import Card
from kameng.suppliers import services as suppliers
from kameng.suppliers.models import SupplierApplication
from kameng.suppliers.payouts import pay_out
from kameng.upstream import services as upstream
from kameng.upstream.simulator import SimConfig, SimProduct, SimulatedSupplier
from tests import factories
from tests.browser import SIZES, overflow_x, screenshot, size_name
from tests.console.conftest import log_in_page

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sim() -> Iterator[SimulatedSupplier]:
    products = {"QB-10": SimProduct(Decimal("9.30"), stock=120)}
    with SimulatedSupplier(SimConfig(products=products)) as running:
        yield running


def _settled_sales(world) -> None:
    """Some trade, so home and statements have figures: two settled, one disputed."""
    for n, qty in enumerate((2, 1)):
        placed = orders.place_order(
            agent=world.a3, sku_id=world.sku.pk, quantity=qty, out_trade_no=f"BR-{n}"
        )
        orders.confirm_receipt(placed.order)
    disputed = orders.place_order(
        agent=world.a3, sku_id=world.sku.pk, quantity=1, out_trade_no="BR-9"
    )
    orders.open_dispute(disputed.order, "卡密提示已使用")
    pay_out(world.supplier, Decimal("100.00"), reference="BANK-20261207")


@pytest.mark.parametrize("page", SIZES, indirect=True)
def test_a_supplier_uploads_a_batch_with_duplicates_and_reads_the_report(
    page, live_server, blocked, supplier_person, world, sim
):
    name = size_name(page)
    _settled_sales(world)
    log_in_page(page, live_server, lands="/console/s/", person=supplier_person)
    page.wait_for_selector("[data-chart-ready='1']")
    assert page.locator("h1").inner_text() == "概览"
    assert overflow_x(page) == 0
    screenshot(page, f"console-supplier-home-{name}")

    page.goto(f"{live_server.url}/console/s/batches/")
    existing = Card.objects.filter(supplier=world.supplier).order_by("pk").first()
    page.select_option("#id_sku", str(world.sku.pk))
    page.fill(
        "#id_text",
        "\n".join(
            [
                "BR-NEW-1,br-secret-1",
                "BR-NEW-2,br-secret-2",
                "BR-NEW-1,br-secret-1",
                f"{existing.code},whatever",
                "BR-NEW-3,br-secret-3",
            ]
        ),
    )
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#import-report")
    report = page.locator("#import-report").inner_text()
    assert "本次上传内重复" in report and "第 3 行" in report
    assert "与已有库存重复" in report and "第 4 行" in report
    assert "br-secret" not in page.content()
    assert overflow_x(page) == 0
    screenshot(page, f"console-supplier-batch-report-{name}")

    page.goto(f"{live_server.url}/console/s/batches/")
    assert overflow_x(page) == 0
    screenshot(page, f"console-supplier-batches-{name}")

    page.goto(f"{live_server.url}/console/s/statements/")
    assert "BANK-20261207" in page.content()
    assert overflow_x(page) == 0
    screenshot(page, f"console-supplier-statements-{name}")

    page.goto(f"{live_server.url}/console/s/complaints/")
    page.click("td.mono a")
    page.fill("#id_text", "已核查：卡密售出前未被使用。")
    page.click("#reply button[type=submit]")
    page.wait_for_selector("text=说明已提交")
    assert "供应商说明" in page.content()
    assert overflow_x(page) == 0
    screenshot(page, f"console-supplier-complaint-{name}")

    # An API supplier: its connection, tested against the simulated supplier.
    upstream.configure_api(
        world.supplier,
        adapter="kameng-http",
        base_url=sim.url,
        merchant_id="sim",
        secret="sim-secret",
    )
    suppliers.set_offer(
        world.supplier, factories.direct_sku("10.00", "QQ币"), Decimal("9.50"), remote_sku="QB-10"
    )
    page.goto(f"{live_server.url}/console/s/connection/")
    page.click("#test-connection")
    page.wait_for_selector("#connection-result")
    assert "连接成功" in page.locator("#connection-result").inner_text()
    assert "sim-secret" not in page.content()
    assert overflow_x(page) == 0
    screenshot(page, f"console-supplier-connection-{name}")
    assert blocked == []


@pytest.mark.parametrize("page", SIZES, indirect=True)
def test_an_applicant_submits_an_application_with_a_document(
    page, live_server, blocked, applicant, tmp_path
):
    name = size_name(page)
    product = catalog.create_product("游戏点卡", "网易一卡通")
    licence = factories.licence_number()
    document = tmp_path / "营业执照.pdf"
    document.write_bytes(factories.PDF_BYTES)

    log_in_page(page, live_server, lands="/console/s/", person=applicant)
    assert "资质审核尚未通过" in page.content()
    page.click(".empty a.btn")
    page.wait_for_url(f"{live_server.url}/console/s/application/")
    page.fill("#id_company_name", "上游数码科技有限公司")
    page.fill("#id_licence_number", licence)
    page.fill("#id_contact_name", "李四")
    page.fill("#id_contact_phone", "13900139000")
    page.fill("#id_contact_email", "ops@example.com")
    page.check(f"input[name=goods][value='{product.pk}']")
    page.set_input_files("#id_documents", str(document))
    assert overflow_x(page) == 0
    screenshot(page, f"console-supplier-application-form-{name}")
    page.click("form.form button[type=submit]")
    page.wait_for_selector("text=申请已提交")
    assert "待审核" in page.content() and "营业执照.pdf" in page.content()
    assert overflow_x(page) == 0
    screenshot(page, f"console-supplier-application-{name}")
    application = SupplierApplication.objects.get(applicant=applicant.user)
    assert application.documents.count() == 1 and application.licence_number == licence
    assert blocked == []
