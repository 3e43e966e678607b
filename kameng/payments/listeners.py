"""What payments does when an order's status changes (named in
kameng.orders.consequences): see on_order_status_changed."""

from datetime import datetime

from kameng.orders.models import Order
from kameng.orders.states import Status
from kameng.payments import services


def on_order_status_changed(order: Order, previous: str, now: datetime) -> None:
    """A storefront order refunded after a gateway trade paid it (no goods for a late
    payment, an upheld complaint): a Refund of that trade, sent after the commit."""
    if order.status == Status.REFUNDED and order.channel == Order.Channel.STOREFRONT:
        services.refund_order(order, previous)
