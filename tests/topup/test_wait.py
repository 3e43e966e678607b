"""`kameng place-order --wait`: a script waiting for a top-up learns from the exit
status whether it was delivered. (Not delivered in time: tests/test_cli.py.)"""

import json

import pytest
from django.core.management import CommandError, call_command

from kameng.orders.models import Order
from tests.live import connect


@pytest.mark.usefixtures("worker")
def test_waiting_for_a_top_up_that_is_refunded_exits_non_zero(direct_world, sims, capsys):
    connect(sims(fail_rate=1.0), direct_world.direct)
    args = ["--agent", "agent3", "--sku", str(direct_world.direct.pk), "--account", "13800138000"]
    with pytest.raises(CommandError) as refused:
        call_command("place_order", *args, "--out-trade-no", "R-1", "--wait", "10")
    order = Order.objects.get(out_trade_no="R-1")
    assert str(refused.value) == (
        f"not_delivered: order {order.order_no} was not delivered: it is refunded "
        f"(kameng show-order {order.order_no} --as agent3)"
    )
    assert json.loads(capsys.readouterr().out)["status"] == "refunded"  # the order is printed first
