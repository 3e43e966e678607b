"""Posting money. The ledger knows accounts, amounts and a reference string; nothing else.

Locking: balances are changed with one conditional UPDATE per account, in descending
account id, so two postings that touch the same accounts always queue in the same
order and cannot deadlock. Descending, because the platform's shared accounts (escrow,
revenue) are made first by migration and have the lowest ids: every order touches
them, so they are locked last and held only until commit, not while a posting waits
on some agent's wallet. The UPDATE itself is the overdraft check; the CHECK constraint
on the table is the last line of defence.

Escrow is split into ESCROW_SHARDS accounts of one kind: every order credits one of
them, chosen by its number (`escrow_account_id`), so concurrent orders do not queue on
one row. Escrow totals are their sum (`escrow_balance`); each shard, like every
account, may not go below zero (`verify`).

On PostgreSQL a posting is one statement (journal, entries, locks, balances): one round
trip on every order's path instead of four.
"""

import re
import zlib
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from kameng import db
from kameng.ledger.errors import AlreadyPosted, InsufficientBalance, UnbalancedJournal
from kameng.ledger.models import Account, Entry, Journal
from kameng.money import ZERO, to_money

# Accounts every installation has, by code.
ESCROW = "platform:escrow"
REVENUE = "platform:revenue"
FUNDING = "external:funding"  # money agents pay in (bank transfer, cash)
PAYMENTS = "external:payments"  # end-user money through payment gateways
PAYOUTS = "external:payouts"  # money paid out: supplier settlements, agents' withdrawals
# Agents' withdrawals between request and payout: held here so the wallet cannot spend
# the same money again while the operator transfers it (migration 0008).
WITHDRAWALS = "platform:withdrawals"
ESCROW_SHARDS = 8  # escrow accounts: ESCROW, then ESCROW:1 … ESCROW:7 (migration 0007)


def escrow_code(shard: int) -> str:
    return ESCROW if shard == 0 else f"{ESCROW}:{shard}"


SYSTEM_ACCOUNTS = {
    **{
        escrow_code(shard): (
            "担保托管" if shard == 0 else f"担保托管 {shard}",
            Account.Kind.ESCROW,
            False,
        )
        for shard in range(ESCROW_SHARDS)
    },
    REVENUE: ("平台收入", Account.Kind.PLATFORM_REVENUE, False),
    FUNDING: ("外部入金", Account.Kind.EXTERNAL, True),
    PAYMENTS: ("支付渠道", Account.Kind.EXTERNAL, True),
    PAYOUTS: ("供应商结算出款", Account.Kind.EXTERNAL, True),
    WITHDRAWALS: ("待付提现", Account.Kind.WITHDRAWALS, False),
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


def escrow_account_id(reference: str) -> int:
    """The escrow account an order's money sits in: fixed by its number, so its
    payment, settlement and refund all post to the same one."""
    return system_account_id(escrow_code(zlib.crc32(reference.encode()) % ESCROW_SHARDS))


def escrow_balance() -> Decimal:
    """All money held in escrow: the sum of the escrow accounts."""
    total = Account.objects.filter(kind=Account.Kind.ESCROW).aggregate(total=Sum("balance"))
    return to_money(total["total"] or ZERO)


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
    created_at = db.db_datetime(timezone.now())
    with transaction.atomic(savepoint=False):
        # No savepoint: a duplicate key aborts the whole transaction, which is what the
        # caller wants (the exception leaves its atomic block and rolls everything back).
        try:
            if connection.vendor == "postgresql":
                journal_id, changed = _post_in_one_statement(
                    [key, kind, reference, memo, created_at], merged
                )
            else:
                journal_id, changed = _post_statement_by_statement(
                    [key, kind, reference, memo, created_at], merged
                )
        except IntegrityError as exc:
            if not _JOURNAL_KEY_TAKEN.search(str(exc)):
                raise
            raise AlreadyPosted(f"journal {key} was already posted", key=key) from exc
        if changed != len(merged):
            raise _insufficient(merged)
    return journal_id


# Unique violation on ledger_journal.key: PostgreSQL names the constraint, SQLite the column.
_JOURNAL_KEY_TAKEN = re.compile(r"ledger_journal_key|ledger_journal\.key")

_INSERT_JOURNAL = (
    "INSERT INTO ledger_journal (key, kind, reference, memo, created_at)"
    " VALUES (%s, %s, %s, %s, %s) RETURNING id"
)

# Journal, entries and balances in one statement. `locked` takes the row locks in the
# ledger's lock order (descending id) before any balance changes; the UPDATE's WHERE is
# the overdraft check, so fewer changed rows than lines means an account could not pay.
_POST_SQL = """
WITH journal AS ({insert_journal}),
lines (account_id, amount) AS (VALUES {lines}),
entries AS (
    INSERT INTO ledger_entry (journal_id, account_id, amount)
    SELECT journal.id, lines.account_id, lines.amount FROM journal, lines
),
locked AS (
    SELECT id FROM ledger_account WHERE id IN ({ids}) ORDER BY id DESC FOR UPDATE
),
changed AS (
    UPDATE ledger_account a SET balance = a.balance + lines.amount
    FROM lines JOIN locked ON locked.id = lines.account_id
    WHERE a.id = lines.account_id
      AND (lines.amount > 0 OR a.allow_negative OR a.balance >= -lines.amount)
    RETURNING a.id
)
SELECT (SELECT id FROM journal), (SELECT count(*) FROM changed)
"""


def _post_in_one_statement(journal: list, merged: list[Line]) -> tuple[int, int]:
    sql = _POST_SQL.format(
        insert_journal=_INSERT_JOURNAL,
        lines=", ".join(["(%s::bigint, %s::numeric)"] * len(merged)),
        ids=", ".join(["%s"] * len(merged)),
    )
    params = [*journal]
    params += [value for account_id, amount in merged for value in (account_id, amount)]
    params += [account_id for account_id, _ in merged]
    journal_id, changed = db.fetch_one(sql, params)
    return journal_id, changed


def _post_statement_by_statement(journal: list, merged: list[Line]) -> tuple[int, int]:
    """SQLite: the transaction already holds the database's only write lock."""
    journal_id = db.fetch_one(_INSERT_JOURNAL, journal)[0]
    values = ", ".join(["(%s, %s, %s)"] * len(merged))
    db.execute(
        f"INSERT INTO ledger_entry (journal_id, account_id, amount) VALUES {values}",
        [value for acc, amt in merged for value in (journal_id, acc, db.money_param(amt))],
    )
    changed = 0
    for account_id, amount in merged:
        # Exact: integer cents on SQLite.
        sql = "UPDATE ledger_account SET balance = balance + %s WHERE id = %s"
        params: list = [db.money_param(amount), account_id]
        if amount < 0:
            sql += " AND (allow_negative OR balance >= %s)"
            params.append(db.money_param(-amount))
        if db.execute(sql, params) != 1:
            break
        changed += 1
    return journal_id, changed


def _insufficient(merged: list[Line]) -> InsufficientBalance:
    """Which debited account could not pay (read after the failed posting)."""
    debited = {account_id: -amount for account_id, amount in merged if amount < 0}
    for account in Account.objects.filter(pk__in=debited, allow_negative=False).order_by("-pk"):
        if account.balance < debited[account.pk]:
            return InsufficientBalance(
                f"insufficient balance in {account.code}: {account.balance},"
                f" needs {debited[account.pk]}",
                wallet=account.code,
            )
    return InsufficientBalance(f"insufficient balance for {merged}")


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
