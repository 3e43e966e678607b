"""Two (or three) live Kameng sites: the test process is the downstream site (its own
database, live server and workers, tests/live.py); the upstream runs as another
process with its own database (tests/sites.py), seeded through its own services."""

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest

from kameng.agents.models import Agent
from kameng.docking import services as docking
from kameng.docking.models import Connection
from kameng.upstream.simulator import SimConfig, SimProduct, SimulatedSupplier
from tests import factories
from tests.sites import KamengSite

# The upstream's own settings: no rate limit in the way of a test's bursts, its own
# top-ups queried quickly, and no risk control (hundreds of orders a minute from one
# distributor is what it holds for review: tests/risk; an operator docking a site
# tunes its rules for that site's key).
UPSTREAM_ENV = {
    "KAMENG_RISK_ENABLED": "0",
    "KAMENG_API_RATE_LIMIT": "100000/1",
    "KAMENG_SUPPLIER_TIMEOUT": "2",
    "KAMENG_TOPUP_QUERY_AFTER_SECONDS": "0.5",
    "KAMENG_TOPUP_QUERY_MAX_SECONDS": "2",
}

SEED_UPSTREAM = """
    from decimal import Decimal
    from kameng.upstream import services as upstream
    from kameng.suppliers import services as suppliers
    from tests import factories
    from tests.distributor import distributor_for

    factories.levels()
    cards = factories.supplier("上游卡商")
    reseller = factories.agent("{agent}", funds="100000")
    key = distributor_for(reseller)
    topups = factories.supplier("上游直充")
    upstream.configure_api(
        topups, adapter="kameng-http", base_url="{sim_url}", merchant_id="{merchant}",
        secret="{secret}",
    )
    emit({{"app_key": key.app_key, "secret": key.secret, "cards_supplier": cards.pk,
           "topup_supplier": topups.pk, "agent_id": reseller.pk}})
"""


@dataclass
class Upstream:
    """The upstream site and the key our site buys with there (a level-1 agent)."""

    site: KamengSite
    app_key: str
    secret: str
    cards_supplier: int
    topup_supplier: int
    agent_id: int

    def card_sku(self, face: str = "100.00", cards: int = 5) -> dict:
        """A new card SKU there with `cards` codes (costing it 80% of face value); its
        id and the codes' secrets."""
        cost = Decimal(face) * Decimal("0.8")
        return self.site.run(
            f"""
            import secrets as random
            from decimal import Decimal
            from kameng.catalog import services as catalog
            from kameng.stock import services as stock
            from kameng.suppliers import services as suppliers
            from kameng.suppliers.models import Supplier
            tag = random.token_hex(4)  # each snippet is a new process: names of its own
            product = catalog.create_product("游戏点卡", f"上游卡{{tag}}")
            sku = catalog.create_sku(product, "{face}元", Decimal("{face}"))
            supplier = Supplier.objects.get(pk={self.cards_supplier})
            suppliers.set_offer(supplier, sku, Decimal("{cost}"))
            secrets = [f"S{{tag}}X{{i:04d}}" for i in range({cards})]
            text = "\\n".join(f"C{{tag}}-{{i:04d}},{{s}}" for i, s in enumerate(secrets))
            assert stock.import_cards(supplier, sku, text).imported == {cards}
            emit({{"sku_id": sku.pk, "secrets": secrets, "product": product.name}})
            """
        )

    def direct_sku(self, face: str = "50.00", cost: str = "45.00") -> int:
        """A new direct SKU there, topped up by the simulated supplier."""
        return self.site.run(
            f"""
            from decimal import Decimal
            from kameng.suppliers import services as suppliers
            from kameng.suppliers.models import Supplier
            import secrets as random
            from kameng.catalog import services as catalog
            product = catalog.create_product("手机话费", f"上游直充{{random.token_hex(4)}}")
            sku = catalog.create_sku(product, "{face}元", Decimal("{face}"), kind="direct")
            supplier = Supplier.objects.get(pk={self.topup_supplier})
            suppliers.set_offer(supplier, sku, Decimal("{cost}"), remote_sku="MOBILE-50")
            emit(sku.pk)
            """
        )

    def sell(self, sku_id: int, out_trade_no: str) -> None:
        """Someone else's sale there (our key's agent, not through us)."""
        self.site.run(
            f"""
            from kameng.orders import services as orders
            from kameng.agents.models import Agent
            orders.place_order(agent=Agent.objects.get(pk={self.agent_id}), sku_id={sku_id},
                               quantity=1, out_trade_no="{out_trade_no}")
            """
        )

    def order(self, out_trade_no: str) -> dict | None:
        """The upstream's record of one of our forwarded requests."""
        return self.site.run(
            f"""
            from kameng.orders.models import Order
            from kameng.agents.models import Agent
            from kameng.orders import services as orders
            found = list(Order.objects.filter(agent_id={self.agent_id},
                                              out_trade_no="{out_trade_no}"))
            order = found[0] if found else None
            emit(None if order is None else {{
                "count": len(found), "status": order.status, "amount": str(order.amount),
                "cards": orders.reveal_cards(order, Agent.objects.get(pk={self.agent_id})),
            }})
            """
        )


