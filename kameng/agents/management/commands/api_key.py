from kameng.agents import credentials
from kameng.agents.services import get_agent
from kameng.commands import KamengCommand
from kameng.errors import InvalidInput


class Command(KamengCommand):
    help = (
        "Open-API credentials of an agent. `create` prints {app_key, secret} once; "
        "`list` shows keys (never secrets); `revoke APP_KEY` stops a key at once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("app_key", nargs="?", help="the key to revoke")
        parser.add_argument("--agent", required=True, help="the agent's username")
        parser.add_argument("--label", default="", help="a name for the key (create)")

    def handle(self, *args, action: str, app_key: str | None, agent: str, label: str, **options):
        owner = get_agent(agent)
        if action == "create":
            issued = credentials.create_api_key(owner, label=label)
            self.print_json({"app_key": issued.key.app_key, "secret": issued.secret})
        elif action == "list":
            self.print_json(
                [
                    {
                        "app_key": key.app_key,
                        "label": key.label,
                        "created_at": key.created_at,
                        "revoked_at": key.revoked_at,
                        "last_used_at": key.last_used_at,
                    }
                    for key in credentials.api_keys(owner)
                ]
            )
        else:
            if not app_key:
                raise InvalidInput("say which key: kameng api-key revoke APP_KEY --agent USERNAME")
            key = credentials.revoke_api_key(owner, app_key)
            self.print_json({"app_key": key.app_key, "revoked_at": key.revoked_at})
