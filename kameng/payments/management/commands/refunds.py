from kameng.commands import KamengCommand
from kameng.payments.queries import refund_view, refunds

COLUMNS = ("id", "order_no", "trade_no", "amount", "status", "tries", "last_error")


class Command(KamengCommand):
    help = (
        "List refunds sent back through the payment gateway, newest first; --failed: "
        "only those the gateway refused or never answered, waiting for the operator "
        "(retry them with refund-retry)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--failed", action="store_true", help="only failed refunds")

    def handle(self, *args, failed: bool, **options) -> None:
        rows = [refund_view(r) for r in refunds(failed_only=failed)]
        self.print_rows(rows, COLUMNS, empty="no failed refunds" if failed else "no refunds")
