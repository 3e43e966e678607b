from kameng.commands import KamengCommand
from kameng.demo.seed import seed_demo


class Command(KamengCommand):
    help = "Load demo data: operator, suppliers, agent1→agent2→agent3, 24 SKUs, card codes."

    def handle(self, *args, **options) -> None:
        self.print_json(seed_demo())
