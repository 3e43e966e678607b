"""The operator's console through its pages (Django's test client, the real services):
the dashboard, the review queues and their decisions (recorded with the operator,
idempotent: a second click says so and changes nothing), the agent tree, suppliers,
the ledger with its check, payments needing attention; every list in a bounded number
of queries; bad input a 400 or a 404, never a 500."""

from decimal import Decimal

import pytest
from django.urls import reverse

from kameng.agents.models import TopUpRequest, WithdrawalRequest
from kameng.ledger import services as ledger
from kameng.ledger.models import Account, Journal
from kameng.orders.models import Order
from kameng.orders.states import Status
from kameng.payments.models import GatewayEvent, Refund
from kameng.payments.states import PaymentStatus, RefundStatus
from kameng.suppliers.models import Supplier, SupplierApplication, SupplierReview
from tests import factories
from tests.console.conftest import log_in

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- home ---------------------------------------------------------------------------------


def test_home_shows_the_platforms_figures_queues_and_charts(op_client, waiting, world):
    response = op_client.get("/console/o/")
    assert response.status_code == 200
    body = text(response)
    dash = response.context["dash"]
    # agent3's order (98.50 at its level) is disputed: held in escrow, counted as sold.
    assert dash.gmv_today.amount == Decimal("98.50") and dash.escrow_held == Decimal("98.50")
    assert "¥98.50" in body
    assert dash.withdrawals_held == Decimal("120.00") and "¥120.00" in body
    queues = response.context["queues"]
    assert (queues.applications, queues.disputes, queues.top_up_requests) == (1, 1, 1)
    assert queues.withdrawal_requests == 1
    for tab in ("applications", "disputes", "topups", "withdrawals"):
        assert reverse("console:o:queue", args=[tab]) in body
    assert 'id="gmv-chart-data"' in body and 'id="status-chart-data"' in body
    assert response.context["status_chart"]["parts"] == [{"name": "售后中", "value": "1"}]
    assert "你的账号还没有启用两步验证" in body


def test_home_on_an_empty_platform_shows_empty_charts(op_client):
    body = text(op_client.get("/console/o/"))
    assert "这段时间还没有数据" in body and "¥0.00" in body


# --- supplier applications ------------------------------------------------------------------


def test_the_application_queue_lists_the_waiting_and_the_page_shows_its_documents(
    op_client, waiting
):
    app = waiting.application
    listing = op_client.get("/console/o/queues/")
    assert listing.status_code == 200 and app.company_name in text(listing)
    page = op_client.get(f"/console/o/queues/applications/{app.pk}/")
    body = text(page)
    assert page.status_code == 200
    assert app.licence_number in body and "营业执照.pdf" in body
    document = app.documents.get()
    assert (
        reverse("admin:suppliers_supplierapplication_document", args=[app.pk, document.pk]) in body
    )


