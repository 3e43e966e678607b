from kameng.commands import KamengCommand
from kameng.ledger import services as ledger
from kameng.ledger.models import Account, Journal


class Command(KamengCommand):
    help = "Prove every journal balances and every account equals the sum of its entries."
    json_option = False  # prints a sentence, and its exit status is the answer

    def handle(self, *args, **options) -> None:
        problems = ledger.verify()
        for problem in problems:
            self.stderr.write(f"FAIL {problem}")
        summary = (
            f"{Journal.objects.count()} journals, {Account.objects.count()} accounts, "
            f"sum of all balances {ledger.total_of_all_balances()}"
        )
        if problems:
            self.stderr.write(f"ledger does NOT balance: {len(problems)} problem(s); {summary}")
            raise SystemExit(1)
        self.stdout.write(f"ledger balances: {summary}")
