from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from kameng.ledger import services as ledger
from kameng.ledger.errors import AlreadyPosted, InsufficientBalance, UnbalancedJournal
from kameng.ledger.models import Account, Entry, Journal

pytestmark = pytest.mark.django_db


def _accounts(n: int) -> list[int]:
    return [
        ledger.open_account(f"test:{i}", f"t{i}", Account.Kind.AGENT_WALLET).pk for i in range(n)
    ]


def test_post_moves_money_and_balances():
    a, b = _accounts(2)
    funding = ledger.system_account_id(ledger.FUNDING)
    ledger.post(key="k1", kind="topup", lines=[(funding, Decimal("-50.00")), (a, Decimal("50"))])
    ledger.post(key="k2", kind="adjustment", lines=[(a, Decimal("-20.25")), (b, Decimal("20.25"))])
    assert ledger.balance(a) == Decimal("29.75")
    assert ledger.balance(b) == Decimal("20.25")
    assert ledger.balance(funding) == Decimal("-50.00")
    assert ledger.verify() == []
    assert ledger.total_of_all_balances() == Decimal("0.00")


def test_unbalanced_journal_is_refused_and_nothing_written():
    a, b = _accounts(2)
    with pytest.raises(UnbalancedJournal), transaction.atomic():
        ledger.post(key="bad", kind="adjustment", lines=[(a, Decimal("-1")), (b, Decimal("2"))])
    with pytest.raises(UnbalancedJournal):
        ledger.post(key="single", kind="adjustment", lines=[(a, Decimal("0"))])
    assert Journal.objects.count() == 0 and Entry.objects.count() == 0


def test_overdraft_is_refused_and_nothing_changes():
    a, b = _accounts(2)
    funding = ledger.system_account_id(ledger.FUNDING)
    ledger.post(key="in", kind="topup", lines=[(funding, Decimal("-10")), (a, Decimal("10"))])
    with pytest.raises(InsufficientBalance) as caught, transaction.atomic():
        ledger.post(
            key="out", kind="adjustment", lines=[(a, Decimal("-10.01")), (b, Decimal("10.01"))]
        )
    assert caught.value.code == "insufficient_balance"
    assert ledger.balance(a) == Decimal("10.00")
    assert ledger.balance(b) == Decimal("0.00")
    assert not Journal.objects.filter(key="out").exists()


def test_same_key_twice_is_refused():
    a, _ = _accounts(2)
    funding = ledger.system_account_id(ledger.FUNDING)
    lines = [(funding, Decimal("-5")), (a, Decimal("5"))]
    ledger.post(key="once", kind="topup", lines=lines)
    with pytest.raises(AlreadyPosted), transaction.atomic():
        ledger.post(key="once", kind="topup", lines=lines)
    assert ledger.balance(a) == Decimal("5.00")


def test_database_refuses_a_negative_balance_even_bypassing_the_service():
    from django.db import IntegrityError

    (a,) = _accounts(1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=a).update(balance=Decimal("-1"))


def test_verify_ledger_command_catches_a_tampered_balance(capsys):
    a, _ = _accounts(2)
    funding = ledger.system_account_id(ledger.FUNDING)
    ledger.post(key="in", kind="topup", lines=[(funding, Decimal("-10")), (a, Decimal("10"))])
    call_command("verify_ledger")
    assert "ledger balances" in capsys.readouterr().out
    Account.objects.filter(pk=a).update(balance=Decimal("11"))
    with pytest.raises(SystemExit) as exited:
        call_command("verify_ledger")
    assert exited.value.code == 1
    assert "test:0: balance 11.00 != sum of entries 10.00" in capsys.readouterr().err


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2)


class LedgerMachine(RuleBasedStateMachine):
    """Random top-ups and transfers; the model and the database must agree after each."""

    @initialize()
    def setup(self):
        # Each example runs in a savepoint rolled back at teardown: a clean ledger each time.
        self._example = transaction.atomic()
        self._example.__enter__()
        self.accounts = _accounts(4)
        self.model = dict.fromkeys(self.accounts, Decimal("0.00"))
        self.funding = ledger.system_account_id(ledger.FUNDING)
        self.serial = 0

    def _key(self) -> str:
        self.serial += 1
        return f"m{self.serial}"

    @rule(index=st.integers(0, 3), amount=amounts)
    def top_up(self, index, amount):
        account = self.accounts[index]
        ledger.post(
            key=self._key(), kind="topup", lines=[(self.funding, -amount), (account, amount)]
        )
        self.model[account] += amount

    @rule(src=st.integers(0, 3), dst=st.integers(0, 3), amount=amounts)
    def transfer(self, src, dst, amount):
        a, b = self.accounts[src], self.accounts[dst]
        if a == b:
            return
        try:
            with transaction.atomic():
                ledger.post(key=self._key(), kind="adjustment", lines=[(a, -amount), (b, amount)])
        except InsufficientBalance:
            assert self.model[a] < amount
            return
        self.model[a] -= amount
        self.model[b] += amount

    def teardown(self):
        if hasattr(self, "_example"):
            transaction.set_rollback(True)
            self._example.__exit__(None, None, None)

    @invariant()
    def books_agree(self):
        for account, expected in self.model.items():
            assert ledger.balance(account) == expected
            assert expected >= 0
        assert ledger.total_of_all_balances() == 0
        assert ledger.verify() == []


TestLedgerMachine = LedgerMachine.TestCase
TestLedgerMachine.settings = settings(
    max_examples=25,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
