"""The order path caches each agent's quote per process (agents.pricing). Whoever
changes a price, a level, an agent or a SKU — a service, the admin, a plain UPDATE from
another process — the very next order must be priced and refused as if nothing were
cached."""

from decimal import Decimal

import pytest

from kameng.agents import pricing
from kameng.agents.models import Agent, AgentLevel, AgentPrice
from kameng.catalog.errors import SkuNotSellable
from kameng.catalog.models import Product, QuoteVersion, Sku
from kameng.orders import services as orders
from kameng.orders.errors import InvalidRechargeAccount
from kameng.orders.models import Order
from tests import factories
from tests.orders.helpers import assert_books_sound

pytestmark = pytest.mark.django_db


def _buy(world, no: str, agent=None):
    return orders.place_order(
        agent=agent or world.a3, sku_id=world.sku.pk, quantity=1, out_trade_no=no
    ).order


def test_a_level_changed_by_a_plain_update_prices_the_next_order_anew(world):
    assert _buy(world, "Q-1").amount == Decimal("98.50")  # cached now
    # As another process (or a shell) would: no service, no Python hook of ours.
    AgentLevel.objects.filter(depth=3).update(discount=Decimal("0.9900"))
    assert _buy(world, "Q-2").amount == Decimal("99.00")
    assert_books_sound()


def test_a_parent_price_set_meanwhile_moves_the_split_of_the_next_order(world):
    first = _buy(world, "Q-1")
    AgentPrice.objects.create(agent=world.a2, sku=world.sku, sub_agent_price=Decimal("99.50"))
    second = _buy(world, "Q-2")
    assert (first.amount, second.amount) == (Decimal("98.50"), Decimal("99.50"))
    spreads = {int(account): Decimal(amount) for account, amount in second.spreads}
    assert spreads[world.a2.wallet_id] == Decimal("2.50")  # 99.50 − agent2's 97.00


@pytest.mark.parametrize(
    "withdraw",
    [
        lambda world: Sku.objects.filter(pk=world.sku.pk).update(active=False),
        lambda world: Sku.objects.filter(pk=world.sku.pk).update(authorised=False),
        lambda world: Product.objects.filter(pk=world.sku.product_id).update(active=False),
    ],
    ids=["sku-inactive", "sku-unauthorised", "product-inactive"],
)
def test_goods_taken_off_sale_are_refused_at_once_though_cached(world, withdraw):
    _buy(world, "Q-1")
    balance = factories.wallet(world.a3)
    withdraw(world)
    with pytest.raises(SkuNotSellable):
        _buy(world, "Q-2")
    assert factories.wallet(world.a3) == balance


def test_a_disabled_parent_earns_nothing_on_the_next_order(world):
    _buy(world, "Q-1")
    Agent.objects.filter(pk=world.a2.pk).update(active=False)
    order = _buy(world, "Q-2")
    accounts = {int(account) for account, _ in order.spreads}
    assert world.a2.wallet_id not in accounts


@pytest.mark.parametrize(
    "write",
    [
        lambda world: Sku.objects.filter(pk=world.sku.pk).update(name="改名"),
        lambda world: Product.objects.filter(pk=world.sku.product_id).update(name="改名"),
        lambda world: AgentLevel.objects.filter(depth=1).update(name="改名"),
        lambda world: AgentPrice.objects.create(agent=world.a2, sku=world.sku),
        lambda world: AgentPrice.objects.filter(agent=world.a1).delete(),
        lambda world: Agent.objects.filter(pk=world.a1.pk).update(active=True),
    ],
    ids=["sku", "product", "level", "price-insert", "price-delete", "agent"],
)
def test_every_write_to_a_quote_input_changes_the_version(world, write):
    AgentPrice.objects.create(agent=world.a1, sku=world.sku)  # one to delete
    before = QuoteVersion.objects.filter(pk=1).values_list("token", flat=True).first()
    write(world)
    after = QuoteVersion.objects.get(pk=1).token
    assert after and after != before


def test_a_cached_quote_is_used_while_nothing_changed(world):
    _buy(world, "Q-1")
    cached = pricing.sale_quote(world.a3, world.sku.pk)
    assert pricing.sale_quote(world.a3, world.sku.pk) is cached
    assert _buy(world, "Q-2").amount == Decimal("98.50")
    assert pricing.sale_quote(world.a3, world.sku.pk) is cached


def test_a_sku_turned_direct_takes_a_recharge_account_though_cached_as_a_card(world):
    """A refusal judged on the cached SKU (a card takes no account) is judged again on
    the database's: the SKU is a direct top-up now."""
    from kameng.suppliers import services as suppliers
    from kameng.upstream import services as upstream

    _buy(world, "Q-1")  # the card SKU is cached
    Sku.objects.filter(pk=world.sku.pk).update(kind=Sku.Kind.DIRECT)
    source = factories.supplier()
    upstream.configure_api(
        source, adapter="kameng-http", base_url="http://127.0.0.1:9", merchant_id="m", secret="s"
    )
    suppliers.set_offer(source, world.sku, Decimal("90.00"), remote_sku="P")
    placed = orders.place_order(
        agent=world.a3,
        sku_id=world.sku.pk,
        quantity=1,
        out_trade_no="Q-2",
        recharge_account="13800138000",
    )
    assert placed.created and placed.order.recharge_account == "13800138000"
    assert placed.order.status in ("delivering", "delivered", "refunded")


def test_a_refusal_on_a_fresh_quote_stands(world):
    _buy(world, "Q-1")
    with pytest.raises(InvalidRechargeAccount):
        orders.place_order(
            agent=world.a3,
            sku_id=world.sku.pk,
            quantity=1,
            out_trade_no="Q-2",
            recharge_account="13800138000",
        )
    assert not Order.objects.filter(out_trade_no="Q-2").exists()
