from kameng.agents import services
from kameng.commands import KamengCommand


class Command(KamengCommand):
    help = "Create a distributor (agent) under the platform or under a parent agent."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--parent", help="username of the parent agent (omit for level 1)")
        parser.add_argument("--password", help="console password (omit: no login yet)")
        parser.add_argument("--email", default="")

    def handle(
        self, *args, username: str, parent: str | None, password: str | None, email: str, **options
    ) -> None:
        parent_agent = services.get_agent(parent) if parent else None
        agent = services.create_agent(username, parent=parent_agent, password=password, email=email)
        self.print_json({"agent": agent.user.username, "depth": agent.depth, "id": agent.pk})
