from kameng.commands import KamengCommand
from kameng.orders import services


class Command(KamengCommand):
    help = "Auto-confirm delivered orders whose confirmation window has passed (run periodically)."

    def handle(self, *args, **options) -> None:
        total = 0
        while released := services.release_due_escrow():
            total += released
        self.print_json({"released": total})
