from kameng.agents import requests
from kameng.commands import KamengCommand


class Command(KamengCommand):
    help = (
        "Record that a withdrawal was paid out (your bank transfer's --reference): the "
        "held amount leaves the platform. Idempotent: the same reference again changes "
        "nothing. Recorded with the operator."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("request_id", help="see withdrawal-requests")
        parser.add_argument("--reference", required=True, help="the payout transfer's reference")
        parser.add_argument("--operator", required=True, help="your staff username")

    def handle(self, *args, request_id: str, reference: str, operator: str, **options) -> None:
        who = requests.get_operator(operator)
        request = requests.pay_withdrawal(
            requests.get_withdrawal_request(request_id), who, reference
        )
        self.print_json(requests.request_view(request))
