from kameng.agents import services
from kameng.commands import KamengCommand
from kameng.ledger.services import balance


class Command(KamengCommand):
    help = "Credit an agent's prepaid balance with money it paid in (idempotent on --reference)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("agent", help="agent username")
        parser.add_argument("amount", help="yuan, e.g. 500 or 99.50")
        parser.add_argument("--reference", help="bank slip / receipt number; repeats are ignored")

    def handle(self, *args, agent: str, amount: str, reference: str | None, **options) -> None:
        target = services.get_agent(agent)
        journal = services.top_up(target, amount, reference=reference)
        self.print_json(
            {"agent": agent, "journal": journal.key, "balance": balance(target.wallet_id)}
        )
