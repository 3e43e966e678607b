"""Top-ups Kameng cannot decide on its own go to the operator after a bounded time
(待人工处理), who resolves them from the CLI or the admin: query again, mark delivered,
or fail and refund. Every resolution is recorded with who and why; a final attempt is
never resolved again. Real worker, live server and simulated suppliers throughout."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from kameng.ledger import services as ledger
from kameng.ledger.models import Journal
from kameng.orders import services as orders
from kameng.orders.models import Order, OrderEvent
from kameng.orders.states import Status
from kameng.topup import services as topup
from kameng.topup.models import Attempt, Callback, Resolution
from kameng.topup.states import AttemptStatus
from tests import factories
from tests.live import connect, wait_until
from tests.orders.helpers import assert_books_sound
from tests.topup.helpers import buy, journals, settled, status_of

pytestmark = pytest.mark.usefixtures("worker")

ESCALATE_AFTER = 1.0  # seconds, instead of the 30 minutes of production
PRICE = Decimal("49.25")  # what agent3 pays for the 50 元 top-up
COST = Decimal("45.00")  # what the supplier charges


@pytest.fixture
def escalating(topup_settings):
    topup_settings.KAMENG_TOPUP_ESCALATE_AFTER_SECONDS = ESCALATE_AFTER
    return topup_settings


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_superuser("op", "op@example.com", "pw")


@pytest.fixture
def slow(sims, direct_world, escalating):
    """A supplier whose every answer comes after our 0.5 s timeout: it takes the order,
    but neither its submit answer nor any query answer ever arrives in time."""
    sim = sims(latency=2.0)
    connect(sim, direct_world.direct)
    return sim


def attempt_of(order: Order) -> Attempt:
    return Attempt.objects.get(order=order)


def escalated_order(world, account: str = "NOCB-13800138000") -> Order:
    """A top-up whose outcome stays unknown until it is escalated (no callback comes)."""
    order = buy(world, account=account)
    wait_until(lambda: attempt_of(order).status == AttemptStatus.UNKNOWN)
    wait_until(lambda: polled_and_escalated(order), 5)
    return order


def polled_and_escalated(order: Order) -> bool:
    """Run the poller (as beat does every 15 s); is the order's attempt escalated now?"""
    topup.poll_due()
    return attempt_of(order).status == AttemptStatus.ESCALATED


def notes(order: Order) -> list[str]:
    return list(
        OrderEvent.objects.filter(order=order).exclude(note="").values_list("note", flat=True)
    )


def resolve_cli(request_id: str, *args: str, operator: str = "op") -> None:
    call_command("topup_resolve", request_id, *args, "--operator", operator)


# --- escalation -----------------------------------------------------------------------


def test_an_unknown_top_up_escalates_to_the_operator_after_the_set_time(direct_world, slow, capsys):
    order = buy(direct_world, account="NOCB-13800138000")
    assert topup.escalate_due(timezone.now()) == 0  # not yet: just opened
    wait_until(lambda: attempt_of(order).status == AttemptStatus.UNKNOWN)
    wait_until(lambda: polled_and_escalated(order), 5)
    attempt = attempt_of(order)
    escalated_at = OrderEvent.objects.filter(order=order).last().at
    assert escalated_at - attempt.created_at >= timedelta(seconds=ESCALATE_AFTER)
    # The money stays held: the supplier may have topped up.
    assert status_of(order) == Status.DELIVERING
    assert ledger.escrow_balance() == PRICE
    assert notes(order)[-1] == (
        f"top-up {attempt.request_id} escalated to the operator: still unknown after 1 s"
    )

    call_command("topup_attempts", "--escalated", "--json")
    listed = json.loads(capsys.readouterr().out)
    assert [(a["request_id"], a["status"], a["order_no"], a["sends"]) for a in listed] == [
        (attempt.request_id, "escalated", order.order_no, 1)
    ]
    call_command("topup_attempts", "--escalated")
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["request_id", "status", "supplier"]
    assert table[1].split()[:2] == [attempt.request_id, "escalated"]

    # Kameng keeps asking: once the supplier answers again, a query settles it.
    slow.config.latency = 0
    settled(order, Status.DELIVERED, timeout=5)
    assert attempt_of(order).status == AttemptStatus.SUCCEEDED
    call_command("topup_attempts", "--escalated", "--json")
    assert json.loads(capsys.readouterr().out) == []
    assert_books_sound()


