from kameng.agents import requests
from kameng.commands import KamengCommand


class Command(KamengCommand):
    help = (
        "Approve an agent's top-up request: the money arrived, its wallet is credited "
        "(once: approving again changes nothing). Recorded with the operator."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("request_id", help="see topup-requests")
        parser.add_argument("--operator", required=True, help="your staff username")

    def handle(self, *args, request_id: str, operator: str, **options) -> None:
        who = requests.get_operator(operator)
        request = requests.approve_top_up(requests.get_top_up_request(request_id), who)
        self.print_json(requests.request_view(request))
