from kameng.commands import KamengCommand
from kameng.payments import services
from kameng.payments.queries import payment_view


class Command(KamengCommand):
    help = (
        "Confirm, as the operator, a storefront payment the gateway never reported (seen "
        "in the gateway's console): the order is paid as by a notify (delivered, or "
        "refunded if no goods are left), once; the same confirmation again changes "
        "nothing. Recorded with the operator and reason."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("order_no", help="the storefront order's number")
        parser.add_argument("--trade-no", required=True, help="the gateway's trade number")
        parser.add_argument("--reason", required=True, help="why (what you checked)")
        parser.add_argument("--operator", required=True, help="your staff username")

    def handle(self, *args, order_no: str, trade_no: str, reason: str, operator: str, **o) -> None:
        who = services.get_operator(operator)
        payment = services.confirm_payment(order_no, trade_no=trade_no, operator=who, reason=reason)
        self.print_json(payment_view(payment))
