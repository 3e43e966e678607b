from kameng.agents.services import get_agent
from kameng.commands import KamengCommand
from kameng.orders import services
from kameng.orders.management.output import order_output


class Command(KamengCommand):
    help = (
        "Show an order; with --as AGENT (its buyer) its card codes and secrets too, "
        "decrypted (shown to the buyer only)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("order_no")
        parser.add_argument("--as", dest="viewer", help="the owning agent's username")

    def handle(self, *args, order_no: str, viewer: str | None, **options) -> None:
        agent = get_agent(viewer) if viewer else None
        order = services.get_order(order_no, agent=agent)
        self.print_json(order_output(order, viewer=agent))
