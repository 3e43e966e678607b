from kameng.commands import KamengCommand
from kameng.suppliers import onboarding


class Command(KamengCommand):
    help = (
        "Decide a supplier application: --approve (creates the approved supplier) or "
        "--reject --reason TEXT. The decision is recorded."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("application_id", type=int)
        decision = parser.add_mutually_exclusive_group(required=True)
        decision.add_argument("--approve", action="store_true")
        decision.add_argument("--reject", action="store_true")
        parser.add_argument("--reason", default="", help="required with --reject")

    def handle(self, *args, application_id: int, approve: bool, reason: str, **options) -> None:
        application = onboarding.get_application(application_id)
        if approve:
            onboarding.approve_application(application, reason=reason)
        else:
            onboarding.reject_application(application, reason=reason)
        self.print_json(onboarding.describe_application(application))
