"""What the operator's pages show: one of each thing waiting in the queues, a
storefront payment unpaid after its window with a refund the gateway refused, and a
docked upstream site (not there) with SKUs mirrored from it."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kameng.agents import requests as money_requests
from kameng.agents.models import TopUpRequest, WithdrawalRequest
from kameng.docking.models import Connection, DockedSku
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.payments import services as payments
from kameng.payments.models import Payment, Refund
from kameng.suppliers.models import Supplier, SupplierApplication
from kameng.suppliers.services import create_supplier
from kameng.upstream.adapters.kameng_v1 import KamengV1Adapter
from kameng.upstream.services import configure_api
from tests import factories
from tests.console.conftest import log_in

GATEWAY_KEY = "merchant-key-0123456789abcdef"


@dataclass
class Waiting:
    application: SupplierApplication
    dispute: Order
    top_up: TopUpRequest
    withdrawal: WithdrawalRequest


@pytest.fixture
def waiting(world) -> Waiting:
    """A supplier application, a disputed order (agent3's), agent2's top-up and
    withdrawal requests."""
    placed = orders.place_order(agent=world.a3, sku_id=world.sku.pk, quantity=1, out_trade_no="d1")
    disputed = orders.open_dispute(placed.order, "卡密无法使用")
    return Waiting(
        application=factories.application(company_name="上游科技有限公司"),
        dispute=disputed,
        top_up=money_requests.request_top_up(world.a2, "300.00", "BANK-20261207-1", "工行转账"),
        withdrawal=money_requests.request_withdrawal(
            world.a2, "120.00", "支付宝 agent2@example.com"
        ),
    )


@dataclass
class PaymentCase:
    unpaid: Payment  # pending, its order's payment window over
    refunded: Payment  # paid, then refunded after a dispute; the refund failed


@pytest.fixture
def payment_case(world, settings, operator) -> PaymentCase:
    settings.KAMENG_PAYMENT_REFUND_RETRY_DELAYS = []  # unreachable once: failed
    payments.configure_gateway("epay", url="http://127.0.0.1:9", pid="1", key=GATEWAY_KEY)
    late = orders.create_storefront_order(seller=world.a3, sku_id=world.sku.pk, quantity=1).order
    payments.start_payment(late, type="alipay", client_ip="203.0.113.9")
    Order.objects.filter(pk=late.pk).update(payment_deadline=timezone.now() - timedelta(minutes=5))
    paid = orders.create_storefront_order(seller=world.a3, sku_id=world.sku.pk, quantity=1).order
    payments.confirm_payment(
        paid.order_no, trade_no="T-REFUND-1", operator=operator.user, reason="seen"
    )
    orders.open_dispute(Order.objects.get(pk=paid.pk), "broken")
    orders.resolve_dispute(Order.objects.get(pk=paid.pk), upheld=True, note="refund")
    payments.send_refund(Refund.objects.get())
    return PaymentCase(Payment.objects.get(order=late), Payment.objects.get(order=paid))


# Nothing listens on the discard port: the upstream refuses at once.
UNREACHABLE = "http://127.0.0.1:9"


@pytest.fixture
def connection(world) -> Connection:
    """A docked site (an approved API supplier, kameng-v1) whose upstream is not there."""
    supplier = create_supplier(
        "上游站点甲", mode=Supplier.Mode.API, status=Supplier.Status.APPROVED
    )
    configure_api(
        supplier,
        adapter=KamengV1Adapter.name,
        base_url=UNREACHABLE,
        merchant_id="app-key-a-001",
        secret="upstream-secret-0123456789",
    )
    return Connection.objects.create(
        supplier=supplier,
        markup_percent=Decimal("5"),
        markup_fixed=Decimal("0.50"),
        rounding=Connection.Rounding.TENTH,
    )


def _dock(connection: Connection, remote_id: int, cost: str, list_price: str, **fields):
    sku = factories.sku("100.00")
    sku.list_price = Decimal(list_price)
    sku.save(update_fields=["list_price"])
    return DockedSku.objects.create(
        connection=connection,
        remote_sku_id=remote_id,
        sku=sku,
        name=sku.name,
        product=sku.product.name,
        category="游戏点卡",
        cost=Decimal(cost),
        seen_at=timezone.now(),
        **fields,
    )


@pytest.fixture
def mirrored(connection) -> dict[str, DockedSku]:
    """On sale (level 1 pays 100.00 × 0.95 = 95.00 over a cost of 90.00), below cost
    (95.00 under 99.00), delisted."""
    return {
        "selling": _dock(connection, 501, "90.00", "100.00", stock=7),
        "below": _dock(connection, 502, "99.00", "100.00", in_stock=False),
        "gone": _dock(connection, 503, "80.00", "100.00", delisted_at=timezone.now()),
    }


@pytest.fixture
def op_client(client, operator):
    log_in(client, operator)
    return client
