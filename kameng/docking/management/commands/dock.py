"""`kameng dock ...`: docking another Kameng site (货源对接) from the command line.

kameng dock connect NAME --url URL --app-key KEY --secret SECRET [price rule]
kameng dock set NAME [price rule] [--exclude ID ...] [--include-all]
kameng dock sync [NAME] [--full]
kameng dock list
kameng dock reconcile [NAME] [--hours H]
kameng dock discrepancies
"""

from datetime import timedelta

from django.core.management.base import CommandParser
from django.utils import timezone

from kameng.commands import KamengCommand
from kameng.docking import queries, services
from kameng.docking.models import Connection


def _price_rule(parser: CommandParser, *, defaults: bool) -> None:
    parser.add_argument(
        "--markup-percent",
        default="0" if defaults else None,
        help="percent added to the upstream's price (what our top level pays)",
    )
    parser.add_argument(
        "--markup-fixed", default="0" if defaults else None, help="yuan added after the percent"
    )
    parser.add_argument(
        "--rounding",
        choices=[choice.value for choice in Connection.Rounding],
        default=Connection.Rounding.NONE if defaults else None,
        help="round the price up: none, tenth (0.1 yuan) or yuan",
    )
    parser.add_argument(
        "--fixed-prices",
        dest="auto_price",
        action="store_false",
        default=True if defaults else None,
        help="keep each SKU's first price (default: follow the upstream's on every sync)",
    )
    parser.add_argument(
        "--auto-prices", dest="auto_price", action="store_true", help=("follow on every sync")
    )
    parser.add_argument(
        "--exclude",
        type=int,
        action="append",
        default=None,
        metavar="UPSTREAM_SKU_ID",
        help="an upstream product not to mirror (repeatable)",
    )


class Command(KamengCommand):
    help = (
        "Docking (货源对接): connect another Kameng site with one of its agent keys, "
        "mirror its products, forward orders to it, reconcile."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subs = parser.add_subparsers(dest="subcommand")
        subs.required = True
        kw = {"called_from_command_line": parser.called_from_command_line}
        connect = subs.add_parser("connect", help="connect an upstream site", **kw)
        connect.add_argument("name", help="a name for it here (its supplier's name)")
        connect.add_argument(
            "--url", required=True, help="the upstream site, e.g. https://a.example"
        )
        connect.add_argument("--app-key", required=True, help="an agent key of that site")
        connect.add_argument("--secret", required=True, help="its secret (stored encrypted)")
        _price_rule(connect, defaults=True)
        change = subs.add_parser("set", help="change a connection's price rule", **kw)
        change.add_argument("name")
        _price_rule(change, defaults=False)
        change.add_argument("--include-all", action="store_true", help="mirror every product again")
        sync = subs.add_parser("sync", help="mirror the upstream's products now", **kw)
        sync.add_argument("name", nargs="?", help="one connection (default: all)")
        sync.add_argument("--full", action="store_true", help="a complete pass")
        subs.add_parser("list", help="the connections", **kw)
        reconcile = subs.add_parser("reconcile", help="check forwarded orders upstream", **kw)
        reconcile.add_argument("name", nargs="?", help="one connection (default: all)")
        reconcile.add_argument("--hours", type=float, default=48, help="how far back")
        subs.add_parser("discrepancies", help="what reconciliation found, unresolved", **kw)
        for sub in subs.choices.values():  # `kameng dock list --json`, as with other commands
            sub.add_argument("--json", action="store_true", help="one line of JSON, for scripts")

    def handle(self, *args, subcommand: str, **options) -> None:
        getattr(self, f"_{subcommand}")(options)

    def _connect(self, o: dict) -> None:
        connection = services.connect(
            o["name"],
            url=o["url"],
            app_key=o["app_key"],
            secret=o["secret"],
            markup_percent=o["markup_percent"],
            markup_fixed=o["markup_fixed"],
            rounding=o["rounding"],
            auto_price=o["auto_price"],
            excluded=o["exclude"] or [],
        )
        self.print_json(queries.connection_view(connection))

    def _set(self, o: dict) -> None:
        connection = services.configure(
            services.get_connection(o["name"]),
            markup_percent=o["markup_percent"],
            markup_fixed=o["markup_fixed"],
            rounding=o["rounding"],
            auto_price=o["auto_price"],
            excluded=[] if o["include_all"] else o["exclude"],
        )
        self.print_json(queries.connection_view(connection))

    def _sync(self, o: dict) -> None:
        if o["name"]:
            connection = services.get_connection(o["name"])
            self.print_json(services.sync(connection, full=o["full"]).as_dict())
        else:
            self.print_json(services.sync_all())

    def _list(self, o: dict) -> None:
        columns = [
            "name",
            "url",
            "markup_percent",
            "mirrored",
            "balance",
            "synced_at",
            "last_error",
        ]
        self.print_rows(queries.connections(), columns, empty="no docked sites")

    def _reconcile(self, o: dict) -> None:
        since = timezone.now() - timedelta(hours=o["hours"])
        if o["name"]:
            connection = services.get_connection(o["name"])
            self.print_json(services.reconcile(connection, since=since).as_dict())
        else:
            self.print_json(services.reconcile_all())

    def _discrepancies(self, o: dict) -> None:
        columns = ["connection", "order_no", "kind", "ours", "theirs", "found_at"]
        self.print_rows(queries.open_discrepancies(), columns, empty="no open discrepancies")
