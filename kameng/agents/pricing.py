"""What each level of the chain pays for a SKU; the spreads follow from it.

The top-level agent pays its level price (base price × level discount; the base price is
the face value, or the SKU's list price when it has one: a docked SKU's). Below it,
each agent pays what its parent set for sub-agents, or its own level price, but
never less than its parent pays: every spread is >= 0 and the parent never sells
below its cost. A storefront charges the owner's retail price (default: face value),
never below the owner's own cost.

A disabled agent's sub-agents keep buying at the same prices, but the disabled agent
earns nothing on those sales: its spread goes to the platform's revenue. The split is
fixed when the order is placed (Order.spreads), so the rule applies to sales made while
it is disabled.

The order path's quotes (`sale_quote`) are cached per process. Each carries the quote
version it was read under (catalog.QuoteVersion, changed by database triggers whenever
a SKU, product, agent, level or agent price is written), and the order's own INSERT
reads the current version back (`CURRENT_VERSION_SQL`): if it changed, the order path
raises `StaleQuote`, its transaction rolls back, `forget_quotes()` empties the cache and
the order is priced again. So a cached quote is never used for an order committed after
a price change it did not see, in this process or any other.
"""

from dataclasses import dataclass
from decimal import Decimal

from kameng import db
from kameng.agents.models import Agent, AgentLevel
from kameng.catalog.models import Sku
from kameng.catalog.queries import (
    CURRENT_VERSION_SQL,
    SKU_COLUMNS,
    SKU_FROM,
    check_sku_id,
    sellable_from_row,
)
from kameng.ledger.services import REVENUE, system_account_id
from kameng.money import to_money


@dataclass(frozen=True)
class ChainLink:
    agent_id: int
    wallet_id: int
    unit_price: Decimal  # what this agent pays per unit
    active: bool = True  # a disabled agent's spread goes to the platform


@dataclass(frozen=True)
class Quote:
    """Unit prices from the top-level agent down to the buyer (or storefront owner)."""

    links: tuple[ChainLink, ...]
    retail_price: Decimal | None = None  # set when an end user buys on a storefront
    version: str = ""  # catalog.QuoteVersion's token when the inputs were read

    @property
    def unit_price(self) -> Decimal:
        """What the paying party pays per unit."""
        return self.retail_price if self.retail_price is not None else self.links[-1].unit_price

    @property
    def top_price(self) -> Decimal:
        """What the platform receives per unit (the top-level agent's cost)."""
        return self.links[0].unit_price

    def spreads(self, quantity: int, amount: Decimal | None = None) -> list[tuple[int, Decimal]]:
        """(account id, amount) earned by each agent above the payer, zeros dropped: the
        agent's wallet, or the platform's revenue while the agent is disabled. `amount`:
        what an end user pays in all when it is not the retail price × quantity (a
        storefront's price tiers and coupons): the storefront owner keeps what is left
        above its own cost."""
        totals = [link.unit_price * quantity for link in self.links]
        if self.retail_price is not None:
            totals.append(amount if amount is not None else self.retail_price * quantity)
        earned = []
        for link, cost, next_total in zip(self.links, totals, totals[1:], strict=False):
            spread = next_total - cost
            if spread:
                account = link.wallet_id if link.active else system_account_id(REVENUE)
                earned.append((account, spread))
        return earned


# One read for the whole chain: each agent's wallet, its level discount and the prices
# it set for this SKU. (Plain SQL: this runs on every order.)
_CHAIN_SQL = """
    SELECT a.id, a.wallet_id, a.active, l.discount, p.sub_agent_price, p.retail_price
    FROM agents_agent a
    LEFT JOIN agents_agentlevel l ON l.depth = a.depth
    LEFT JOIN agents_agentprice p ON p.agent_id = a.id AND p.sku_id = %s
    WHERE a.id IN ({ids})
    ORDER BY a.depth
"""


def quote(agent: Agent, sku: Sku, *, retail: bool = False) -> Quote:
    """Prices along `agent`'s chain; with retail=True, also its storefront price."""
    chain_ids = agent.chain_ids
    rows = db.fetch_all(
        _CHAIN_SQL.format(ids=", ".join(["%s"] * len(chain_ids))), [sku.pk, *chain_ids]
    )
    return _quote(sku, rows, retail)


class StaleQuote(Exception):
    """Prices or the sale rule changed since this process cached the quote: price the
    order again (after `forget_quotes()`)."""


# The order path's one read before its transaction: the SKU (with the sale rule's
# columns) and the buyer's whole chain, one row per agent, and the quote version.
_SALE_SQL = f"""
    SELECT {CURRENT_VERSION_SQL}, {SKU_COLUMNS},
        a.id, a.wallet_id, a.active, l.discount, ap.sub_agent_price, ap.retail_price
    FROM {SKU_FROM}
    LEFT JOIN agents_agent a ON a.id IN ({{ids}})
    LEFT JOIN agents_agentlevel l ON l.depth = a.depth
    LEFT JOIN agents_agentprice ap ON ap.agent_id = a.id AND ap.sku_id = s.id
    WHERE s.id = %s
    ORDER BY a.depth
"""
_SKU_END = 1 + len(SKU_COLUMNS.split(","))

# (agent id, SKU id, retail) → (SKU, quote); emptied when a version check fails, and
# when it grows past _CACHE_LIMIT (many agents × many SKUs).
_cached: dict[tuple[int, int, bool], tuple[Sku, Quote]] = {}
_CACHE_LIMIT = 20_000


