"""What each level of the chain pays for a SKU; the spreads follow from it.

The top-level agent pays its level price (face value × level discount). Below it,
each agent pays what its parent set for sub-agents, or its own level price, but
never less than its parent pays: every spread is >= 0 and the parent never sells
below its cost. A storefront charges the owner's retail price (default: face value),
never below the owner's own cost.
"""

from dataclasses import dataclass
from decimal import Decimal

from kameng.agents.models import Agent, AgentLevel, AgentPrice
from kameng.catalog.models import Sku
from kameng.money import to_money


@dataclass(frozen=True)
class ChainLink:
    agent_id: int
    wallet_id: int
    unit_price: Decimal  # what this agent pays per unit


@dataclass(frozen=True)
class Quote:
    """Unit prices from the top-level agent down to the buyer (or storefront owner)."""

    links: tuple[ChainLink, ...]
    retail_price: Decimal | None = None  # set when an end user buys on a storefront

    @property
    def unit_price(self) -> Decimal:
        """What the paying party pays per unit."""
        return self.retail_price if self.retail_price is not None else self.links[-1].unit_price

    @property
    def top_price(self) -> Decimal:
        """What the platform receives per unit (the top-level agent's cost)."""
        return self.links[0].unit_price

    def spreads(self, quantity: int) -> list[tuple[int, Decimal]]:
        """(wallet id, amount) earned by each agent above the payer; zeros dropped."""
        prices = [link.unit_price for link in self.links]
        if self.retail_price is not None:
            prices.append(self.retail_price)
        earned = []
        for link, next_price in zip(self.links, prices[1:], strict=False):
            spread = (next_price - link.unit_price) * quantity
            if spread:
                earned.append((link.wallet_id, spread))
        return earned


def level_price(face_value: Decimal, depth: int, discounts: dict[int, Decimal]) -> Decimal:
    # An unconfigured level pays face value: the platform never sells below it by accident.
    return to_money(face_value * discounts.get(depth, Decimal(1)))


def level_discounts() -> dict[int, Decimal]:
    return dict(AgentLevel.objects.values_list("depth", "discount"))


def quote(agent: Agent, sku: Sku, *, retail: bool = False) -> Quote:
    """Prices along `agent`'s chain; with retail=True, also its storefront price."""
    chain_ids = agent.chain_ids
    wallets = dict(Agent.objects.filter(pk__in=chain_ids).values_list("pk", "wallet_id"))
    overrides = {
        agent_id: (sub_price, retail_price)
        for agent_id, sub_price, retail_price in AgentPrice.objects.filter(
            agent_id__in=chain_ids, sku=sku
        ).values_list("agent_id", "sub_agent_price", "retail_price")
    }
    discounts = level_discounts()
    links: list[ChainLink] = []
    for depth, agent_id in enumerate(chain_ids, start=1):
        price = level_price(sku.face_value, depth, discounts)
        if links:
            parent = links[-1]
            set_by_parent = overrides.get(parent.agent_id, (None, None))[0]
            price = max(set_by_parent if set_by_parent is not None else price, parent.unit_price)
        links.append(ChainLink(agent_id, wallets[agent_id], price))
    retail_price = None
    if retail:
        own = overrides.get(agent.pk, (None, None))[1]
        retail_price = max(own if own is not None else sku.face_value, links[-1].unit_price)
    return Quote(tuple(links), retail_price)
