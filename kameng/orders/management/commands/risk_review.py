import getpass

from kameng.commands import KamengCommand
from kameng.orders import services
from kameng.orders.management.output import order_output
from kameng.orders.models import Order
from kameng.orders.states import Status


class Command(KamengCommand):
    help = (
        "Orders held by risk control (待审核): list them, or decide one as the operator "
        "(--approve: it is delivered; --reject --reason: refunded to its payer)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("order_no", nargs="?", help="the held order to decide")
        decision = parser.add_mutually_exclusive_group()
        decision.add_argument("--approve", action="store_true", help="it goes on: delivered")
        decision.add_argument("--reject", action="store_true", help="refund the payer")
        parser.add_argument("--reason", default="", help="why (required to reject)")
        parser.add_argument(
            "--by", default="", help="who decides (kept with the label); default: cli:<you>"
        )

    def handle(
        self,
        *args,
        order_no: str | None,
        approve: bool,
        reject: bool,
        reason: str,
        by: str,
        **options,
    ) -> None:
        if not order_no:
            held = Order.objects.filter(status=Status.REVIEW).select_related("agent__user")
            rows = [
                {
                    "order_no": o.order_no,
                    "agent": o.agent.user.username,
                    "channel": o.channel,
                    "sku_id": o.sku_id,
                    "quantity": o.quantity,
                    "amount": str(o.amount),
                    "created_at": o.created_at.isoformat(timespec="seconds"),
                }
                for o in held.order_by("pk")[:200]
            ]
            self.print_rows(
                rows,
                ["order_no", "agent", "channel", "sku_id", "quantity", "amount", "created_at"],
                empty="no order is waiting for a risk review",
            )
            return
        if not (approve or reject):
            self.stderr.write("to decide, give --approve or --reject --reason TEXT")
            raise SystemExit(2)
        by = by.strip() or f"cli:{getpass.getuser()}"
        order = services.get_order(order_no)
        if approve:
            order = services.approve_review(order, by=by, note=reason)
        else:
            order = services.reject_review(order, by=by, reason=reason)
        self.print_json(order_output(order, viewer=None))
