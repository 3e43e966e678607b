from kameng.agents.management.commands._requests import COLUMNS, add_listing_arguments, listing
from kameng.commands import KamengCommand


class Command(KamengCommand):
    help = (
        "Agents' top-up requests (money they say they paid in). Default: those waiting, "
        "oldest first. Decide with topup-request-approve / topup-request-reject."
    )

    def add_arguments(self, parser) -> None:
        add_listing_arguments(parser)

    def handle(self, *args, status: str, agent: str | None, **options) -> None:
        rows = listing("top_up", status, agent)
        self.print_rows(rows, [*COLUMNS, "reference", "note"], empty="no top-up requests")
