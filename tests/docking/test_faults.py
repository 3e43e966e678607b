"""500 orders forwarded to a live upstream site through a network that fails 30% of
requests (half of them after the upstream acted) and stalls 10% past our timeout:
every order ends delivered or refunded, nothing is bought twice upstream, both sites'
books balance, and reconciliation finds no mismatch."""

import json
import time

import pytest
from django.db.models import Count

from kameng.docking import services as docking
from kameng.ledger import services as ledger
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.orders.states import Status
from kameng.suppliers.models import Supplier
from kameng.topup.models import Attempt
from kameng.topup.states import UNSETTLED
from tests import factories
from tests.docking.chaos import ChaosProxy

CARDS, TOP_UPS = 400, 100


@pytest.fixture(autouse=True)
def _unscored(settings):
    """Our own risk control would hold one agent's burst for review (tests/risk)."""
    settings.KAMENG_RISK_ENABLED = False


def test_500_forwarded_orders_through_a_faulty_network_all_end_once(worker, upstream):
    card = upstream.card_sku(face="20.00", cards=CARDS + 20)
    direct = upstream.direct_sku()
    factories.levels()
    connection = docking.connect(
        "故障网络上游", url=upstream.site.url, app_key=upstream.app_key, secret=upstream.secret
    )
    docking.sync(connection)
    card_sku = connection.skus.get(remote_sku_id=card["sku_id"]).sku_id
    direct_sku = connection.skus.get(remote_sku_id=direct).sku_id
    buyer = factories.agent("fault-buyer", funds="50000")
    proxy = ChaosProxy(upstream.site.url, seed=17).start()
    Supplier.objects.filter(pk=connection.supplier_id).update(api_base_url=proxy.url)
    try:
        placed = []
        for n in range(CARDS + TOP_UPS):
            top_up = n % 5 == 4
            placed.append(
                orders.place_order(
                    agent=buyer,
                    sku_id=direct_sku if top_up else card_sku,
                    quantity=1,
                    out_trade_no=f"fault-{n}",
                    recharge_account=f"1380000{n:04d}" if top_up else "",
                ).order.pk
            )
        deadline = time.monotonic() + 300
        while Order.objects.filter(pk__in=placed, status=Status.DELIVERING).exists():
            assert time.monotonic() < deadline, "orders still delivering after 300 s"
            time.sleep(0.5)
    finally:
        Supplier.objects.filter(pk=connection.supplier_id).update(api_base_url=upstream.site.url)
        proxy.stop()

    # The network did fail as promised.
    assert proxy.counts["fail_before"] + proxy.counts["fail_after"] > 100
    assert proxy.counts["stall"] > 30

    # Every order ended: delivered, or refunded (none left undecided).
    ended = dict(Order.objects.filter(pk__in=placed).values_list("status").annotate(n=Count("pk")))
    print(f"network: {dict(proxy.counts)}; orders: {ended}")  # shown with -s
    assert set(ended) <= {Status.DELIVERED, Status.REFUNDED}, ended
    assert sum(ended.values()) == CARDS + TOP_UPS
    assert not Attempt.objects.filter(order_id__in=placed, status__in=UNSETTLED).exists()

    # Nothing bought twice upstream: each order's requests there made at most one
    # purchase that stood, exactly one for a delivered order (with its very codes), none
    # for a refunded one.
    requests = {}
    for order_id, request_id in Attempt.objects.filter(order_id__in=placed).values_list(
        "order_id", "request_id"
    ):
        requests.setdefault(order_id, []).append(request_id)
    there = upstream.site.run(
        f"""
        import json
        from kameng.orders.models import Order
        from kameng.orders import services as orders
        from kameng.agents.models import Agent
        agent = Agent.objects.get(pk={upstream.agent_id})
        ids = json.loads('{json.dumps(sorted(r for rs in requests.values() for r in rs))}')
        found = {{}}
        for order in Order.objects.filter(agent=agent, out_trade_no__in=ids):
            found[order.out_trade_no] = [order.status, orders.reveal_cards(order, agent)]
        emit(found)
        """
    )
    stood = {"delivered", "completed"}
    for order in Order.objects.filter(pk__in=placed).select_related("sku"):
        bought = [there[r] for r in requests[order.pk] if there.get(r, ["-"])[0] in stood]
        if order.status == Status.DELIVERED:
            assert len(bought) == 1, (order.order_no, bought)
            if order.sku.forwarded:
                mine = [list(pair) for pair in orders.reveal_cards(order, buyer)]
                assert mine == bought[0][1]
        else:
            assert bought == [], (order.order_no, bought)

    # Both sites' books balance; reconciliation (on a sound network) agrees.
    assert ledger.verify() == []
    assert "ledger balances" in upstream.site.kameng("verify-ledger")
    connection.supplier.refresh_from_db()
    report = docking.reconcile(connection)
    assert report.mismatches == [] and report.unreachable == 0
    assert report.checked == Attempt.objects.filter(order_id__in=placed).count()
