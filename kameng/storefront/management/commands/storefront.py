from pathlib import Path

from django.core.files import File

from kameng.agents.services import get_agent
from kameng.commands import KamengCommand
from kameng.errors import InvalidInput
from kameng.storefront import queries, services


class Command(KamengCommand):
    help = (
        "An agent's shop for end users (/s/SLUG/). `set AGENT --slug S --name N` opens or "
        "changes it; `list` shows every shop."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["set", "list"])
        parser.add_argument("agent", nargs="?", help="the agent's username (set)")
        parser.add_argument("--slug", help="the shop's address: 3–32 of a-z, 0-9 and -")
        parser.add_argument("--name", help="the shop's name")
        parser.add_argument("--notice", default="", help="a notice shown on the shop")
        parser.add_argument("--colour", default=services.DEFAULT_COLOUR, help="#RRGGBB")
        parser.add_argument("--logo", help="a PNG, JPEG or WebP file, at most 512 KB")
        parser.add_argument(
            "--platform", action="store_true", help="the platform's own shop, served at /"
        )

    def handle(self, *args, action: str, agent: str | None, **options) -> None:
        if action == "list":
            rows = [_row(shop) for shop in queries.all_storefronts()]
            self.print_rows(
                rows,
                ["slug", "agent", "name", "colour", "platform", "active"],
                empty="no storefronts",
            )
            return
        if not agent or not options["slug"] or not options["name"]:
            raise InvalidInput("say which shop: kameng storefront set AGENT --slug S --name N")
        owner = get_agent(agent)
        fields = {
            "slug": options["slug"],
            "name": options["name"],
            "notice": options["notice"],
            "colour": options["colour"],
            "platform": options["platform"],
        }
        if options["logo"]:
            path = Path(options["logo"])
            if not path.is_file():
                raise InvalidInput(f"no such file: {path}")
            with path.open("rb") as fh:
                shop = services.set_storefront(owner, logo=File(fh, name=path.name), **fields)
        else:
            shop = services.set_storefront(owner, **fields)
        self.print_json(_row(shop))


def _row(shop) -> dict:
    return {
        "slug": shop.slug,
        "agent": shop.agent.user.username,
        "name": shop.name,
        "colour": shop.colour,
        "logo": shop.logo.name or None,
        "platform": shop.is_platform,
        "active": shop.active,
    }
