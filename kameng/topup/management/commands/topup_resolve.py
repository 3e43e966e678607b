from kameng.commands import KamengCommand
from kameng.topup import resolutions
from kameng.topup.queries import resolution_view


class Command(KamengCommand):
    help = (
        "Resolve an undecided direct top-up attempt as the operator: --query asks the "
        "supplier again (a definite answer settles it); --delivered: the supplier "
        "confirmed the top-up out of band; --failed: fail the order and refund the buyer. "
        "--delivered and --failed need --reason. Recorded with the operator and reason."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("request_id", help="the attempt's request id (see topup-attempts)")
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--query", action="store_const", dest="action", const="query")
        action.add_argument("--delivered", action="store_const", dest="action", const="delivered")
        action.add_argument("--failed", action="store_const", dest="action", const="failed")
        parser.add_argument(
            "--reason", default="", help="why (required with --delivered, --failed)"
        )
        parser.add_argument("--operator", required=True, help="your staff username")

    def handle(
        self, *args, request_id: str, action: str, reason: str, operator: str, **options
    ) -> None:
        who = resolutions.get_operator(operator)
        attempt = resolutions.get_attempt(request_id)
        resolution = resolutions.resolve(attempt, action, operator=who, reason=reason)
        self.print_json(resolution_view(resolution))