def sale_quote(agent: Agent, sku_id: int, *, retail: bool = False) -> tuple[Sku, Quote]:
    """The SKU if it may be sold now (catalog's rule) and `agent`'s prices for it, in
    one round trip: `sellable_sku` and `quote` together, for every order. Cached per
    process: the caller checks `Quote.version` in its transaction (module docstring).
    A refusal (no such SKU, not on sale) is never cached."""
    key = (agent.pk, sku_id, retail)
    cached = _cached.get(key)
    if cached is not None:
        return cached
    check_sku_id(sku_id)
    chain_ids = agent.chain_ids
    rows = db.fetch_all(
        _SALE_SQL.format(ids=", ".join(["%s"] * len(chain_ids))), [*chain_ids, sku_id]
    )
    sku = sellable_from_row(sku_id, rows[0][1:_SKU_END] if rows else None)
    quote = _quote(sku, [row[_SKU_END:] for row in rows], retail, version=rows[0][0] or "")
    if len(_cached) >= _CACHE_LIMIT:
        _cached.clear()
    _cached[key] = (sku, quote)
    return sku, quote


def check_version(quote: Quote, current: str | None) -> None:
    """`current`: CURRENT_VERSION_SQL's value read inside the order's transaction."""
    if (current or "") != quote.version:
        raise StaleQuote(f"quote version {quote.version!r} is now {current!r}")


def forget_quotes() -> None:
    _cached.clear()


def is_cached(agent: Agent, sku_id: int, *, retail: bool = False) -> bool:
    return (agent.pk, sku_id, retail) in _cached


def forget_quote(agent: Agent, sku_id: int, *, retail: bool = False) -> None:
    """Drop one cached quote: a refusal judged on it is judged again on a fresh one."""
    _cached.pop((agent.pk, sku_id, retail), None)


def _quote(sku: Sku, rows: list[tuple], retail: bool, version: str = "") -> Quote:
    links: list[ChainLink] = []
    set_by_parent: Decimal | None = None  # the sub-agent price the previous agent chose
    own_retail: Decimal | None = None
    for agent_id, wallet_id, active, discount, sub_agent_price, retail_price in rows:
        # An unconfigured level pays the base price (face value, or the SKU's list price):
        # the platform never sells below it by accident.
        price = to_money(sku.base_price * (db.db_decimal(discount) if discount else Decimal(1)))
        if links:
            price = max(set_by_parent if set_by_parent is not None else price, links[-1].unit_price)
        links.append(ChainLink(agent_id, wallet_id, price, bool(active)))
        set_by_parent = _optional(sub_agent_price)
        own_retail = _optional(retail_price)
    retail_price = None
    if retail:
        retail_price = max(
            own_retail if own_retail is not None else sku.face_value, links[-1].unit_price
        )
    return Quote(tuple(links), retail_price, version)


def _optional(value: object) -> Decimal | None:
    return None if value is None else db.db_money(value)


# --- a price list (the distributor console's prices page) --------------------------------


@dataclass(frozen=True)
class PriceRow:
    """One SKU as an agent sees its prices: what it pays, what it set, what follows."""

    sku: Sku
    own_cost: Decimal  # what the agent pays per unit
    sub_agent_price: Decimal | None  # what it set for its direct sub-agents (None: not set)
    sub_agent_pays: Decimal | None  # what a direct sub-agent pays (None: none can exist)
    retail_set: Decimal | None  # the shop price it set (None: face value)
    retail_price: Decimal  # what its shop charges per unit


_LIST_SQL = """
    SELECT a.id, a.wallet_id, a.active, l.discount, p.sku_id, p.sub_agent_price, p.retail_price
    FROM agents_agent a
    LEFT JOIN agents_agentlevel l ON l.depth = a.depth
    LEFT JOIN agents_agentprice p ON p.agent_id = a.id AND p.sku_id IN ({skus})
    WHERE a.id IN ({ids})
    ORDER BY a.depth
"""


def price_list(agent: Agent, skus: list[Sku], max_depth: int) -> list[PriceRow]:
    """`agent`'s prices for many SKUs (a page of a list) in two queries, by the same
    rules as `quote`: one query per SKU would not do for a list."""
    if not skus:
        return []

    chain_ids = agent.chain_ids
    sql = _LIST_SQL.format(
        skus=", ".join(["%s"] * len(skus)), ids=", ".join(["%s"] * len(chain_ids))
    )
    agents: dict[int, tuple] = {}
    set_prices: dict[tuple[int, int], tuple] = {}
    for agent_id, wallet_id, active, discount, sku_id, sub, retail in db.fetch_all(
        sql, [*(s.pk for s in skus), *chain_ids]
    ):
        agents.setdefault(agent_id, (agent_id, wallet_id, active, discount))
        if sku_id is not None:
            set_prices[(agent_id, sku_id)] = (sub, retail)
    child_discount = None
    if agent.depth < max_depth:
        child_discount = (
            AgentLevel.objects.filter(depth=agent.depth + 1).values_list("discount", flat=True)
        ).first()
    result = []
    for sku in skus:
        rows = [(*a, *set_prices.get((a[0], sku.pk), (None, None))) for a in agents.values()]
        prices = _quote(sku, rows, retail=True)
        own_sub, own_retail = set_prices.get((agent.pk, sku.pk), (None, None))
        child_pays = None
        if agent.depth < max_depth:
            child = _quote(sku, [*rows, (0, 0, True, child_discount, None, None)], retail=False)
            child_pays = child.links[-1].unit_price
        result.append(
            PriceRow(
                sku,
                prices.links[-1].unit_price,
                _optional(own_sub),
                child_pays,
                _optional(own_retail),
                prices.retail_price or sku.face_value,
            )
        )
    return result
