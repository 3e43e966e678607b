from kameng.commands import KamengCommand
from kameng.suppliers import accounts
from kameng.suppliers.services import get_supplier


class Command(KamengCommand):
    help = (
        "Give a supplier person a console log-in: with --supplier, for that existing "
        "supplier; without, a person who then applies (资质审核) from the console."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", required=True, help="for password reset")
        parser.add_argument("--password", required=True)
        parser.add_argument("--supplier", help="the supplier's name (omit: applies later)")

    def handle(
        self, *args, username: str, email: str, password: str, supplier: str | None, **options
    ) -> None:
        works_for = get_supplier(supplier) if supplier else None
        account = accounts.register_supplier_user(username, password, email, supplier=works_for)
        self.print_json(
            {
                "username": account.user.get_username(),
                "email": account.user.email,
                "supplier": works_for.name if works_for else None,
            }
        )
