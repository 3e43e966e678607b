from decimal import Decimal

from kameng.ledger import services as ledger
from kameng.orders.queries import escrow_held
from kameng.stock.models import Card


def assert_books_sound() -> None:
    """The invariants that must hold after any scenario."""
    problems = ledger.verify()
    assert problems == [], problems
    assert ledger.total_of_all_balances() == 0
    assert ledger.escrow_balance() == escrow_held()
    sold = Card.objects.exclude(status=Card.Status.AVAILABLE)
    assert sold.filter(order__isnull=True).count() == 0


def snapshot(*account_ids: int) -> list[Decimal]:
    return [ledger.balance(a) for a in account_ids]
