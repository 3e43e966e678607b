from datetime import date

from kameng.agents.services import get_agent
from kameng.commands import KamengCommand
from kameng.errors import InvalidInput
from kameng.reporting import dashboards
from kameng.suppliers.services import get_supplier


class Command(KamengCommand):
    help = (
        "The consoles' dashboard figures as JSON: the platform's (default), an agent's "
        "(--agent) or a supplier's (--supplier)."
    )

    def add_arguments(self, parser) -> None:
        who = parser.add_mutually_exclusive_group()
        who.add_argument("--agent", help="an agent's username")
        who.add_argument("--supplier", help="a supplier's name")
        parser.add_argument("--today", help="YYYY-MM-DD (default: today)")

    def handle(
        self, *args, agent: str | None, supplier: str | None, today: str | None, **options
    ) -> None:
        try:
            day = date.fromisoformat(today) if today else None
        except ValueError as exc:
            raise InvalidInput(f"--today must be YYYY-MM-DD, got {today!r}") from exc
        if agent:
            board = dashboards.agent_dashboard(get_agent(agent), day)
        elif supplier:
            board = dashboards.supplier_dashboard(get_supplier(supplier), day)
        else:
            board = dashboards.platform_dashboard(day)
        self.print_json(board.as_dict())
