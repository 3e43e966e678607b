"""The operator's console in a real browser, on a phone (390 px) and at a desk (1280 px):
the dashboard's charts are drawn; from the queues the operator approves a supplier's
application and pays a withdrawal an agent asked for; every main page fits the window.
Screenshots: console-operator-<page>-<phone|desk>.png."""

import pytest

from kameng.agents.models import WithdrawalRequest
from kameng.suppliers.models import Supplier, SupplierApplication
from tests.browser import SIZES, overflow_x, screenshot, size_name
from tests.console.conftest import log_in_page

pytestmark = pytest.mark.django_db(transaction=True)


def _show(page, live_server, path: str, name: str) -> None:
    """Open a page, check it fits the window, keep its picture."""
    page.goto(f"{live_server.url}{path}")
    page.wait_for_load_state("networkidle")
    assert overflow_x(page) == 0, path
    screenshot(page, f"console-operator-{name}-{size_name(page)}")


@pytest.mark.parametrize("page", SIZES, indirect=True)
def test_the_dashboard_draws_its_charts(page, live_server, operator, waiting):
    log_in_page(page, live_server, lands="/console/o/", person=operator)
    page.wait_for_selector("#gmv-chart [data-chart-ready='1']")
    page.wait_for_selector("#status-chart [data-chart-ready='1']")
    assert page.locator(".op-stat__value").first.inner_text() == "1"
    assert overflow_x(page) == 0
    screenshot(page, f"console-operator-home-{size_name(page)}")


@pytest.mark.parametrize("page", SIZES, indirect=True)
def test_the_operator_approves_an_application_and_pays_a_withdrawal(
    page, live_server, operator, waiting
):
    name = size_name(page)
    log_in_page(page, live_server, lands="/console/o/", person=operator)
    for tab in ("disputes", "topups", "withdrawals", "risk"):
        _show(page, live_server, f"/console/o/queues/{tab}/", f"queues-{tab}")
        if tab != "risk":
            assert page.locator("tbody tr").count() == 1

    # The application, from the queue.
    _show(page, live_server, "/console/o/queues/", "queues-applications")
    page.click("tbody >> text=审核")
    page.wait_for_url(f"**/queues/applications/{waiting.application.pk}/")
    assert page.locator("text=营业执照.pdf").is_visible()
    assert overflow_x(page) == 0
    screenshot(page, f"console-operator-application-{name}")
    page.check("input[name=action][value=approve]")
    page.click("text=提交审核结果")
    page.wait_for_selector(".alert--success")
    assert "已通过 上游科技有限公司 的入驻申请" in page.locator(".alert--success").inner_text()
    assert SupplierApplication.objects.get().status == "approved"
    assert Supplier.objects.filter(name="上游科技有限公司").exists()

    # The withdrawal, from the queue.
    page.goto(f"{live_server.url}/console/o/queues/withdrawals/")
    page.click("tbody >> text=处理")
    page.wait_for_url(f"**/queues/withdrawals/{waiting.withdrawal.pk}/")
    assert overflow_x(page) == 0
    screenshot(page, f"console-operator-withdrawal-{name}")
    page.fill("#id_payout_reference", "ICBC-20261207-0001")
    page.click("text=确认已付款")
    page.wait_for_selector(".alert--success")
    assert overflow_x(page) == 0
    paid = WithdrawalRequest.objects.get()
    assert (paid.status, paid.payout_reference, paid.decided_by_id) == (
        "paid",
        "ICBC-20261207-0001",
        operator.user.pk,
    )
    assert page.locator(".badge", has_text="已付款").first.is_visible()


