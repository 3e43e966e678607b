from kameng.catalog.queries import get_sku
from kameng.commands import KamengCommand
from kameng.errors import InvalidInput
from kameng.money import parse_money
from kameng.suppliers import services
from kameng.suppliers.models import Supplier


class Command(KamengCommand):
    help = "Register a supplier and (optionally) the SKUs it is licensed for, with their cost."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name")
        parser.add_argument("--approved", action="store_true", help="approve at once")
        parser.add_argument(
            "--offer",
            action="append",
            default=[],
            metavar="SKU_ID:COST",
            help="licensed SKU and its cost, repeatable, e.g. --offer 3:9.20",
        )

    def handle(self, *args, name: str, approved: bool, offer: list[str], **options) -> None:
        offers = []
        for item in offer:
            sku_id, _, cost = item.partition(":")
            try:
                offers.append((get_sku(int(sku_id)), parse_money(cost)))
            except ValueError as exc:
                raise InvalidInput(f"--offer wants SKU_ID:COST, got {item!r}") from exc
        status = Supplier.Status.APPROVED if approved else Supplier.Status.PENDING
        supplier = services.create_supplier(name, status=status)
        for sku, cost in offers:
            services.set_offer(supplier, sku, cost)
        self.print_json({"supplier": supplier.name, "id": supplier.pk, "status": supplier.status})
