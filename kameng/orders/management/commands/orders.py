from django.utils import timezone
from django.utils.dateparse import parse_datetime

from kameng.agents.services import get_agent
from kameng.commands import KamengCommand
from kameng.errors import InvalidInput
from kameng.orders.queries import order_summary, recent_orders
from kameng.orders.states import Status

MAX_LIMIT = 1000


class Command(KamengCommand):
    help = (
        "List orders, newest first (never their card codes: `kameng show-order NO --as "
        "BUYER` shows those to the buyer)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--agent", help="only this agent's orders (username)")
        parser.add_argument("--status", choices=Status.values, help="only orders in this state")
        parser.add_argument(
            "--limit", type=int, default=50, help=f"at most this many (1–{MAX_LIMIT})"
        )

    def handle(self, *args, agent: str | None, status: str | None, limit: int, **options) -> None:
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"--limit must be 1–{MAX_LIMIT}, got {limit}")
        owner = get_agent(agent) if agent else None
        rows = [
            order_summary(order) for order in recent_orders(agent=owner, status=status, limit=limit)
        ]
        if self.one_line_json:
            self.print_json(rows)
            return
        for row in rows:  # the table shows local time, to the second
            row["created_at"] = _local(row["created_at"])
        columns = ["order_no", "agent", "out_trade_no", "sku_id", "quantity", "amount"]
        self.print_rows(rows, [*columns, "status", "created_at"], empty="no orders")


def _local(iso: str) -> str:
    return timezone.localtime(parse_datetime(iso)).strftime("%Y-%m-%d %H:%M:%S")
