"""Agents' top-up and withdrawal requests, decided by the operator: every account to the
cent after each step, refusals change nothing, repeats are harmless, and a withdrawal's
held money cannot be spent twice."""

import json
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from kameng.agents import requests
from kameng.agents.errors import (
    NotAnOperator,
    OperatorNotFound,
    RequestAlreadyDecided,
    RequestNotFound,
    TooManyOpenRequests,
    TopUpReferenceUsed,
    WithdrawalReferenceReused,
)
from kameng.agents.models import TopUpRequest, WithdrawalRequest
from kameng.errors import DomainError, InvalidInput, ReasonRequired
from kameng.ledger import services as ledger
from kameng.ledger.errors import InsufficientBalance
from kameng.ledger.models import Account, Journal
from kameng.money import InvalidAmount
from kameng.orders import services as orders
from tests import factories
from tests.concurrency import race
from tests.orders.helpers import assert_books_sound

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_user("op", password="x", is_staff=True)


@pytest.fixture
def shop(db):
    """An agent with 1000.00 in its wallet (a top-up by the operator)."""
    factories.levels()
    return factories.agent("shop", funds="1000.00")


def _books() -> dict[str, Decimal]:
    """Every account's balance by code (zero-balance accounts included)."""
    return dict(Account.objects.values_list("code", "balance"))


def _unchanged(before: dict[str, Decimal], journals: int) -> None:
    assert _books() == before
    assert Journal.objects.count() == journals


def _account(code: str) -> Decimal:
    return ledger.balance(ledger.system_account_id(code))


# --- top-ups -----------------------------------------------------------------------------


def test_an_approved_top_up_credits_the_wallet_once(shop, operator):
    funding_before = _account(ledger.FUNDING)
    request = requests.request_top_up(shop, "250.50", " BANK-0001 ", note="工行转账")
    assert (request.status, request.amount, request.reference) == (
        "submitted",
        D("250.50"),
        "BANK-0001",
    )
    assert factories.wallet(shop) == D("1000.00")  # nothing moves on a request

    approved = requests.approve_top_up(request, operator)
    assert approved is request and request.status == "approved"
    assert request.decided_by == operator and request.decided_at is not None
    assert factories.wallet(shop) == D("1250.50")
    assert _account(ledger.FUNDING) == funding_before - D("250.50")
    journal = Journal.objects.get(key=f"topup:request:{request.pk}")
    assert journal.kind == Journal.Kind.TOPUP

    # Approving again (a double click, a second operator): nothing more.
    before, journals = _books(), Journal.objects.count()
    again = requests.approve_top_up(TopUpRequest.objects.get(pk=request.pk), operator)
    assert again.status == "approved"
    _unchanged(before, journals)
    assert_books_sound()


def test_a_rejected_top_up_moves_nothing_and_says_why(shop, operator):
    request = requests.request_top_up(shop, "99.99", "BANK-0002")
    before, journals = _books(), Journal.objects.count()
    for reason in ("", "   "):
        with pytest.raises(ReasonRequired):
            requests.reject_top_up(request, operator, reason)
    assert TopUpRequest.objects.get(pk=request.pk).status == "submitted"

    requests.reject_top_up(request, operator, "银行未收到该笔转账")
    stored = TopUpRequest.objects.get(pk=request.pk)
    assert (stored.status, stored.reason, stored.decided_by) == (
        "rejected",
        "银行未收到该笔转账",
        operator,
    )
    _unchanged(before, journals)
    with pytest.raises(RequestAlreadyDecided):
        requests.approve_top_up(stored, operator)
    _unchanged(before, journals)
    assert TopUpRequest.objects.get(pk=request.pk).status == "rejected"


def test_an_approved_top_up_cannot_be_rejected(shop, operator):
    request = requests.request_top_up(shop, "10.00", "BANK-0003")
    requests.approve_top_up(request, operator)
    before, journals = _books(), Journal.objects.count()
    with pytest.raises(RequestAlreadyDecided):
        requests.reject_top_up(TopUpRequest.objects.get(pk=request.pk), operator, "搞错了")
    _unchanged(before, journals)


def test_one_bank_transfer_is_claimed_once(shop, operator):
    other = factories.agent("other")
    first = requests.request_top_up(shop, "50.00", "BANK-0004")
    with pytest.raises(TopUpReferenceUsed):
        requests.request_top_up(other, "50.00", "BANK-0004")
    with pytest.raises(TopUpReferenceUsed):
        requests.request_top_up(shop, "50.00", "BANK-0004")
    requests.reject_top_up(first, operator, "金额不符")
    # Rejected: the transfer may be claimed again (e.g. once it has arrived).
    second = requests.request_top_up(shop, "50.00", "BANK-0004")
    requests.approve_top_up(second, operator)
    with pytest.raises(TopUpReferenceUsed):
        requests.request_top_up(shop, "50.00", "BANK-0004")
    assert factories.wallet(shop) == D("1050.00")


