from kameng.commands import KamengCommand
from kameng.suppliers.payouts import pay_out
from kameng.suppliers.services import get_supplier


class Command(KamengCommand):
    help = (
        "Record a payout to a supplier (the bank transfer's reference makes it idempotent). "
        "Refused if it is more than the supplier is owed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="supplier name")
        parser.add_argument("amount", help="yuan, e.g. 1800.00")
        parser.add_argument("--reference", required=True, help="bank transfer reference")

    def handle(self, *args, name: str, amount: str, reference: str, **options) -> None:
        self.print_json(pay_out(get_supplier(name), amount, reference=reference).as_dict())
