"""What the operator's pages show: one of each thing waiting in the queues, and a
storefront payment unpaid after its window with a refund the gateway refused."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from kameng.agents import requests as money_requests
from kameng.agents.models import TopUpRequest, WithdrawalRequest
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.payments import services as payments
from kameng.payments.models import Payment, Refund
from kameng.suppliers.models import SupplierApplication
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


@pytest.fixture
def op_client(client, operator):
    log_in(client, operator)
    return client
