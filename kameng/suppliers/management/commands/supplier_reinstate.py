from kameng.commands import KamengCommand
from kameng.suppliers import onboarding
from kameng.suppliers.services import get_supplier


class Command(KamengCommand):
    help = "Reinstate a suspended supplier: its goods sell again."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="supplier name")
        parser.add_argument("--reason", default="")

    def handle(self, *args, name: str, reason: str, **options) -> None:
        supplier = onboarding.reinstate_supplier(get_supplier(name), reason=reason)
        self.print_json({"supplier": supplier.name, "status": supplier.status})
