from kameng.agents.services import get_agent
from kameng.commands import KamengCommand
from kameng.orders import services
from kameng.orders.management.output import order_output


class Command(KamengCommand):
    help = "Open a complaint on an order (buyer), or decide one (operator: --uphold / --reject)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("order_no")
        parser.add_argument("--as", dest="viewer", help="buyer's username, to open a complaint")
        parser.add_argument("--reason", default="")
        decision = parser.add_mutually_exclusive_group()
        decision.add_argument("--uphold", action="store_true", help="refund the buyer")
        decision.add_argument("--reject", action="store_true", help="the sale stands")

    def handle(
        self,
        *args,
        order_no: str,
        viewer: str | None,
        reason: str,
        uphold: bool,
        reject: bool,
        **options,
    ) -> None:
        buyer = None
        if uphold or reject:
            order = services.resolve_dispute(
                services.get_order(order_no), upheld=uphold, note=reason
            )
        else:
            if not viewer:
                self.stderr.write(
                    "to open a complaint give --as BUYER; to decide, --uphold/--reject"
                )
                raise SystemExit(2)
            buyer = get_agent(viewer)
            order = services.open_dispute(services.get_order(order_no, agent=buyer), reason)
        self.print_json(order_output(order, viewer=buyer))
