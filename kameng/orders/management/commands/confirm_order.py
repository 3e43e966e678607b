from kameng.agents.services import get_agent
from kameng.commands import KamengCommand
from kameng.orders import services
from kameng.orders.management.output import order_output


class Command(KamengCommand):
    help = "Confirm receipt of an order as its buyer: escrow is released along the chain."

    def add_arguments(self, parser) -> None:
        parser.add_argument("order_no")
        parser.add_argument("--as", dest="viewer", required=True, help="the buyer's username")

    def handle(self, *args, order_no: str, viewer: str, **options) -> None:
        buyer = get_agent(viewer)
        order = services.confirm_receipt(services.get_order(order_no, agent=buyer))
        self.print_json(order_output(order, viewer=buyer))
