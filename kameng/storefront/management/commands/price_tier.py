from kameng.agents.services import get_agent
from kameng.catalog.queries import get_sku
from kameng.commands import KamengCommand
from kameng.errors import InvalidInput
from kameng.storefront import queries, services


class Command(KamengCommand):
    help = (
        "Quantity prices (阶梯价) of an agent's shop: `set --sku ID --min-quantity N "
        "--price P` (between the agent's cost and its retail price), `remove`, `list`."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["set", "remove", "list"])
        parser.add_argument("--agent", required=True, help="the shop's agent (username)")
        parser.add_argument("--sku", type=int, help="the SKU id")
        parser.add_argument("--min-quantity", type=int, help="from this many units on (≥ 2)")
        parser.add_argument("--price", help="the unit price from there on (yuan)")

    def handle(
        self,
        *args,
        action: str,
        agent: str,
        sku: int | None,
        min_quantity: int | None,
        price: str | None,
        **options,
    ) -> None:
        owner = get_agent(agent)
        if action == "list":
            rows = [_row(tier) for tier in queries.price_tiers_of(owner, sku)]
            self.print_rows(rows, ["sku", "min_quantity", "unit_price"], empty="no price tiers")
            return
        if sku is None or min_quantity is None:
            raise InvalidInput(f"say which tier: --sku ID --min-quantity N ({action})")
        item = get_sku(sku)
        if action == "remove":
            services.remove_price_tier(owner, item, min_quantity=min_quantity)
            self.print_json({"sku": sku, "min_quantity": min_quantity, "removed": True})
            return
        if price is None:
            raise InvalidInput("say the unit price: --price P")
        tier = services.set_price_tier(owner, item, min_quantity=min_quantity, unit_price=price)
        self.print_json(_row(tier))


def _row(tier) -> dict:
    return {"sku": tier.sku_id, "min_quantity": tier.min_quantity, "unit_price": tier.unit_price}
