from pathlib import Path

from kameng.catalog.queries import get_sku
from kameng.commands import KamengCommand
from kameng.errors import InvalidInput
from kameng.money import parse_money
from kameng.stock import services
from kameng.suppliers.services import get_supplier


class Command(KamengCommand):
    help = (
        "Import a batch of card codes for a SKU from a CSV (code,secret) or one-per-line "
        "text file. Duplicates and bad lines are rejected and reported by line number."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="path, or - for standard input")
        parser.add_argument("--sku", type=int, required=True)
        parser.add_argument("--supplier", required=True, help="supplier name")
        parser.add_argument("--cost", help="cost per card (default: the supplier's offer)")

    def handle(
        self, *args, file: str, sku: int, supplier: str, cost: str | None, **options
    ) -> None:
        text = self._read(file)
        try:
            batch_cost = parse_money(cost) if cost else None
        except ValueError as exc:
            raise InvalidInput(str(exc)) from exc
        report = services.import_cards(
            get_supplier(supplier),
            get_sku(sku),
            text,
            cost=batch_cost,
            source_name=Path(file).name,
        )
        self.print_json(report.as_dict())

    def _read(self, file: str) -> str:
        if file == "-":
            import sys

            return sys.stdin.read()
        path = Path(file)
        if not path.is_file():
            raise InvalidInput(f"no such file: {file}")
        return services.decode_card_file(path.read_bytes(), file)
