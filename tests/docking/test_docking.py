"""Docking two live Kameng sites over real HTTP: this process resells the upstream's
goods (tests/docking/conftest.py). Sync, a card and a top-up bought through, prices,
stock-outs and delistings that change upstream, and the upstream's webhooks."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from kameng.catalog.errors import OutOfStock
from kameng.client import webhook_signature
from kameng.docking import services as docking
from kameng.docking.models import DockedSku
from kameng.ledger import services as ledger
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.orders.states import Status
from kameng.suppliers.models import Offer
from kameng.topup.models import Attempt, Callback
from tests import factories
from tests.live import wait_until


def mirrored(downstream, remote_sku_id: int) -> DockedSku:
    return DockedSku.objects.select_related("sku").get(
        connection=downstream.connection, remote_sku_id=remote_sku_id
    )


def buy(downstream, sku_id: int, out_trade_no: str, **extra) -> Order:
    placed = orders.place_order(
        agent=downstream.buyer, sku_id=sku_id, quantity=1, out_trade_no=out_trade_no, **extra
    )
    return placed.order


def settled(order: Order, timeout: float = 15) -> Order:
    wait_until(lambda: Order.objects.get(pk=order.pk).status not in (Status.DELIVERING,), timeout)
    return Order.objects.get(pk=order.pk)


def test_sync_mirrors_the_upstreams_goods_at_its_price_with_the_markup(downstream, upstream):
    card = upstream.card_sku(face="100.00", cards=4)
    report = docking.sync(downstream.connection)
    assert report.complete

    docked = mirrored(downstream, card["sku_id"])
    sku = docked.sku
    assert (sku.product.name, sku.name, sku.kind, sku.forwarded) == (
        card["product"],
        "100.00元",
        "card",
        True,
    )
    assert sku.pk in report.added and sku.active and sku.authorised
    # Our key is a level-1 agent there: 95.00. Our top level pays 95.00 × 1.05 = 99.75,
    # rounded up to 99.80; the list price is what the top level's 95% makes 99.80 of.
    offer = Offer.objects.get(sku=sku)
    assert (offer.cost, offer.remote_sku, offer.remote_stock) == (
        Decimal("95.00"),
        str(card["sku_id"]),
        4,
    )
    assert sku.list_price == Decimal("105.05")
    products = {p["sku_id"]: p for p in docking_offers(downstream)}
    assert products[sku.pk]["price"] == "99.80"  # 105.05 × 95% = 99.7975
    assert products[sku.pk]["stock_state"] == "in_stock"

    # A second sync changes nothing.
    again = docking.sync(downstream.connection)
    assert (again.added, again.updated, again.delisted) == ([], [], [])


def docking_offers(downstream) -> list[dict]:
    from kameng.orders.catalog import offers_for

    top = factories.agent("top-level")
    return offers_for(top)


def test_a_card_bought_here_is_bought_once_upstream_and_its_codes_are_the_buyers(
    downstream, upstream
):
    card = upstream.card_sku(face="50.00", cards=3)
    docking.sync(downstream.connection)
    sku = mirrored(downstream, card["sku_id"]).sku
    paid_before = ledger.balance(downstream.buyer.wallet_id)

    order = buy(downstream, sku.pk, "B-CARD-1")
    assert order.status == Status.DELIVERING  # forwarded after the commit
    order = settled(order)
    attempt = Attempt.objects.get(order=order)
    assert order.status == Status.DELIVERED, (attempt.error_code, attempt.message)

    there = upstream.order(attempt.request_id)
    assert there["count"] == 1 and there["status"] == "delivered"
    assert there["amount"] == "47.50"  # 50.00 at level 1 there
    codes = orders.reveal_cards(order, downstream.buyer)
    assert [list(pair) for pair in codes] == there["cards"]
    assert codes[0][1] in card["secrets"]
    assert ledger.balance(downstream.buyer.wallet_id) == paid_before - order.amount
    # Asked again (a retry after a lost answer): the same order there, nothing bought twice.
    from kameng.upstream.adapters import adapter_for

    again = adapter_for(downstream.connection.supplier).query(attempt.request_id)
    assert again.cards == tuple(codes)
    assert upstream.order(attempt.request_id)["count"] == 1
    assert ledger.verify() == []


def test_a_top_up_is_forwarded_and_the_upstreams_webhook_delivers_it(
    downstream, upstream, settings
):
    settings.KAMENG_TOPUP_QUERY_AFTER_SECONDS = 60  # only the webhook can settle it now
    direct = upstream.direct_sku()
    docking.sync(downstream.connection)
    sku = mirrored(downstream, direct).sku
    assert (sku.kind, sku.forwarded) == ("direct", False)

    order = buy(downstream, sku.pk, "B-TOP-1", recharge_account="13800138000")
    order = settled(order, timeout=20)
    assert order.status == Status.DELIVERED
    attempt = Attempt.objects.get(order=order)
    assert attempt.queries == 0
    hooks = Callback.objects.filter(request_id=attempt.request_id)
    assert Callback.Effect.APPLIED in {hook.effect for hook in hooks}
    assert upstream.order(attempt.request_id)["status"] in ("delivered", "completed")


def test_a_forged_webhook_is_refused_and_changes_nothing(downstream, upstream, client):
    direct = upstream.direct_sku()
    docking.sync(downstream.connection)
    sku = mirrored(downstream, direct).sku
    order = buy(downstream, sku.pk, "B-TOP-2", recharge_account="13800138001")
    attempt = Attempt.objects.get(order=order)
    body = (
        f'{{"out_trade_no":"{attempt.request_id}","status":"failed","order_no":"X",'
        '"cards":[],"amount":"47.50"}'
    ).encode()
    url = reverse("topup-callback", args=[downstream.connection.supplier_id])
    forged = client.post(
        url,
        body,
        content_type="application/json",
        headers={
            "X-Kameng-Key": upstream.app_key,
            "X-Kameng-Timestamp": "1764000000",
            "X-Kameng-Signature": webhook_signature("not-the-secret", "1764000000", body),
        },
    )
    assert forged.status_code == 400
    assert Callback.objects.filter(effect=Callback.Effect.FORGED).exists()
    assert settled(order, timeout=20).status == Status.DELIVERED  # the real answer won


def test_a_price_change_upstream_reaches_the_next_sync(downstream, upstream):
    card = upstream.card_sku(face="30.00", cards=2)
    docking.sync(downstream.connection)
    sku_id = mirrored(downstream, card["sku_id"]).sku_id
    upstream.site.run(
        f"""
        from decimal import Decimal
        from kameng.catalog.models import Sku
        sku = Sku.objects.get(pk={card["sku_id"]})
        sku.list_price = Decimal("32.00")
        sku.save()
        """
    )
    report = docking.sync(downstream.connection)
    assert not report.delisted
    assert sku_id in report.updated
    assert Offer.objects.get(sku_id=sku_id).cost == Decimal("30.40")  # 32.00 × 95%
    assert mirrored(downstream, card["sku_id"]).sku.list_price == Decimal("33.68")


def test_with_fixed_prices_a_cost_above_our_price_stops_selling_at_once(downstream, upstream):
    docking.configure(downstream.connection, auto_price=False)
    card = upstream.card_sku(face="20.00", cards=2)
    docking.sync(downstream.connection)
    sku_id = mirrored(downstream, card["sku_id"]).sku_id
    upstream.site.run(
        f"""
        from decimal import Decimal
        from kameng.catalog.models import Sku
        Sku.objects.filter(pk={card["sku_id"]}).update(list_price=Decimal("25.00"))
        """
    )
    report = docking.sync(downstream.connection)
    assert sku_id in report.below_cost
    before = ledger.balance(downstream.buyer.wallet_id)
    with pytest.raises(OutOfStock):
        buy(downstream, sku_id, "B-DEAR-1")
    assert ledger.balance(downstream.buyer.wallet_id) == before
    assert not Order.objects.filter(out_trade_no="B-DEAR-1").exists()


def test_an_upstream_stock_out_is_refused_here_before_money_moves(downstream, upstream):
    card = upstream.card_sku(face="10.00", cards=1)
    docking.sync(downstream.connection)
    sku_id = mirrored(downstream, card["sku_id"]).sku_id
    upstream.sell(card["sku_id"], "sold-there")
    docking.sync(downstream.connection)  # incremental: the stock moved there
    offer = Offer.objects.get(sku_id=sku_id)
    assert (offer.remote_available, offer.remote_stock) == (False, 0)
    before = ledger.balance(downstream.buyer.wallet_id)
    with pytest.raises(OutOfStock):
        buy(downstream, sku_id, "B-OUT-1")
    assert ledger.balance(downstream.buyer.wallet_id) == before


def test_a_stock_out_learnt_when_forwarding_refunds_and_stops_the_next_orders(downstream, upstream):
    card = upstream.card_sku(face="15.00", cards=1)
    docking.sync(downstream.connection)
    sku_id = mirrored(downstream, card["sku_id"]).sku_id
    upstream.sell(card["sku_id"], "sold-there-2")
    before = ledger.balance(downstream.buyer.wallet_id)
    order = settled(buy(downstream, sku_id, "B-OUT-2"))  # our sync did not know yet
    assert order.status == Status.REFUNDED
    assert ledger.balance(downstream.buyer.wallet_id) == before
    assert Attempt.objects.get(order=order).error_code == "out_of_stock"
    with pytest.raises(OutOfStock):
        buy(downstream, sku_id, "B-OUT-3")


def test_a_product_gone_upstream_is_delisted_after_a_complete_listing_and_comes_back(
    downstream, upstream
):
    card = upstream.card_sku(face="60.00", cards=2)
    docking.sync(downstream.connection)
    sku_id = mirrored(downstream, card["sku_id"]).sku_id
    off = f"""
        from kameng.catalog.models import Sku
        Sku.objects.filter(pk={card["sku_id"]}).update(active=%s)
        """
    upstream.site.run(off % "False")
    report = docking.sync(downstream.connection)
    # Taking a SKU off sale changes prices' inputs there: the listing is complete.
    assert report.complete and sku_id in report.delisted
    docked = mirrored(downstream, card["sku_id"])
    assert docked.delisted_at is not None and not docked.sku.active
    with pytest.raises(Exception, match="not on sale"):
        buy(downstream, sku_id, "B-GONE-1")

    upstream.site.run(off % "True")
    report = docking.sync(downstream.connection)
    assert sku_id in report.relisted
    assert mirrored(downstream, card["sku_id"]).sku.active


def test_an_incremental_listing_never_delists(downstream, upstream, monkeypatch):
    card = upstream.card_sku(face="70.00", cards=2)
    monkeypatch.setattr(docking, "OVERLAP", timedelta(0))
    time.sleep(1)  # the SKU's creation there is now older than the next listing's start
    docking.sync(downstream.connection)
    # The next listing is incremental and names nothing (nothing moved): none delisted.
    report = docking.sync(downstream.connection)
    assert (report.complete, report.seen, report.delisted) == (False, 0, [])
    assert mirrored(downstream, card["sku_id"]).delisted_at is None


def test_excluded_products_are_not_mirrored(downstream, upstream):
    card = upstream.card_sku(face="80.00", cards=1)
    docking.configure(downstream.connection, excluded=[card["sku_id"]])
    docking.sync(downstream.connection, full=True)
    assert not DockedSku.objects.filter(remote_sku_id=card["sku_id"]).exists()


def test_reconciliation_agrees_after_forwarded_orders(downstream, upstream):
    card = upstream.card_sku(face="40.00", cards=2)
    docking.sync(downstream.connection)
    sku_id = mirrored(downstream, card["sku_id"]).sku_id
    order = settled(buy(downstream, sku_id, "B-REC-1"))
    assert order.status == Status.DELIVERED
    report = docking.reconcile(downstream.connection)
    assert (report.checked, report.mismatches) == (1, [])

    # The upstream refunds it behind our back (its operator upheld a complaint): found.
    attempt = Attempt.objects.get(order=order)
    upstream.site.run(
        f"""
        from kameng.orders import services as orders
        from kameng.orders.models import Order
        order = Order.objects.get(out_trade_no="{attempt.request_id}")
        orders.open_dispute(order, "test")
        orders.resolve_dispute(order, upheld=True)
        """
    )
    report = docking.reconcile(downstream.connection)
    assert [m["kind"] for m in report.mismatches] == ["not_delivered"]
    assert report.mismatches[0]["order_no"] == order.order_no
