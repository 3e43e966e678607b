from django.db import connection, transaction

from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.orders.states import Status
from kameng.topup import services as topup
from kameng.topup.models import Attempt
from tests.live import connect, wait_until


def test_a_top_up_whose_task_was_lost_is_found_by_the_poller(direct_world, sims, worker):
    sim = sims()
    connect(sim, direct_world.direct)
    with transaction.atomic():
        order = orders.place_order(
            agent=direct_world.a3,
            sku_id=direct_world.direct.pk,
            quantity=1,
            out_trade_no="lost",
            recharge_account="13800138000",
        ).order
        # The process dies between commit and queueing: the order and its attempt are
        # committed, the submit task never reaches the broker.
        connection.run_on_commit.clear()
    attempt = Attempt.objects.get(order=order)
    assert attempt.status == "pending" and not sim.orders
    Attempt.objects.filter(pk=attempt.pk).update(next_query_at=attempt.created_at)

    assert topup.poll_due() == 1  # what beat runs every 15 s
    wait_until(lambda: Order.objects.get(pk=order.pk).status == Status.DELIVERED)
    assert len(sim.orders) == 1
