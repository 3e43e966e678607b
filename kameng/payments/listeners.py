"""What payments does when an order's status changes (named in
kameng.orders.consequences): see on_order_status_changed."""

from datetime import datetime

from kameng.orders.models import Order
from kameng.orders.states import Status
from kameng.payments import services
from kameng.payments.models import Payment
from kameng.payments.states import PaymentStatus


def on_order_status_changed(order: Order, previous: str, now: datetime) -> None:
    """A storefront order refunded after a gateway trade paid it (no goods for a late
    payment, an upheld complaint, a rejected risk review): a Refund of that trade, sent
    after the commit. A storefront order closed unpaid after its buyer went to the
    gateway: a failed payment, counted by risk control."""
    if order.channel != Order.Channel.STOREFRONT:
        return
    if order.status == Status.REFUNDED:
        services.refund_order(order, previous)
    elif (
        order.status == Status.EXPIRED
        and Payment.objects.filter(order=order, status=PaymentStatus.PENDING).exists()
    ):
        services.payment_failed(order)
