from kameng.agents.services import get_agent
from kameng.commands import KamengCommand
from kameng.storefront import services


class Command(KamengCommand):
    help = (
        "代客下单: an order in the seller's shop, awaiting payment; prints its number, "
        "amount and the link the buyer pays it at (goods held for the payment window)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seller", required=True, help="the shop's agent (username)")
        parser.add_argument("--sku", type=int, required=True)
        parser.add_argument("--quantity", type=int, default=1)
        parser.add_argument("--contact", default="", help="the buyer's email or mobile number")
        parser.add_argument("--account", default="", help="top-up target (direct SKUs)")

    def handle(
        self, *args, seller: str, sku: int, quantity: int, contact: str, account: str, **options
    ) -> None:
        order, url = services.create_pay_link(
            get_agent(seller), sku, quantity=quantity, contact=contact, recharge_account=account
        )
        self.print_json(
            {
                "order_no": order.order_no,
                "amount": str(order.amount),
                "payment_deadline": order.payment_deadline.isoformat(),
                "pay_url": url,
            }
        )
