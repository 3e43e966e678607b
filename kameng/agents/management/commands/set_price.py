from kameng.agents import services
from kameng.catalog.queries import get_sku
from kameng.commands import KamengCommand
from kameng.errors import InvalidInput
from kameng.money import parse_money


class Command(KamengCommand):
    help = "Set the price an agent charges its direct sub-agents and/or its storefront for a SKU."

    def add_arguments(self, parser) -> None:
        parser.add_argument("agent")
        parser.add_argument("--sku", type=int, required=True)
        parser.add_argument("--sub-agent-price")
        parser.add_argument("--retail-price")

    def handle(
        self,
        *args,
        agent: str,
        sku: int,
        sub_agent_price: str | None,
        retail_price: str | None,
        **options,
    ) -> None:
        try:
            sub = parse_money(sub_agent_price) if sub_agent_price else None
            retail = parse_money(retail_price) if retail_price else None
        except ValueError as exc:
            raise InvalidInput(str(exc)) from exc
        row = services.set_price(
            services.get_agent(agent), get_sku(sku), sub_agent_price=sub, retail_price=retail
        )
        self.print_json(
            {
                "agent": agent,
                "sku": sku,
                "sub_agent_price": row.sub_agent_price,
                "retail_price": row.retail_price,
            }
        )
