from kameng.agents import requests
from kameng.commands import KamengCommand


class Command(KamengCommand):
    help = (
        "Reject a withdrawal with a reason (the agent sees it): the held amount goes back "
        "to the agent's wallet. Recorded with the operator."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("request_id", help="see withdrawal-requests")
        parser.add_argument("--reason", required=True, help="why (the agent sees it)")
        parser.add_argument("--operator", required=True, help="your staff username")

    def handle(self, *args, request_id: str, reason: str, operator: str, **options) -> None:
        who = requests.get_operator(operator)
        request = requests.reject_withdrawal(
            requests.get_withdrawal_request(request_id), who, reason
        )
        self.print_json(requests.request_view(request))
