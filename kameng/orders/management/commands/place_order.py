from kameng.agents.services import get_agent
from kameng.commands import KamengCommand
from kameng.orders import services
from kameng.orders.queries import order_view


class Command(KamengCommand):
    help = "Buy as a distributor from its prepaid balance; prints the order and its codes."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--agent", required=True, help="buying agent's username")
        parser.add_argument("--sku", type=int, required=True)
        parser.add_argument("--quantity", type=int, default=1)
        parser.add_argument("--out-trade-no", required=True, help="your own order number")
        parser.add_argument("--account", default="", help="top-up target (direct SKUs)")

    def handle(
        self, *args, agent: str, sku: int, quantity: int, out_trade_no: str, account: str, **options
    ) -> None:
        buyer = get_agent(agent)
        placed = services.place_order(
            agent=buyer,
            sku_id=sku,
            quantity=quantity,
            out_trade_no=out_trade_no,
            recharge_account=account,
        )
        self.print_json({**order_view(placed.order, viewer=buyer), "created": placed.created})
