"""A chain of three live sites, C → B → A: this process (C) resells B's goods, and B
resells A's. Each site talks only to its neighbour; the codes A delivers reach C's
buyer, a top-up A's supplier makes is delivered at C, and every site's books balance."""

from kameng.docking import services as docking
from kameng.docking.models import DockedSku
from kameng.ledger import services as ledger
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.orders.states import Status
from kameng.topup.models import Attempt
from tests import factories
from tests.live import wait_until


def connect_to_middle(middle):
    factories.levels()
    connection = docking.connect(
        "中间站B", url=middle.site.url, app_key=middle.app_key, secret=middle.secret
    )
    return connection, factories.agent("chain-buyer", funds="5000")


def delivered(order: Order, timeout: float = 30) -> Order:
    wait_until(lambda: Order.objects.get(pk=order.pk).status != Status.DELIVERING, timeout)
    return Order.objects.get(pk=order.pk)


def test_a_card_and_a_top_up_cross_the_chain(worker, upstream, middle):
    card = upstream.card_sku(face="100.00", cards=3)
    direct = upstream.direct_sku()
    middle.sync()
    connection, buyer = connect_to_middle(middle)
    docking.sync(connection)
    at_middle = {middle.mirrored(card["sku_id"]): "card", middle.mirrored(direct): "direct"}
    mine = {
        d.remote_sku_id: d.sku
        for d in DockedSku.objects.filter(connection=connection).select_related("sku")
    }
    card_sku, direct_sku = (mine[sku_id] for sku_id in at_middle)
    # Prices compound along the chain: A sells to B's key at level 1 (95.00); B's top
    # level pays that (no markup), and its level 1 is what C's key pays.
    assert (card_sku.kind, card_sku.forwarded, direct_sku.kind) == ("card", True, "direct")

    card_order = orders.place_order(
        agent=buyer, sku_id=card_sku.pk, quantity=1, out_trade_no="C-CARD-1"
    ).order
    top_up = orders.place_order(
        agent=buyer,
        sku_id=direct_sku.pk,
        quantity=1,
        out_trade_no="C-TOP-1",
        recharge_account="13900139000",
    ).order
    assert delivered(card_order).status == Status.DELIVERED
    assert delivered(top_up).status == Status.DELIVERED

    # The codes are A's, shown to C's buyer.
    codes = orders.reveal_cards(Order.objects.get(pk=card_order.pk), buyer)
    assert len(codes) == 1 and codes[0][1] in card["secrets"]

    # Each site saw only its neighbour: B has C's request, A has B's (and not C's).
    for order in (card_order, top_up):
        ours = Attempt.objects.get(order=order).request_id
        at_b = middle.order(ours)
        assert at_b["status"] == "delivered"
        [(b_request, b_status)] = at_b["attempts"]
        assert b_status == "succeeded"
        assert upstream.order(b_request)["count"] == 1
        assert upstream.order(ours) is None

    assert ledger.verify() == []
    for site in (middle.site, upstream.site):
        assert "ledger balances" in site.kameng("verify-ledger")
