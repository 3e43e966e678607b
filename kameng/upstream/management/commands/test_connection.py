from kameng.commands import KamengCommand
from kameng.suppliers.services import get_supplier
from kameng.upstream import services

COLUMNS = ["sku", "remote_sku", "cost", "stock", "available"]


class Command(KamengCommand):
    help = (
        "Test an API supplier's connection: ask it, through its adapter, about each "
        "product it offers us, and show what it said (offers' stock and cost refreshed)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="supplier name")

    def handle(self, *args, name: str, **options) -> None:
        rows = services.test_connection(get_supplier(name))
        self.print_rows(
            [
                {
                    "sku": str(row.sku),
                    "remote_sku": row.remote_sku,
                    "cost": str(row.cost),
                    "stock": "unlimited" if row.stock is None else row.stock,
                    "available": row.available,
                }
                for row in rows
            ],
            COLUMNS,
            empty="connected: the supplier answered (no offers with a product code to ask about)",
        )
