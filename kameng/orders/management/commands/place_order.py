import time

from django.core.management.base import CommandError

from kameng.agents.services import get_agent
from kameng.commands import KamengCommand
from kameng.orders import services
from kameng.orders.management.output import order_output
from kameng.orders.states import Status

# Delivered, or past it without a refund: the buyer has its goods.
DELIVERED = {Status.DELIVERED, Status.COMPLETED, Status.DISPUTED}


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
            help="direct SKUs and docked card SKUs: wait up to this long for the supplier's "
            "outcome; exit status 1 if the order is not delivered by then",
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
        self.print_json({**order_output(order, viewer=buyer), "created": placed.created})
        if wait and order.status not in DELIVERED:
            # A script waiting for the goods must not take "still on its way" (or "failed
            # and refunded") for success; the order above says where it stands.
            if order.status == Status.DELIVERING:
                outcome = f"still delivering after {wait:g} s; the supplier's answer may come later"
            else:
                outcome = f"it is {order.status}"
            raise CommandError(
                f"not_delivered: order {order.order_no} was not delivered: {outcome} "
                f"(kameng show-order {order.order_no} --as {agent})"
            )
