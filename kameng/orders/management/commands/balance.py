from kameng.agents.services import get_agent
from kameng.commands import KamengCommand
from kameng.orders.queries import balance_view


class Command(KamengCommand):
    help = (
        "An agent's money: prepaid balance, what its own purchases hold in escrow, and the "
        "spreads it earns when orders below it are released."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("agent", help="agent username")

    def handle(self, *args, agent: str, **options) -> None:
        row = {"agent": agent, **balance_view(get_agent(agent))}
        if self.one_line_json:
            self.print_json(row)
        else:
            columns = ["agent", "balance", "held", "pending_earnings", "currency"]
            self.print_rows([row], columns, empty="")
