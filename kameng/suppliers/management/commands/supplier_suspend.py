from kameng.commands import KamengCommand
from kameng.suppliers import onboarding
from kameng.suppliers.services import get_supplier


class Command(KamengCommand):
    help = "Suspend an approved supplier: its goods stop selling at once. Needs a reason."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="supplier name")
        parser.add_argument("--reason", required=True)

    def handle(self, *args, name: str, reason: str, **options) -> None:
        supplier = onboarding.suspend_supplier(get_supplier(name), reason=reason)
        self.print_json({"supplier": supplier.name, "status": supplier.status})
