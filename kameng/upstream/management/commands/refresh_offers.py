from kameng.commands import KamengCommand
from kameng.upstream import services


class Command(KamengCommand):
    help = "Ask every API supplier for its products' stock and cost now (beat: every 5 min)."

    def handle(self, *args, **options) -> None:
        self.print_json({"refreshed": services.refresh_remote_offers()})
