"""Placing direct orders and waiting for their outcome, shared by the top-up tests."""

from decimal import Decimal

from kameng.ledger.models import Journal
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.suppliers import services as suppliers
from kameng.suppliers.models import Supplier
from kameng.upstream import services as upstream
from tests import factories
from tests.live import PRODUCT, wait_until

_numbers = iter(range(10**6))


def buy(world, account: str = "13800138000", quantity: int = 1) -> Order:
    placed = orders.place_order(
        agent=world.a3,
        sku_id=world.direct.pk,
        quantity=quantity,
        out_trade_no=f"d{next(_numbers)}",
        recharge_account=account,
    )
    return placed.order


def status_of(order: Order) -> str:
    return Order.objects.values_list("status", flat=True).get(pk=order.pk)


def settled(order: Order, *statuses: str, timeout: float = 10.0) -> float:
    return wait_until(lambda: status_of(order) in statuses, timeout)


def journals(order: Order, kind: str) -> int:
    return Journal.objects.filter(reference=order.order_no, kind=kind).count()


def supplier_at(url: str, sku, cost: str) -> Supplier:
    """An approved API supplier configured at `url` (which need not answer)."""
    source = factories.supplier()
    upstream.configure_api(source, adapter="kameng-http", base_url=url, merchant_id="m", secret="s")
    suppliers.set_offer(source, sku, Decimal(cost), remote_sku=PRODUCT)
    return source
