from kameng.agents import services
from kameng.catalog.queries import get_sku
from kameng.commands import KamengCommand


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
        row = services.set_price(
            services.get_agent(agent),
            get_sku(sku),
            sub_agent_price=sub_agent_price,
            retail_price=retail_price,
        )
        self.print_json(
            {
                "agent": agent,
                "sku": sku,
                "sub_agent_price": row.sub_agent_price,
                "retail_price": row.retail_price,
            }
        )