def test_a_late_callback_still_settles_an_escalated_top_up(direct_world, sims, escalating):
    sim = sims(latency=2.0, late_seconds=2.5)
    connect(sim, direct_world.direct)
    order = buy(direct_world, account="LATE-13800138000")
    wait_until(lambda: polled_and_escalated(order), 5)
    settled(order, Status.DELIVERED, timeout=10)  # the callback, not a query (all time out)
    attempt = attempt_of(order)
    assert attempt.status == AttemptStatus.SUCCEEDED
    assert Callback.objects.get(request_id=attempt.request_id).effect == Callback.Effect.APPLIED


# --- resolutions from the CLI ---------------------------------------------------------


def test_the_operator_marks_an_escalated_top_up_delivered_from_the_cli(
    direct_world, slow, operator, capsys
):
    before = factories.wallet(direct_world.a3)
    order = escalated_order(direct_world)
    attempt = attempt_of(order)

    resolve_cli(attempt.request_id, "--delivered", "--reason", "供应商客服确认已到账")
    shown = json.loads(capsys.readouterr().out)
    assert {k: shown[k] for k in ("action", "status_before", "status_after", "operator")} == {
        "action": "delivered",
        "status_before": "escalated",
        "status_after": "succeeded",
        "operator": "op",
    }
    assert (shown["order_status"], shown["reason"]) == ("delivered", "供应商客服确认已到账")
    assert status_of(order) == Status.DELIVERED
    assert notes(order)[-1] == (
        f"top-up {attempt.request_id} marked delivered by operator op: 供应商客服确认已到账"
    )

    # Escrow keeps the money until the buyer confirms; then the supplier is owed its cost.
    assert ledger.escrow_balance() == PRICE
    orders.confirm_receipt(Order.objects.get(pk=order.pk))
    assert ledger.balance(attempt.supplier.payable_id) == COST
    assert factories.wallet(direct_world.a3) == before - PRICE
    assert journals(order, Journal.Kind.ORDER_REFUND) == 0
    assert_books_sound()

    with pytest.raises(CommandError, match="attempt_final"):
        resolve_cli(attempt.request_id, "--failed", "--reason", "再来一次")
    assert Resolution.objects.filter(attempt=attempt).count() == 1
    assert ledger.balance(attempt.supplier.payable_id) == COST


def test_the_operator_fails_an_escalated_top_up_and_the_buyer_is_refunded(
    direct_world, slow, operator, capsys
):
    before = factories.wallet(direct_world.a3)
    order = escalated_order(direct_world, account="FAIL-NOCB-13800138000")
    attempt = attempt_of(order)

    resolve_cli(attempt.request_id, "--failed", "--reason", "供应商确认未充值")
    shown = json.loads(capsys.readouterr().out)
    assert (shown["status_after"], shown["order_status"]) == ("failed", "refunded")
    assert factories.wallet(direct_world.a3) == before
    assert journals(order, Journal.Kind.ORDER_REFUND) == 1
    assert ledger.balance(attempt.supplier.payable_id) == 0
    assert ledger.escrow_balance() == 0
    resolution = Resolution.objects.get(attempt=attempt)
    assert (resolution.action, resolution.reason, resolution.operator) == (
        "failed",
        "供应商确认未充值",
        operator,
    )
    assert attempt_of(order).error_code == "operator"
    assert_books_sound()

    for again in (["--delivered", "--reason", "x"], ["--query"]):
        with pytest.raises(CommandError, match="attempt_final"):
            resolve_cli(attempt.request_id, *again)
    assert factories.wallet(direct_world.a3) == before
    assert Resolution.objects.filter(attempt=attempt).count() == 1


def test_the_operator_queries_again_until_the_supplier_answers(
    direct_world, slow, operator, capsys
):
    order = escalated_order(direct_world)
    attempt = attempt_of(order)

    resolve_cli(attempt.request_id, "--query")
    shown = json.loads(capsys.readouterr().out)
    assert (shown["heard"], shown["status_after"]) == ("unreachable", "escalated")
    assert status_of(order) == Status.DELIVERING

    slow.config.latency = 0
    resolve_cli(attempt.request_id, "--query")
    shown = json.loads(capsys.readouterr().out)
    assert (shown["heard"], shown["status_after"], shown["order_status"]) == (
        "succeeded",
        "succeeded",
        "delivered",
    )
    assert [r.heard for r in Resolution.objects.filter(attempt=attempt)] == [
        "unreachable",
        "succeeded",
    ]
    assert f"top-up {attempt.request_id} queried by operator op: succeeded" in notes(order)
    assert_books_sound()


