from kameng.commands import KamengCommand
from kameng.topup.queries import attempt_view, undecided_attempts


class Command(KamengCommand):
    help = (
        "List direct top-up attempts not decided yet, oldest first; --escalated: only "
        "those waiting for the operator (待人工处理). Resolve them with topup-resolve."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--escalated", action="store_true", help="only attempts escalated to the operator"
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="one JSON list, for scripts"
        )

    def handle(self, *args, escalated: bool, as_json: bool, **options) -> None:
        views = [attempt_view(a) for a in undecided_attempts(escalated_only=escalated)]
        if as_json:
            self.print_json(views)
            return
        if not views:
            self.stdout.write(
                "no escalated top-up attempts" if escalated else "no open top-up attempts"
            )
            return
        columns = (
            "request_id",
            "status",
            "supplier",
            "open_seconds",
            "sends",
            "queries",
            "message",
        )
        rows = [columns, *[tuple(str(view[c]) for c in columns) for view in views]]
        widths = [max(len(row[i]) for row in rows) for i in range(len(columns) - 1)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            self.stdout.write("  ".join([*cells, row[-1]]).rstrip())