@pytest.fixture(scope="session")
def simulated_topups() -> Iterator[SimulatedSupplier]:
    """The upstream's own top-up supplier (it calls the upstream back over HTTP)."""
    products = {"MOBILE-50": SimProduct(Decimal("45.00"))}
    sim = SimulatedSupplier(SimConfig(products=products, process_time=0.05)).start()
    yield sim
    sim.stop()


@pytest.fixture(scope="session")
def upstream(kameng_sites, simulated_topups) -> Upstream:
    site = kameng_sites("up", env=UPSTREAM_ENV)
    seeded = site.run(
        SEED_UPSTREAM.format(
            agent="site_b",
            sim_url=simulated_topups.url,
            merchant=simulated_topups.config.merchant_id,
            secret=simulated_topups.config.secret,
        )
    )
    return Upstream(site=site, **seeded)


@dataclass
class Downstream:
    """This process's site, docked to the upstream, with a distributor who buys."""

    connection: Connection
    buyer: Agent


@pytest.fixture
def downstream(worker, upstream) -> Downstream:
    factories.levels()
    connection = docking.connect(
        "上游站A",
        url=upstream.site.url,
        app_key=upstream.app_key,
        secret=upstream.secret,
        markup_percent="5",
        rounding="tenth",
    )
    buyer = factories.agent("buyer", funds="5000")
    return Downstream(connection, buyer)


SEED_MIDDLE = """
    from kameng.docking import services as docking
    from tests import factories
    from tests.distributor import distributor_for

    factories.levels()
    docking.connect("上游A", url="{url}", app_key="{app_key}", secret="{secret}")
    reseller = factories.agent("site_c", funds="100000")
    key = distributor_for(reseller)
    emit({{"app_key": key.app_key, "secret": key.secret, "agent_id": reseller.pk}})
"""


@dataclass
class Middle:
    """The site between: docked to the upstream, selling to us (a chain C → B → A)."""

    site: KamengSite
    app_key: str
    secret: str
    agent_id: int

    def sync(self) -> dict:
        return self.site.run(
            """
            from kameng.docking import services as docking
            emit(docking.sync(docking.get_connection("上游A")).as_dict())
            """
        )

    def mirrored(self, upstream_sku_id: int) -> int:
        """Its SKU id for one of the upstream's."""
        return self.site.run(
            f"""
            from kameng.docking.models import DockedSku
            emit(DockedSku.objects.get(remote_sku_id={upstream_sku_id}).sku_id)
            """
        )

    def order(self, out_trade_no: str) -> dict | None:
        """Its order for one of our requests, and the request it forwarded upstream."""
        return self.site.run(
            f"""
            from kameng.orders.models import Order
            from kameng.topup.models import Attempt
            order = Order.objects.filter(out_trade_no="{out_trade_no}").first()
            attempts = list(Attempt.objects.filter(order=order).values_list("request_id",
                            "status")) if order else []
            emit(None if order is None else {{"status": order.status, "attempts": attempts}})
            """
        )


@pytest.fixture(scope="session")
def middle(kameng_sites, upstream) -> Middle:
    site = kameng_sites("mid", env=UPSTREAM_ENV)
    seeded = site.run(
        SEED_MIDDLE.format(url=upstream.site.url, app_key=upstream.app_key, secret=upstream.secret)
    )
    return Middle(site=site, **seeded)
