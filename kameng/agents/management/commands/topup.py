from kameng.agents import services
from kameng.commands import KamengCommand
from kameng.errors import InvalidInput
from kameng.ledger.services import balance
from kameng.money import parse_money


class Command(KamengCommand):
    help = "Credit an agent's prepaid balance with money it paid in (idempotent on --reference)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("agent", help="agent username")
        parser.add_argument("amount", help="yuan, e.g. 500 or 99.50")
        parser.add_argument("--reference", help="bank slip / receipt number; repeats are ignored")

    def handle(self, *args, agent: str, amount: str, reference: str | None, **options) -> None:
        try:
            value = parse_money(amount)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from exc
        target = services.get_agent(agent)
        journal = services.top_up(target, value, reference=reference)
        self.print_json(
            {"agent": agent, "journal": journal.key, "balance": balance(target.wallet_id)}
        )
