import time

from kameng.agents.services import get_agent
from kameng.commands import KamengCommand
from kameng.orders import services
from kameng.orders.queries import order_view
from kameng.orders.states import Status


class Command(KamengCommand):
    help = "Buy as a distributor from its prepaid balance; prints the order and its codes."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--agent", required=True, help="buying agent's username")
        parser.add_argument("--sku", type=int, required=True)
        parser.add_argument("--quantity", type=int, default=1)
        parser.add_argument("--out-trade-no", required=True, help="your own order number")
        parser.add_argument("--account", default="", help="top-up target (direct SKUs)")
        parser.add_argument(
            "--wait",
            type=float,
            default=0,
            metavar="SECONDS",
            help="direct SKUs: wait up to this long for the supplier's outcome",
        )

    def handle(
        self,
        *args,
        agent: str,
        sku: int,
        quantity: int,
        out_trade_no: str,
        account: str,
        wait: float,
        **options,
    ) -> None:
        buyer = get_agent(agent)
        placed = services.place_order(
            agent=buyer,
            sku_id=sku,
            quantity=quantity,
            out_trade_no=out_trade_no,
            recharge_account=account,
        )
        order = placed.order
        deadline = time.monotonic() + wait
        while order.status == Status.DELIVERING and time.monotonic() < deadline:
            time.sleep(0.1)
            order.refresh_from_db()
        self.print_json({**order_view(order, viewer=buyer), "created": placed.created})
