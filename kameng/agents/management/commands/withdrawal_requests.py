from kameng.agents.management.commands._requests import COLUMNS, add_listing_arguments, listing
from kameng.commands import KamengCommand


class Command(KamengCommand):
    help = (
        "Agents' withdrawal requests (the amount is held until paid or rejected). Default: "
        "those waiting, oldest first. Decide with withdrawal-pay / withdrawal-reject."
    )

    def add_arguments(self, parser) -> None:
        add_listing_arguments(parser)

    def handle(self, *args, status: str, agent: str | None, **options) -> None:
        rows = listing("withdrawal", status, agent)
        self.print_rows(
            rows, [*COLUMNS, "payee", "payout_reference"], empty="no withdrawal requests"
        )