@pytest.mark.parametrize("amount", ["0", "-5", "1.001", "abc", "10000000000.00", 1.5])
def test_a_bad_amount_makes_no_request(shop, amount):
    with pytest.raises(InvalidAmount):
        requests.request_top_up(shop, amount, "BANK-X")
    with pytest.raises(InvalidAmount):
        requests.request_withdrawal(shop, amount, "支付宝 shop@example.com")
    assert not TopUpRequest.objects.exists() and not WithdrawalRequest.objects.exists()


def test_references_payees_and_notes_are_checked(shop):
    for reference in ("", "  ", "x" * 65, "line\nbreak"):
        with pytest.raises(InvalidInput):
            requests.request_top_up(shop, "10", reference)
    with pytest.raises(InvalidInput):
        requests.request_top_up(shop, "10", "BANK-Y", note="x" * 256)
    for payee in ("", "x" * 129, "tab\there"):
        with pytest.raises(InvalidInput):
            requests.request_withdrawal(shop, "10", payee)
    assert not TopUpRequest.objects.exists() and not WithdrawalRequest.objects.exists()


def test_only_an_active_staff_user_decides(shop, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    top_up = requests.request_top_up(shop, "10.00", "BANK-0005")
    withdrawal = requests.request_withdrawal(shop, "10.00", "支付宝 shop@example.com")
    before, journals = _books(), Journal.objects.count()
    customer = django_user_model.objects.create_user("customer", password="x")
    retired = django_user_model.objects.create_user(
        "retired", password="x", is_staff=True, is_active=False
    )
    decisions = [
        (requests.approve_top_up, top_up),
        (requests.reject_top_up, top_up, "no"),
        (requests.pay_withdrawal, withdrawal, "PAY-1"),
        (requests.reject_withdrawal, withdrawal, "no"),
    ]
    for who in (customer, retired, AnonymousUser(), None, shop.user):
        for decide, request, *rest in decisions:
            with pytest.raises(NotAnOperator):
                decide(request, who, *rest)
    _unchanged(before, journals)
    assert {TopUpRequest.objects.get().status, WithdrawalRequest.objects.get().status} == {
        "submitted"
    }


def test_an_agent_has_at_most_ten_requests_waiting(shop, operator):
    for i in range(requests.MAX_OPEN_REQUESTS):
        requests.request_top_up(shop, "1.00", f"B-{i}")
    with pytest.raises(TooManyOpenRequests):
        requests.request_top_up(shop, "1.00", "B-more")
    requests.approve_top_up(TopUpRequest.objects.order_by("pk").first(), operator)
    requests.request_top_up(shop, "1.00", "B-more")  # one was decided: room again


# --- withdrawals -------------------------------------------------------------------------


def test_a_withdrawal_is_held_then_paid_out(shop, operator):
    payouts_before = _account(ledger.PAYOUTS)
    request = requests.request_withdrawal(shop, "300.25", " 支付宝 shop@example.com ")
    assert (request.status, request.payee) == ("submitted", "支付宝 shop@example.com")
    assert factories.wallet(shop) == D("699.75")
    assert _account(ledger.WITHDRAWALS) == D("300.25")
    hold = Journal.objects.get(key=f"withdrawal:{request.pk}:hold")
    assert (hold.kind, hold.reference) == (Journal.Kind.WITHDRAWAL_HOLD, f"W{request.pk}")

    requests.pay_withdrawal(request, operator, "ICBC-PAY-77")
    stored = WithdrawalRequest.objects.get(pk=request.pk)
    assert (stored.status, stored.payout_reference, stored.decided_by) == (
        "paid",
        "ICBC-PAY-77",
        operator,
    )
    assert factories.wallet(shop) == D("699.75")
    assert _account(ledger.WITHDRAWALS) == D("0.00")
    assert _account(ledger.PAYOUTS) == payouts_before + D("300.25")
    paid = Journal.objects.get(key=f"withdrawal:{request.pk}:paid")
    assert paid.kind == Journal.Kind.WITHDRAWAL_PAID
    assert_books_sound()

    # The same payout recorded again: nothing moves. Another decision: refused.
    before, journals = _books(), Journal.objects.count()
    assert requests.pay_withdrawal(stored, operator, "ICBC-PAY-77").status == "paid"
    with pytest.raises(RequestAlreadyDecided):
        requests.pay_withdrawal(stored, operator, "ICBC-PAY-78")
    with pytest.raises(RequestAlreadyDecided):
        requests.reject_withdrawal(stored, operator, "不该付")
    _unchanged(before, journals)
    assert WithdrawalRequest.objects.get(pk=request.pk).payout_reference == "ICBC-PAY-77"


def test_a_rejected_withdrawal_returns_the_money(shop, operator):
    request = requests.request_withdrawal(shop, "1000.00", "招商银行 6225 **** 0001")
    assert factories.wallet(shop) == D("0.00")
    before, journals = _books(), Journal.objects.count()
    with pytest.raises(ReasonRequired):
        requests.reject_withdrawal(request, operator, "")
    _unchanged(before, journals)

    requests.reject_withdrawal(request, operator, "收款账户户名与实名不符")
    assert factories.wallet(shop) == D("1000.00")
    assert _account(ledger.WITHDRAWALS) == D("0.00")
    returned = Journal.objects.get(key=f"withdrawal:{request.pk}:returned")
    assert returned.kind == Journal.Kind.WITHDRAWAL_RETURNED

    before, journals = _books(), Journal.objects.count()
    requests.reject_withdrawal(request, operator, "again")  # harmless
    with pytest.raises(RequestAlreadyDecided):
        requests.pay_withdrawal(request, operator, "PAY-LATE")
    _unchanged(before, journals)
    stored = WithdrawalRequest.objects.get(pk=request.pk)
    assert (stored.status, stored.reason, stored.payout_reference) == (
        "rejected",
        "收款账户户名与实名不符",
        "",
    )
    assert_books_sound()


def test_a_withdrawal_larger_than_the_wallet_is_refused_and_leaves_no_trace(shop):
    before, journals = _books(), Journal.objects.count()
    with pytest.raises(InsufficientBalance):
        requests.request_withdrawal(shop, "1000.01", "支付宝 shop@example.com")
    _unchanged(before, journals)
    assert not WithdrawalRequest.objects.exists()


def test_held_money_cannot_be_spent_twice(world):
    requests.request_withdrawal(world.a3, "1950.00", "支付宝 a3@example.com")
    assert factories.wallet(world.a3) == D("50.00")
    before, journals = _books(), Journal.objects.count()
    with pytest.raises(InsufficientBalance):  # one code costs 98.50
        orders.place_order(agent=world.a3, sku_id=world.sku.pk, quantity=1, out_trade_no="x")
    with pytest.raises(InsufficientBalance):
        requests.request_withdrawal(world.a3, "50.01", "支付宝 a3@example.com")
    _unchanged(before, journals)
    assert WithdrawalRequest.objects.count() == 1


def test_one_payout_transfer_pays_one_withdrawal(shop, operator):
    first = requests.request_withdrawal(shop, "10.00", "支付宝 shop@example.com")
    second = requests.request_withdrawal(shop, "20.00", "支付宝 shop@example.com")
    requests.pay_withdrawal(first, operator, "PAY-1")
    before, journals = _books(), Journal.objects.count()
    with pytest.raises(WithdrawalReferenceReused):
        requests.pay_withdrawal(second, operator, "PAY-1")
    _unchanged(before, journals)
    assert WithdrawalRequest.objects.get(pk=second.pk).status == "submitted"
    for bad in ("", "  ", "x" * 65):
        with pytest.raises(InvalidInput):
            requests.pay_withdrawal(second, operator, bad)
    _unchanged(before, journals)


def test_an_agent_finds_only_its_own_requests(shop):
    other = factories.agent("other", funds="5.00")
    mine = requests.request_withdrawal(shop, "1.00", "支付宝 shop@example.com")
    theirs = requests.request_top_up(other, "1.00", "B-other")
    assert requests.get_withdrawal_request(mine.pk, agent=shop) == mine
    with pytest.raises(RequestNotFound):
        requests.get_withdrawal_request(mine.pk, agent=other)
    with pytest.raises(RequestNotFound):
        requests.get_top_up_request(theirs.pk, agent=shop)
    for bad in ("abc", None, 10**9):
        with pytest.raises(RequestNotFound):
            requests.get_top_up_request(bad)
    assert list(requests.top_up_requests(agent=shop)) == []
    assert list(requests.withdrawal_requests(agent=shop, status="submitted")) == [mine]


# --- the command line and the admin --------------------------------------------------------


def test_the_operator_decides_from_the_command_line(shop, operator, capsys):
    top_up = requests.request_top_up(shop, "80.00", "BANK-CLI")
    withdrawal = requests.request_withdrawal(shop, "30.00", "支付宝 shop@example.com")

    call_command("topup_requests", "--json")
    assert [row["id"] for row in json.loads(capsys.readouterr().out)] == [top_up.pk]
    call_command("withdrawal_requests")
    assert "支付宝 shop@example.com" in capsys.readouterr().out

    call_command("topup_request_approve", str(top_up.pk), "--operator", "op", "--json")
    view = json.loads(capsys.readouterr().out)
    assert (view["status"], view["decided_by"]) == ("approved", "op")
    call_command(
        "withdrawal_pay", str(withdrawal.pk), "--reference", "PAY-CLI", "--operator", "op", "--json"
    )
    view = json.loads(capsys.readouterr().out)
    assert (view["status"], view["payout_reference"]) == ("paid", "PAY-CLI")
    assert factories.wallet(shop) == D("1050.00")

    call_command("topup_requests", "--status", "all", "--json")
    assert [row["status"] for row in json.loads(capsys.readouterr().out)] == ["approved"]
    with pytest.raises(CommandError, match="request_decided"):
        call_command("withdrawal_reject", str(withdrawal.pk), "--reason", "r", "--operator", "op")
    with pytest.raises(CommandError, match="operator_not_found"):
        call_command("withdrawal_pay", str(withdrawal.pk), "--reference", "P", "--operator", "shop")
    with pytest.raises(CommandError, match="request_not_found"):
        call_command("topup_request_reject", "999", "--reason", "r", "--operator", "op")
    assert_books_sound()


def test_get_operator_names_only_active_staff(operator, django_user_model):
    assert requests.get_operator("op") == operator
    django_user_model.objects.create_user("plain", password="x")
    with pytest.raises(OperatorNotFound):
        requests.get_operator("plain")


def test_the_admin_decides_through_the_services(client, shop):
    get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.login(username="root", password="pw")
    top_up = requests.request_top_up(shop, "70.00", "BANK-ADM")
    withdrawal = requests.request_withdrawal(shop, "40.00", "支付宝 shop@example.com")

    url = reverse("admin:agents_topuprequest_changelist")
    assert client.get(url).status_code == 200
    client.post(url, {"action": "approve", "_selected_action": [top_up.pk], "reason": ""})
    assert TopUpRequest.objects.get(pk=top_up.pk).decided_by.username == "root"

    url = reverse("admin:agents_withdrawalrequest_changelist")
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"action": "pay", "_selected_action": [withdrawal.pk], "payout_reference": ""}
    )
    assert WithdrawalRequest.objects.get(pk=withdrawal.pk).status == "submitted"  # no reference
    assert response.status_code == 302
    client.post(
        url, {"action": "pay", "_selected_action": [withdrawal.pk], "payout_reference": "ADM-1"}
    )
    assert WithdrawalRequest.objects.get(pk=withdrawal.pk).payout_reference == "ADM-1"
    assert factories.wallet(shop) == D("1030.00")
    assert client.get(reverse("admin:agents_invitelink_changelist")).status_code == 200
    assert_books_sound()