@pytest.mark.parametrize("page", SIZES, indirect=True)
def test_the_main_pages_fit_the_window(page, live_server, operator, world, waiting, payment_case):
    log_in_page(page, live_server, lands="/console/o/", person=operator)
    _show(page, live_server, "/console/o/agents/", "agents")
    page.click(".table >> text=agent1")
    page.wait_for_url(f"**/agents/{world.a1.pk}/")
    assert page.locator("tbody tr").first.inner_text().startswith("agent2")
    _show(page, live_server, f"/console/o/agents/{world.a2.pk}/", "agent")
    assert page.locator(".crumbs").inner_text().count("agent1") == 1
    _show(page, live_server, "/console/o/suppliers/", "suppliers")
    _show(page, live_server, f"/console/o/suppliers/{world.supplier.pk}/", "supplier")
    _show(page, live_server, "/console/o/ledger/", "ledger")
    page.click("text=核对账本")
    page.wait_for_selector("#verify-result")
    assert "账本平衡" in page.locator("#verify-result").inner_text()
    assert overflow_x(page) == 0
    screenshot(page, f"console-operator-ledger-verified-{size_name(page)}")
    _show(page, live_server, f"/console/o/ledger/accounts/{world.a2.wallet_id}/", "account")
    _show(page, live_server, "/console/o/payments/", "payments")
    assert page.locator("tbody tr").count() == 1
    _show(page, live_server, "/console/o/payments/?tab=failed", "payments-failed")
    _show(
        page,
        live_server,
        f"/console/o/payments/{payment_case.refunded.order.order_no}/",
        "payment",
    )


@pytest.mark.parametrize("page", SIZES, indirect=True)
def test_the_risk_pages_fit_and_an_operator_approves_a_held_order(
    page, live_server, operator, world
):
    """A held order in the risk queue, its reasons, approved by a click; the rules and
    the blocked attempts fit the window."""
    from kameng.orders import services as orders
    from kameng.orders.models import Order
    from kameng.risk.verdicts import RiskBlocked
    from tests.risk.flow_helpers import BLOCKED, HELD, tight_scenario

    tight_scenario()
    held = orders.place_order(
        agent=world.a3, sku_id=world.sku.pk, quantity=HELD, out_trade_no="held-b"
    ).order
    with pytest.raises(RiskBlocked):  # the attempt is recorded for the operator
        orders.place_order(
            agent=world.a3, sku_id=world.sku.pk, quantity=BLOCKED, out_trade_no="blocked-b"
        )
    log_in_page(page, live_server, lands="/console/o/", person=operator)
    _show(page, live_server, "/console/o/queues/risk/", "queues-risk")
    page.click(f"text={held.order_no}")
    page.wait_for_url(f"**/queues/risk/{held.order_no}/")
    assert "数量达到 2 件" in page.content()
    assert overflow_x(page) == 0
    screenshot(page, f"console-operator-risk-order-{size_name(page)}")
    page.click("text=通过，正常发货")
    page.click("text=提交审核结果")
    page.wait_for_selector("text=已通过")
    assert Order.objects.get(pk=held.pk).status == "delivered"
    _show(page, live_server, "/console/o/risk/", "risk-rules")
    _show(page, live_server, "/console/o/risk/blocked/", "risk-blocked")
    assert "数量达到 3 件" in page.content()


@pytest.mark.parametrize("page", SIZES, indirect=True)
def test_the_docking_pages_fit_and_a_failed_sync_is_shown(
    page, live_server, operator, connection, mirrored
):
    """The docked sites and a site's page fit the window; 立即同步 against an upstream
    that does not answer shows the error on the list, and the site's page marks the
    SKU sold below cost."""
    from kameng.docking.models import Connection

    log_in_page(page, live_server, lands="/console/o/", person=operator)
    _show(page, live_server, "/console/o/docking/", "docking")
    assert "+5% +0.50 元，向上取整到 0.1 元" in page.locator("tbody tr").first.inner_text()
    page.click("text=立即同步")
    page.wait_for_selector(".alert--error")
    assert "上游站点无法访问" in page.locator(".alert--error").inner_text()
    assert overflow_x(page) == 0
    screenshot(page, f"console-operator-docking-error-{size_name(page)}")
    assert Connection.objects.get(pk=connection.pk).last_error
    page.click("tbody >> text=上游站点甲")
    page.wait_for_url(f"**/docking/{connection.pk}/")
    _show(page, live_server, f"/console/o/docking/{connection.pk}/", "docking-connection")
    assert page.locator(".badge", has_text="低于成本，已停售").count() == 1
