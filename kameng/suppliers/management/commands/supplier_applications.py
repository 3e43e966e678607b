from kameng.commands import KamengCommand
from kameng.suppliers import onboarding


class Command(KamengCommand):
    help = "List supplier applications waiting for a decision, oldest first."

    def handle(self, *args, **options) -> None:
        self.print_json(
            [onboarding.describe_application(a) for a in onboarding.pending_applications()]
        )
