from kameng.commands import KamengCommand
from kameng.reporting.dashboards import supplier_quality

COLUMNS = [
    "name",
    "status",
    "orders",
    "complaints",
    "complaint_rate",
    "topup_decided",
    "topup_success_rate",
]


class Command(KamengCommand):
    help = (
        "Suppliers' quality: orders delivered, complaints (disputed, or refunded after a "
        "dispute) and their rate, top-up attempts ended and the share that succeeded."
    )

    def handle(self, *args, **options) -> None:
        rows = [quality.as_dict() for quality in supplier_quality()]
        self.print_rows(rows, COLUMNS, empty="no suppliers")
