from kameng.agents.services import get_agent
from kameng.commands import KamengCommand
from kameng.orders.catalog import all_skus, offers_for


class Command(KamengCommand):
    help = (
        "List SKUs: every SKU with its product, face value, whether it is on sale and its "
        "unsold codes; with --agent, what that agent can buy now, at its own price."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--agent", help="an agent's username: its prices and what it can buy")

    def handle(self, *args, agent: str | None, **options) -> None:
        if agent:
            rows = offers_for(get_agent(agent))
            columns = ["sku_id", "product", "name", "kind", "face_value", "price", "stock_state"]
            self.print_rows(rows, [*columns, "stock"], empty=f"{agent} can buy nothing now")
        else:
            columns = ["sku_id", "product_id", "category", "product", "name", "kind"]
            self.print_rows(
                all_skus(), [*columns, "face_value", "on_sale", "stock"], empty="no SKUs yet"
            )