def test_resolutions_refuse_bad_input_and_change_nothing(direct_world, slow, operator):
    order = escalated_order(direct_world)
    attempt = attempt_of(order)
    refusals = [
        (["--delivered"], "reason_required"),
        (["--failed", "--reason", "   "], "reason_required"),
        (["--failed", "--reason", "a\x00b"], "invalid_input"),
        (["--failed", "--reason", "x" * 1001], "invalid_input"),
    ]
    for args, code in refusals:
        with pytest.raises(CommandError, match=code):
            resolve_cli(attempt.request_id, *args)
    with pytest.raises(CommandError, match="operator_not_found"):
        resolve_cli(attempt.request_id, "--failed", "--reason", "x", operator="nobody")
    with pytest.raises(CommandError, match="attempt_not_found"):
        resolve_cli("K-no-such-1", "--failed", "--reason", "x")
    assert attempt_of(order).status == AttemptStatus.ESCALATED
    assert status_of(order) == Status.DELIVERING
    assert not Resolution.objects.exists()

    resolve_cli(attempt.request_id, "--failed", "--reason", "清理")  # nothing left open


# --- resolutions from the admin -------------------------------------------------------


@pytest.fixture
def admin_client(client, operator):
    client.force_login(operator)
    return client


def admin_action(client, attempt: Attempt, action: str, reason: str = ""):
    url = reverse("admin:topup_attempt_changelist")
    data = {"action": action, "_selected_action": [attempt.pk], "reason": reason}
    return client.post(url, data, follow=True)


def page_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_admin_lists_escalated_top_ups_and_marks_one_delivered(
    direct_world, slow, admin_client, operator
):
    before = factories.wallet(direct_world.a3)
    order = escalated_order(direct_world)
    attempt = attempt_of(order)
    listing = admin_client.get(
        reverse("admin:topup_attempt_changelist"), {"status__exact": "escalated"}
    )
    assert listing.status_code == 200
    assert attempt.request_id in listing.content.decode()
    assert "待人工处理" in listing.content.decode()

    refused = admin_action(admin_client, attempt, "mark_delivered")  # no reason
    assert any("reason_required" in m for m in page_messages(refused))
    assert attempt_of(order).status == AttemptStatus.ESCALATED

    done = admin_action(admin_client, attempt, "mark_delivered", "供应商后台显示已成功")
    assert done.status_code == 200
    assert "1 条直充尝试已确认充值成功" in page_messages(done)
    assert status_of(order) == Status.DELIVERED
    orders.confirm_receipt(Order.objects.get(pk=order.pk))
    assert ledger.balance(attempt.supplier.payable_id) == COST
    assert factories.wallet(direct_world.a3) == before - PRICE
    assert_books_sound()

    again = admin_action(admin_client, attempt, "mark_failed", "改判")
    assert any("attempt_final" in m for m in page_messages(again))
    assert status_of(order) == Status.COMPLETED
    assert Resolution.objects.filter(attempt=attempt).count() == 1

    page = admin_client.get(reverse("admin:topup_attempt_change", args=[attempt.pk]))
    body = page.content.decode()
    assert "人工处理记录" in body and "供应商后台显示已成功" in body and "确认已充值" in body


def test_the_admin_fails_an_escalated_top_up_and_refunds_the_buyer(
    direct_world, slow, admin_client, operator
):
    before = factories.wallet(direct_world.a3)
    order = escalated_order(direct_world, account="FAIL-NOCB-13800138000")
    attempt = attempt_of(order)

    queried = admin_action(admin_client, attempt, "query_again")
    assert f"{attempt.request_id}: 供应商无法访问, 当前状态 待人工处理" in page_messages(queried)

    done = admin_action(admin_client, attempt, "mark_failed", "供应商确认失败")
    assert "1 条直充尝试已确认失败并退款" in page_messages(done)
    assert status_of(order) == Status.REFUNDED
    assert factories.wallet(direct_world.a3) == before
    assert journals(order, Journal.Kind.ORDER_REFUND) == 1
    assert ledger.balance(attempt.supplier.payable_id) == 0
    assert [(r.action, r.operator) for r in Resolution.objects.filter(attempt=attempt)] == [
        ("query", operator),
        ("failed", operator),
    ]
    assert_books_sound()

    again = admin_action(admin_client, attempt, "mark_delivered", "改判")
    assert any("attempt_final" in m for m in page_messages(again))
    assert factories.wallet(direct_world.a3) == before
    assert Resolution.objects.filter(attempt=attempt).count() == 2
