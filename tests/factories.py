"""Test data, built through the services (the same path operators use)."""

import itertools
from dataclasses import dataclass
from decimal import Decimal

from kameng.agents import services as agents
from kameng.agents.models import Agent
from kameng.catalog import services as catalog
from kameng.catalog.models import Sku
from kameng.ledger.services import balance
from kameng.supply import services as supply
from kameng.supply.models import Supplier

_serial = itertools.count(1)

LEVELS = [(1, "一级", Decimal("0.95")), (2, "二级", Decimal("0.97")), (3, "三级", Decimal("0.985"))]


def levels() -> None:
    for depth, name, discount in LEVELS:
        agents.set_level(depth, name, discount)


def supplier(name: str | None = None, status: str = Supplier.Status.APPROVED) -> Supplier:
    return supply.create_supplier(name or f"供应商{next(_serial)}", status=status)


def sku(face: str = "100.00", kind: str = Sku.Kind.CARD, **flags) -> Sku:
    product = catalog.create_product("游戏点卡", f"测试卡{next(_serial)}")
    return catalog.create_sku(product, f"{face}元", Decimal(face), kind=kind, **flags)


def stock(sku: Sku, supplier: Supplier, count: int, cost: str = "90.00") -> list[str]:
    """Import `count` unique cards; returns their secrets in import order."""
    supply.set_offer(supplier, sku, Decimal(cost))
    n = next(_serial)
    secrets_ = [f"S{n:04d}X{i:06d}" for i in range(count)]
    text = "\n".join(f"C{n:04d}-{i:06d},{s}" for i, s in enumerate(secrets_))
    report = supply.import_cards(supplier, sku, text)
    assert report.imported == count
    return secrets_


def agent(username: str | None = None, parent: Agent | None = None, funds: str = "0") -> Agent:
    created = agents.create_agent(username or f"agent-{next(_serial)}", parent=parent)
    if Decimal(funds):
        agents.top_up(created, Decimal(funds))
    return created


def wallet(agent: Agent) -> Decimal:
    return balance(agent.wallet_id)


@dataclass
class World:
    supplier: Supplier
    sku: Sku
    a1: Agent
    a2: Agent
    a3: Agent

    @classmethod
    def build(cls, *, cards: int = 20, face: str = "100.00", cost: str = "90.00") -> "World":
        levels()
        source = supplier()
        item = sku(face)
        stock(item, source, cards, cost=cost)
        a1 = agent("agent1", funds="10000")
        a2 = agent("agent2", parent=a1, funds="5000")
        a3 = agent("agent3", parent=a2, funds="2000")
        return cls(source, item, a1, a2, a3)
