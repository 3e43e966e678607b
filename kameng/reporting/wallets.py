"""An agent's prepaid account statement (预存款明细): every journal line on its wallet
in a period, with the balance after each, read from the ledger.

    closing = opening + the sum of the period's lines

Top-ups, purchases into escrow, refunds, spreads released by settlements, withdrawals
held, returned: whatever moved the wallet is a line, labelled by its journal's kind.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from kameng.agents.models import Agent
from kameng.errors import InvalidInput
from kameng.ledger.models import Entry, Journal
from kameng.money import ZERO, to_money

MAX_LINES = 5000  # a period with more lines is refused: ask for a shorter one


@dataclass(frozen=True)
class WalletLine:
    at: datetime
    kind: str
    kind_label: str
    reference: str  # the order number, request, or top-up it belongs to
    memo: str
    amount: Decimal  # + into the wallet, − out of it
    balance: Decimal  # after this line


@dataclass
class WalletStatement:
    agent: str
    start: date
    end: date  # inclusive
    opening: Decimal
    lines: list[WalletLine] = field(default_factory=list)
    closing: Decimal = ZERO

    @property
    def money_in(self) -> Decimal:
        return sum((line.amount for line in self.lines if line.amount > 0), ZERO)

    @property
    def money_out(self) -> Decimal:
        return -sum((line.amount for line in self.lines if line.amount < 0), ZERO)

    def as_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "period": {"from": self.start.isoformat(), "to": self.end.isoformat()},
            "opening_balance": str(self.opening),
            "lines": [
                {
                    "at": line.at.isoformat(),
                    "kind": line.kind,
                    "reference": line.reference,
                    "memo": line.memo,
                    "amount": str(line.amount),
                    "balance": str(line.balance),
                }
                for line in self.lines
            ],
            "totals": {"in": str(self.money_in), "out": str(self.money_out)},
            "closing_balance": str(self.closing),
        }


def wallet_statement(agent: Agent, *, start: date, end: date) -> WalletStatement:
    """The wallet's lines on the days start..end (inclusive, local time), oldest first.
    Two queries. InvalidInput if the period is reversed or holds over MAX_LINES lines."""
    if start > end:
        raise InvalidInput(f"the period starts ({start}) after it ends ({end})")
    since, until = _midnight(start), _midnight(end + timedelta(days=1))
    entries = Entry.objects.filter(account_id=agent.wallet_id)
    opening = to_money(
        entries.filter(journal__created_at__lt=since).aggregate(t=Sum("amount"))["t"] or ZERO
    )
    rows = list(
        entries.filter(journal__created_at__gte=since, journal__created_at__lt=until)
        .order_by("journal__created_at", "journal_id")
        .values_list(
            "amount", "journal__kind", "journal__reference", "journal__memo", "journal__created_at"
        )[: MAX_LINES + 1]
    )
    if len(rows) > MAX_LINES:
        raise InvalidInput(f"more than {MAX_LINES} lines in this period: ask for a shorter one")
    labels = dict(Journal.Kind.choices)
    result = WalletStatement(agent.user.username, start, end, opening)
    balance = opening
    for amount, kind, reference, memo, at in rows:
        balance += amount
        result.lines.append(
            WalletLine(at, kind, labels.get(kind, kind), reference, memo, amount, balance)
        )
    result.closing = to_money(balance)
    return result


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
