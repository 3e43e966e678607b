from datetime import date

from django.utils import timezone

from kameng.commands import KamengCommand
from kameng.errors import InvalidInput
from kameng.reporting.statements import statement
from kameng.suppliers.services import get_supplier


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"{option} wants a date as YYYY-MM-DD, got {text!r}") from exc


class Command(KamengCommand):
    help = (
        "A supplier's statement: settled sales, goods sold but still in escrow, payouts, "
        "and what it is owed. Default period: this month up to today."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="supplier name")
        parser.add_argument("--from", dest="start", metavar="YYYY-MM-DD")
        parser.add_argument("--to", dest="end", metavar="YYYY-MM-DD")

    def handle(self, *args, name: str, start: str | None, end: str | None, **options) -> None:
        today = timezone.localdate()
        last = _day(end, "--to") if end else today
        first = _day(start, "--from") if start else last.replace(day=1)
        self.print_json(statement(get_supplier(name), start=first, end=last).as_dict())
