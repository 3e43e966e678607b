from kameng.agents import services
from kameng.commands import KamengCommand


class Command(KamengCommand):
    help = "Set what agents at a depth pay by default, as a fraction of face value (e.g. 0.95)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("depth", type=int)
        parser.add_argument("name")
        parser.add_argument("discount")

    def handle(self, *args, depth: int, name: str, discount: str, **options) -> None:
        level = services.set_level(depth, name, discount)
        self.print_json({"depth": level.depth, "name": level.name, "discount": level.discount})
