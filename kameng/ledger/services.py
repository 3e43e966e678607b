"""Posting money. The ledger knows accounts, amounts and a reference string; nothing else.

Locking: balances are changed with one conditional UPDATE per account, in descending
account id, so two postings that touch the same accounts always queue in the same
order and cannot deadlock. Descending, because the platform's shared accounts (escrow,
revenue) are made first by migration and have the lowest ids: every order touches
them, so they are locked last and held only until commit, not while a posting waits
on some agent's wallet. The UPDATE itself is the overdraft check; the CHECK constraint
on the table is the last line of defence.
"""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from kameng import db
from kameng.ledger.errors import AlreadyPosted, InsufficientBalance, UnbalancedJournal
from kameng.ledger.models import Account, Entry, Journal
from kameng.money import ZERO, to_money

# Accounts every installation has, by code.
ESCROW = "platform:escrow"
REVENUE = "platform:revenue"
FUNDING = "external:funding"  # money agents pay in (bank transfer, cash) and withdraw
PAYMENTS = "external:payments"  # end-user money through payment gateways
PAYOUTS = "external:payouts"  # money paid out to suppliers (settlement transfers)

SYSTEM_ACCOUNTS = {
    ESCROW: ("担保托管", Account.Kind.ESCROW, False),
    REVENUE: ("平台收入", Account.Kind.PLATFORM_REVENUE, False),
    FUNDING: ("外部入金", Account.Kind.EXTERNAL, True),
    PAYMENTS: ("支付渠道", Account.Kind.EXTERNAL, True),
    PAYOUTS: ("供应商结算出款", Account.Kind.EXTERNAL, True),
}

Line = tuple[int, Decimal]  # (account id, signed amount)


def open_account(code: str, name: str, kind: str, *, allow_negative: bool = False) -> Account:
    account, _ = Account.objects.get_or_create(
        code=code, defaults={"name": name, "kind": kind, "allow_negative": allow_negative}
    )
    return account


_system_ids: dict[str, int] = {}


def system_account_id(code: str) -> int:
    """Id of a system account (made by the ledger migrations), remembered for the process.

    Recreated if missing (a test flushed the tables); an id is remembered only once the
    row was found already there, never one made inside a transaction that may roll back.
    """
    if code in _system_ids:
        return _system_ids[code]
    name, kind, allow_negative = SYSTEM_ACCOUNTS[code]
    account, created = Account.objects.get_or_create(
        code=code, defaults={"name": name, "kind": kind, "allow_negative": allow_negative}
    )
    if not created:
        _system_ids[code] = account.pk
    return account.pk


def forget_system_accounts() -> None:
    _system_ids.clear()


def merge_lines(lines: Iterable[Line]) -> list[Line]:
    """Sum lines per account, drop zeros, sort by descending account id (the lock order)."""
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for account_id, amount in lines:
        totals[account_id] += to_money(amount)
    return sorted(((acc, amt) for acc, amt in totals.items() if amt != 0), reverse=True)


def post(*, key: str, kind: str, lines: Iterable[Line], reference: str = "", memo: str = "") -> int:
    """Post one balanced journal atomically; returns its id. Joins the caller's
    transaction if there is one (no savepoint: this is on every order's path).

    Raises InsufficientBalance if an account that may not go negative would, and
    AlreadyPosted if a journal with this key exists (the caller decides whether that
    is a harmless retry).
    """
    merged = merge_lines(lines)
    if len(merged) < 2 or sum(amount for _, amount in merged) != 0:
        raise UnbalancedJournal(f"journal {key} does not balance: {merged}")
    with transaction.atomic(savepoint=False):
        # No savepoint: a duplicate key aborts the whole transaction, which is what the
        # caller wants (the exception leaves its atomic block and rolls everything back).
        try:
            journal_id = db.fetch_one(
                "INSERT INTO ledger_journal (key, kind, reference, memo, created_at)"
                " VALUES (%s, %s, %s, %s, %s) RETURNING id",
                [key, kind, reference, memo, db.db_datetime(timezone.now())],
            )[0]
        except IntegrityError as exc:
            raise AlreadyPosted(f"journal {key} was already posted", key=key) from exc
        values = ", ".join(["(%s, %s, %s)"] * len(merged))
        db.execute(
            f"INSERT INTO ledger_entry (journal_id, account_id, amount) VALUES {values}",
            [value for acc, amt in merged for value in (journal_id, acc, db.money_param(amt))],
        )
        for account_id, amount in merged:
            _apply(account_id, amount)
    return journal_id


def _apply(account_id: int, amount: Decimal) -> None:
    # Exact on both backends: numeric on PostgreSQL, integer cents on SQLite.
    sql = "UPDATE ledger_account SET balance = balance + %s WHERE id = %s"
    params: list = [db.money_param(amount), account_id]
    if amount < 0:
        sql += " AND (allow_negative OR balance >= %s)"
        params.append(db.money_param(-amount))
    if db.execute(sql, params) != 1:
        account = Account.objects.get(pk=account_id)
        raise InsufficientBalance(
            f"insufficient balance in {account.code}: {account.balance}, needs {-amount}",
            wallet=account.code,
        )


def balance(account_id: int) -> Decimal:
    return Account.objects.values_list("balance", flat=True).get(pk=account_id)


def verify() -> list[str]:
    """Every journal sums to zero; every cached balance equals the sum of its entries;
    no account below zero unless allowed. Returns the problems found (empty = sound)."""
    problems: list[str] = []
    # Exact on both backends (numeric; integer cents on SQLite): the database filters.
    sums_per_journal = (
        Entry.objects.values_list("journal__key").annotate(total=Sum("amount")).exclude(total=0)
    )
    problems += [f"journal {key} sums to {total}" for key, total in sums_per_journal]
    empty = Journal.objects.filter(entries__isnull=True).values_list("key", flat=True)
    problems += [f"journal {key} has no entries" for key in empty]
    sums = dict(Entry.objects.values_list("account_id").annotate(total=Sum("amount")))
    for account in Account.objects.order_by("pk"):
        expected = sums.get(account.pk) or ZERO
        if account.balance != expected:
            problems.append(
                f"account {account.code}: balance {account.balance} != sum of entries {expected}"
            )
        if account.balance < 0 and not account.allow_negative:
            problems.append(f"account {account.code} is negative: {account.balance}")
    return problems


def total_of_all_balances() -> Decimal:
    """Zero when the books balance: every unit of money is somewhere."""
    return to_money(Account.objects.aggregate(total=Sum("balance"))["total"] or ZERO) + ZERO