def test_the_operator_approves_an_application_once(op_client, operator, waiting):
    app = waiting.application
    url = f"/console/o/queues/applications/{app.pk}/"
    response = op_client.post(url, {"action": "approve", "reason": ""}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert "已通过 上游科技有限公司 的入驻申请" in messages_of(response)[0]
    app.refresh_from_db()
    supplier = Supplier.objects.get(name="上游科技有限公司")
    assert (app.status, app.supplier_id) == ("approved", supplier.pk)
    review = SupplierReview.objects.get(application=app)
    assert (review.decision, review.decided_by_id) == ("approved", operator.user.pk)

    again = op_client.post(url, {"action": "reject", "reason": "changed my mind"}, follow=True)
    assert "已经处理过，本次没有做任何改动" in messages_of(again)[0]
    app.refresh_from_db()
    assert app.status == "approved" and SupplierReview.objects.count() == 1
    assert "上游科技有限公司" not in text(op_client.get("/console/o/queues/"))


def test_rejecting_an_application_needs_a_reason(op_client, waiting):
    app = waiting.application
    url = f"/console/o/queues/applications/{app.pk}/"
    refused = op_client.post(url, {"action": "reject", "reason": "  "})
    assert refused.status_code == 400 and "驳回时必须填写理由" in text(refused)
    assert op_client.post(url, {"action": "maybe"}).status_code == 400
    app.refresh_from_db()
    assert app.status == "submitted" and not SupplierReview.objects.exists()
    done = op_client.post(url, {"action": "reject", "reason": "执照模糊"})
    assert done.status_code == 302
    app.refresh_from_db()
    assert app.status == "rejected" and SupplierReview.objects.get().reason == "执照模糊"


def test_approving_when_the_name_is_taken_shows_the_services_refusal(op_client, waiting):
    factories.supplier(name="上游科技有限公司")
    url = f"/console/o/queues/applications/{waiting.application.pk}/"
    refused = op_client.post(url, {"action": "approve"})
    assert refused.status_code == 400 and "供应商名称已被占用" in text(refused)
    assert SupplierApplication.objects.get().status == "submitted"


# --- disputes -------------------------------------------------------------------------------


def test_the_operator_upholds_a_dispute_and_the_payer_is_refunded(op_client, operator, waiting):
    order = waiting.dispute
    assert order.order_no in text(op_client.get("/console/o/queues/disputes/"))
    url = f"/console/o/queues/disputes/{order.order_no}/"
    page = op_client.get(url)
    assert page.status_code == 200 and "卡密无法使用" in text(page)
    before = factories.wallet(order.agent)
    response = op_client.post(url, {"action": "refund", "note": "卡密确实无效"}, follow=True)
    assert "已退款" in messages_of(response)[0]
    order.refresh_from_db()
    assert order.status == Status.REFUNDED
    assert factories.wallet(order.agent) == before + Decimal("98.50")
    note = order.events.order_by("pk").last().note
    assert note == f"卡密确实无效 (by {operator.username})"
    again = op_client.post(url, {"action": "reject", "note": "no"}, follow=True)
    assert "已经处理过" in messages_of(again)[0]
    order.refresh_from_db()
    assert order.status == Status.REFUNDED and factories.wallet(order.agent) == before + Decimal(
        "98.50"
    )
    assert ledger.verify() == []


def test_rejecting_a_dispute_needs_a_note_and_then_the_sale_stands(op_client, waiting):
    order = waiting.dispute
    url = f"/console/o/queues/disputes/{order.order_no}/"
    refused = op_client.post(url, {"action": "reject", "note": ""})
    assert refused.status_code == 400
    order.refresh_from_db()
    assert order.status == Status.DISPUTED
    assert op_client.post(url, {"action": "reject", "note": "卡密已被使用"}).status_code == 302
    order.refresh_from_db()
    assert order.status == Status.COMPLETED and ledger.escrow_balance() == 0


def test_an_unknown_order_is_the_consoles_404(op_client):
    for method in (op_client.get, op_client.post):
        response = method("/console/o/queues/disputes/K-NOPE/")
        assert response.status_code == 404 and "页面不存在" in text(response)


# --- top-up and withdrawal requests ---------------------------------------------------------


def test_the_operator_approves_a_top_up_once(op_client, operator, waiting, world):
    item = waiting.top_up
    listing = text(op_client.get("/console/o/queues/topups/"))
    assert "BANK-20261207-1" in listing and "¥300.00" in listing
    url = f"/console/o/queues/topups/{item.pk}/"
    before = factories.wallet(world.a2)
    response = op_client.post(url, {"action": "approve"}, follow=True)
    assert "已确认到账：agent2 的预存款已增加" in messages_of(response)[0]
    assert factories.wallet(world.a2) == before + Decimal("300.00")
    item.refresh_from_db()
    assert (item.status, item.decided_by_id) == ("approved", operator.user.pk)
    again = op_client.post(url, {"action": "approve"}, follow=True)
    assert "已经处理过" in messages_of(again)[0]
    assert factories.wallet(world.a2) == before + Decimal("300.00")
    assert op_client.post(url, {"action": "reject", "reason": "x"}).status_code == 302
    item.refresh_from_db()
    assert item.status == "approved"


def test_rejecting_a_top_up_needs_a_reason(op_client, waiting, world):
    item = waiting.top_up
    url = f"/console/o/queues/topups/{item.pk}/"
    before = factories.wallet(world.a2)
    assert op_client.post(url, {"action": "reject", "reason": ""}).status_code == 400
    assert op_client.post(url, {"action": "reject", "reason": "未收到转账"}).status_code == 302
    item.refresh_from_db()
    assert (item.status, item.reason) == ("rejected", "未收到转账")
    assert factories.wallet(world.a2) == before


def test_the_operator_pays_a_withdrawal_once(op_client, operator, waiting, world):
    item = waiting.withdrawal
    assert "支付宝 agent2@example.com" in text(op_client.get("/console/o/queues/withdrawals/"))
    url = f"/console/o/queues/withdrawals/{item.pk}/"
    assert op_client.get(url).status_code == 200
    held = ledger.balance(ledger.system_account_id(ledger.WITHDRAWALS))
    assert held == Decimal("120.00")
    refused = op_client.post(url, {"action": "pay", "payout_reference": ""})
    assert refused.status_code == 400 and "请填写付款流水号" in text(refused)
    response = op_client.post(url, {"action": "pay", "payout_reference": "PAY-1"}, follow=True)
    assert "流水号 PAY-1" in messages_of(response)[0]
    item.refresh_from_db()
    assert (item.status, item.payout_reference, item.decided_by_id) == (
        "paid",
        "PAY-1",
        operator.user.pk,
    )
    assert ledger.balance(ledger.system_account_id(ledger.WITHDRAWALS)) == 0
    again = op_client.post(url, {"action": "pay", "payout_reference": "PAY-2"}, follow=True)
    assert "已经处理过" in messages_of(again)[0]
    item.refresh_from_db()
    assert item.payout_reference == "PAY-1"
    assert Journal.objects.filter(kind=Journal.Kind.WITHDRAWAL_PAID).count() == 1
    assert ledger.verify() == []


def test_a_payout_reference_used_before_is_refused(op_client, waiting, world):
    from kameng.agents import requests as money_requests

    first = money_requests.request_withdrawal(world.a3, "10.00", "bank 1")
    money_requests.pay_withdrawal(first, factories.operator(), "PAY-SAME")
    url = f"/console/o/queues/withdrawals/{waiting.withdrawal.pk}/"
    refused = op_client.post(url, {"action": "pay", "payout_reference": "PAY-SAME"})
    assert refused.status_code == 400 and "该付款流水号已用于另一笔提现" in text(refused)
    assert WithdrawalRequest.objects.get(pk=waiting.withdrawal.pk).status == "submitted"


def test_rejecting_a_withdrawal_gives_the_money_back(op_client, waiting, world):
    url = f"/console/o/queues/withdrawals/{waiting.withdrawal.pk}/"
    before = factories.wallet(world.a2)
    assert op_client.post(url, {"action": "reject", "reason": ""}).status_code == 400
    assert op_client.post(url, {"action": "nothing"}).status_code == 400
    assert op_client.post(url, {"action": "reject", "reason": "账户不符"}).status_code == 302
    assert factories.wallet(world.a2) == before + Decimal("120.00")
    assert WithdrawalRequest.objects.get().status == "rejected"


@pytest.mark.parametrize("kind", ["applications", "topups", "withdrawals"])
@pytest.mark.parametrize("pk", ["987654", "0"])
def test_unknown_request_ids_are_404_and_change_nothing(op_client, waiting, kind, pk):
    url = f"/console/o/queues/{kind}/{pk}/"
    assert op_client.get(url).status_code == 404
    assert op_client.post(url, {"action": "approve"}).status_code == 404
    assert TopUpRequest.objects.get().status == "submitted"


def test_the_risk_tab_is_an_empty_state_and_unknown_tabs_are_404(op_client):
    body = text(op_client.get("/console/o/queues/risk/"))
    assert "队列已清空" in body
    assert op_client.get("/console/o/queues/nothing/").status_code == 404


def test_the_queues_are_paginated_and_a_silly_page_number_is_no_error(op_client, world):
    from kameng.agents import requests as money_requests

    agents = [factories.agent() for _ in range(3)]
    for n in range(27):
        money_requests.request_top_up(agents[n % 3], "1.00", f"REF-{n:03d}")
    first = op_client.get("/console/o/queues/topups/")
    assert "REF-000" in text(first) and "REF-026" not in text(first)
    assert "第 1 / 2 页" in text(first)
    for page in ("2", "999999999", "x", "-1"):
        assert op_client.get(f"/console/o/queues/topups/?page={page}").status_code == 200
    assert "REF-026" in text(op_client.get("/console/o/queues/topups/?page=2"))


# --- agents -------------------------------------------------------------------------------


def test_the_agent_tree_opens_level_by_level(op_client, world, waiting):
    top = op_client.get("/console/o/agents/")
    body = text(top)
    assert top.status_code == 200
    rows = list(top.context["page_obj"])
    assert [row.user.username for row in rows] == ["agent1"]
    a1 = rows[0]
    assert a1.children_count == 1 and a1.own_sales == 0
    assert a1.team_sales == Decimal("98.50")  # agent3's disputed order
    assert a1.level_name == "一级" and "一级" in body and "0.9500" in body
    page = op_client.get(f"/console/o/agents/{world.a2.pk}/")
    assert [a.user.username for a in page.context["ancestors"]] == ["agent1"]
    children = list(page.context["page_obj"])
    assert [c.user.username for c in children] == ["agent3"]
    assert children[0].own_sales == Decimal("98.50")
    assert page.context["agent"].wallet.balance == Decimal("4880.00")  # 5000 − 120 held
    found = op_client.get("/console/o/agents/?q=agent3")
    assert [row.user.username for row in found.context["page_obj"]] == ["agent3"]
    assert op_client.get("/console/o/agents/987654/").status_code == 404


# --- suppliers ----------------------------------------------------------------------------


def test_suppliers_show_quality_status_and_stock(op_client, world, waiting):
    response = op_client.get("/console/o/suppliers/")
    assert response.status_code == 200
    row, available = response.context["rows"][0]
    assert row.name == world.supplier.name and available == 19
    assert (row.orders, row.complaints) == (1, 1)
    assert "100.0%" in text(response) and "已通过" in text(response)
    suspended = op_client.get("/console/o/suppliers/?status=suspended")
    assert suspended.context["rows"] == []
    assert op_client.get("/console/o/suppliers/?status=bogus").status_code == 200
    detail = op_client.get(f"/console/o/suppliers/{world.supplier.pk}/")
    assert detail.status_code == 200
    stock = detail.context["dash"].stock[0]
    assert (stock.available, stock.sold) == (19, 1)
    assert op_client.get("/console/o/suppliers/987654/").status_code == 404


# --- ledger -------------------------------------------------------------------------------


def test_the_ledger_lists_accounts_and_opens_lines_and_journals(op_client, world):
    listing = op_client.get("/console/o/ledger/")
    assert listing.status_code == 200 and world.a2.wallet.code in text(listing)
    wallets = op_client.get("/console/o/ledger/?kind=agent_wallet")
    assert {a.kind for a in wallets.context["page_obj"]} == {Account.Kind.AGENT_WALLET}
    found = op_client.get(f"/console/o/ledger/?q={world.a3.wallet.code}")
    assert [a.pk for a in found.context["page_obj"]] == [world.a3.wallet_id]
    lines = op_client.get(f"/console/o/ledger/accounts/{world.a3.wallet_id}/")
    entry = next(iter(lines.context["page_obj"]))
    assert entry.amount == Decimal("2000.00") and "+¥2000.00" in text(lines)
    journal = op_client.get(f"/console/o/ledger/journals/{entry.journal_id}/")
    assert journal.status_code == 200 and journal.context["total"] == 0
    assert len(journal.context["entries"]) == 2 and "平衡" in text(journal)
    for url in ("/console/o/ledger/accounts/987654/", "/console/o/ledger/journals/987654/"):
        assert op_client.get(url).status_code == 404


def test_verify_ledger_shows_ok_and_then_the_problems(op_client, world):
    assert op_client.get("/console/o/ledger/verify/").status_code == 405
    ok = op_client.post("/console/o/ledger/verify/")
    assert ok.status_code == 200 and "账本平衡，没有发现问题" in text(ok)
    Account.objects.filter(pk=world.a1.wallet_id).update(balance=Decimal("1.00"))
    bad = op_client.post("/console/o/ledger/verify/")
    assert "账本不平衡：发现 1 个问题" in text(bad)
    assert f"account {world.a1.wallet.code}: balance 1.00 != sum of entries 10000.00" in text(bad)


# --- payments -----------------------------------------------------------------------------


def test_payments_needing_attention(op_client, payment_case):
    unpaid = op_client.get("/console/o/payments/")
    assert [p.pk for p in unpaid.context["page_obj"]] == [payment_case.unpaid.pk]
    failed = op_client.get("/console/o/payments/?tab=failed")
    refund = Refund.objects.get()
    assert [r.pk for r in failed.context["page_obj"]] == [refund.pk]
    assert "退款失败" in text(failed)
    assert list(op_client.get("/console/o/payments/?tab=refunding").context["page_obj"]) == []
    found = op_client.get("/console/o/payments/?q=T-REFUND-1")
    assert [p.pk for p in found.context["page_obj"]] == [payment_case.refunded.pk]
    order_no = payment_case.unpaid.order.order_no
    found = op_client.get(f"/console/o/payments/?q={order_no}")
    assert [p.pk for p in found.context["page_obj"]] == [payment_case.unpaid.pk]
    assert list(op_client.get("/console/o/payments/?q=nothing").context["page_obj"]) == []


def test_the_operator_confirms_a_late_payment_once(op_client, operator, payment_case):
    payment = payment_case.unpaid
    url = f"/console/o/payments/{payment.order.order_no}/"
    assert "确认收款" in text(op_client.get(url))
    refused = op_client.post(url, {"trade_no": "T LATE", "reason": "网关后台可见"})
    assert refused.status_code == 400 and "交易号格式不正确" in text(refused)
    assert op_client.post(url, {"trade_no": "T-LATE", "reason": ""}).status_code == 400
    done = op_client.post(url, {"trade_no": "T-LATE", "reason": "网关后台可见"}, follow=True)
    assert "已确认收款" in messages_of(done)[0]
    payment.refresh_from_db()
    assert (payment.status, payment.trade_no, payment.confirmed_by_id) == (
        PaymentStatus.PAID,
        "T-LATE",
        operator.user.pk,
    )
    assert Order.objects.get(pk=payment.order_id).status == Status.DELIVERED
    confirmed = GatewayEvent.objects.filter(outcome=GatewayEvent.Outcome.CONFIRMED)
    assert confirmed.count() == 2  # this one and the fixture's
    again = op_client.post(url, {"trade_no": "T-OTHER", "reason": "again"}, follow=True)
    assert "已经处理过" in messages_of(again)[0]
    payment.refresh_from_db()
    assert payment.trade_no == "T-LATE" and confirmed.count() == 2
    assert ledger.verify() == []


def test_the_operator_retries_a_failed_refund_once(op_client, payment_case):
    refund = Refund.objects.get()
    page = op_client.get(f"/console/o/payments/{payment_case.refunded.order.order_no}/")
    retry = f"/console/o/payments/refunds/{refund.pk}/retry/"
    assert retry in text(page)
    assert op_client.get(retry).status_code == 405
    done = op_client.post(retry, follow=True)
    assert "退款已重新发送" in messages_of(done)[0]
    refund.refresh_from_db()
    assert (refund.status, refund.tries) == (RefundStatus.PENDING, 0)
    again = op_client.post(retry, follow=True)
    assert "已经处理过" in messages_of(again)[0]
    retried = GatewayEvent.objects.filter(outcome=GatewayEvent.Outcome.RETRIED)
    assert retried.count() == 1
    assert op_client.post("/console/o/payments/refunds/987654/retry/").status_code == 404
    assert op_client.get("/console/o/payments/K-NOPE/").status_code == 404


# --- other people -------------------------------------------------------------------------


def test_other_roles_cannot_see_or_decide(client, distributor, supplier_person, waiting):
    urls = [
        f"/console/o/queues/applications/{waiting.application.pk}/",
        f"/console/o/queues/topups/{waiting.top_up.pk}/",
        f"/console/o/queues/withdrawals/{waiting.withdrawal.pk}/",
        f"/console/o/queues/disputes/{waiting.dispute.order_no}/",
    ]
    for person in (distributor, supplier_person):
        log_in(client, person)
        for url in urls:
            assert client.get(url).status_code == 404
            assert (
                client.post(url, {"action": "approve", "payout_reference": "X"}).status_code == 404
            )
    assert SupplierApplication.objects.get().status == "submitted"
    assert TopUpRequest.objects.get().status == "submitted"
    assert WithdrawalRequest.objects.get().status == "submitted"
    assert Order.objects.get(pk=waiting.dispute.pk).status == Status.DISPUTED


def test_the_pages_speak_english(op_client, waiting, english):
    op_client.cookies["django_language"] = "en"
    for url in ("/console/o/", "/console/o/queues/", "/console/o/ledger/"):
        body = text(op_client.get(url))
        assert "审核队列" not in body, url
    assert "Review queues" in text(op_client.get("/console/o/queues/"))


# --- speed --------------------------------------------------------------------------------


@pytest.fixture
def crowd(world, waiting, payment_case):
    """More of everything than a page shows, so a query per row would show."""
    from kameng.agents import requests as money_requests

    agents = [factories.agent(parent=world.a1, funds="100") for _ in range(6)]
    for n, agent in enumerate(agents):
        money_requests.request_top_up(agent, "5.00", f"CROWD-{n}")
        money_requests.request_withdrawal(agent, "5.00", f"bank {n}")
        factories.application()
    for _ in range(3):
        factories.supplier()
    return agents


@pytest.mark.parametrize(
    ("url", "most"),
    [
        ("/console/o/", 12),
        ("/console/o/queues/", 12),
        ("/console/o/queues/disputes/", 12),
        ("/console/o/queues/topups/", 12),
        ("/console/o/queues/withdrawals/", 12),
        ("/console/o/agents/", 12),
        ("/console/o/agents/{a1}/", 12),
        ("/console/o/suppliers/", 12),
        ("/console/o/ledger/", 12),
        ("/console/o/payments/", 12),
        ("/console/o/payments/?tab=failed", 12),
    ],
)
def test_list_pages_take_a_bounded_number_of_queries(
    op_client, crowd, world, django_assert_max_num_queries, url, most
):
    url = url.format(a1=world.a1.pk)
    op_client.get(url)  # warm caches (system accounts' ids)
    with django_assert_max_num_queries(most):
        assert op_client.get(url).status_code == 200
