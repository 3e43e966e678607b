from kameng.commands import KamengCommand
from kameng.payments import services
from kameng.payments.queries import refund_view


class Command(KamengCommand):
    help = (
        "Send a failed refund to the payment gateway again (after fixing what made it "
        "fail): it is queued at once and tried like a new one. Recorded with the operator."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("refund_id", type=int, help="the refund's id (see `kameng refunds`)")
        parser.add_argument("--operator", required=True, help="your staff username")

    def handle(self, *args, refund_id: int, operator: str, **options) -> None:
        who = services.get_operator(operator)
        refund = services.retry_refund(services.get_refund(refund_id), who)
        self.print_json(refund_view(refund))