# --- PostgreSQL: decisions racing -----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_operators_paying_one_withdrawal_at_once_pay_it_once(transactional_db):
    users = get_user_model().objects
    operators = [users.create_user(f"op{i}", password="x", is_staff=True) for i in range(2)]
    shop = factories.agent("racer", funds="500.00")
    payouts_before = _account(ledger.PAYOUTS)

    same = requests.request_withdrawal(shop, "200.00", "支付宝 racer@example.com")
    results = race(2, lambda i: requests.pay_withdrawal(same, operators[i], "PAY-SAME"))
    assert all(isinstance(r, WithdrawalRequest) for r in results), results

    other = requests.request_withdrawal(shop, "100.00", "支付宝 racer@example.com")
    results = race(2, lambda i: requests.pay_withdrawal(other, operators[i], f"PAY-{i}"))
    paid = [r for r in results if isinstance(r, WithdrawalRequest)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(paid) == 1 and [r.code for r in refused] == ["request_decided"], results

    assert Journal.objects.filter(kind=Journal.Kind.WITHDRAWAL_PAID).count() == 2
    assert factories.wallet(shop) == D("200.00")
    assert _account(ledger.WITHDRAWALS) == D("0.00")
    assert _account(ledger.PAYOUTS) == payouts_before + D("300.00")
    assert_books_sound()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_operators_approving_one_top_up_at_once_credit_it_once(transactional_db):
    operator = get_user_model().objects.create_user("op", password="x", is_staff=True)
    shop = factories.agent("racer")
    request = requests.request_top_up(shop, "123.45", "BANK-RACE")
    results = race(5, lambda i: requests.approve_top_up(request, operator))
    assert all(isinstance(r, TopUpRequest) for r in results), results
    assert factories.wallet(shop) == D("123.45")
    assert (
        Journal.objects.filter(kind=Journal.Kind.TOPUP, key__startswith="topup:request:").count()
        == 1
    )
    assert_books_sound()
