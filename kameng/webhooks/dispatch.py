"""Recording a status change for delivery, inside the transaction that made it (the
order flow calls `on_order_status_changed` through kameng.orders.consequences)."""

from datetime import datetime

from django.db import transaction

from kameng.orders.models import Order
from kameng.webhooks.models import Delivery


def on_order_status_changed(order: Order, previous: str, now: datetime) -> None:
    """Listed in kameng.orders.consequences: an order that gave a callback_url hears of
    each change of its status."""
    if order.callback_url:
        order_changed(order, now)


def order_changed(order: Order, now: datetime, *, manual: bool = False) -> Delivery:
    """Inside the caller's transaction: the delivery exists exactly when the status
    change does; the first try is queued once that transaction has committed."""
    delivery = Delivery.objects.create(
        order=order,
        status=order.status,
        url=order.callback_url,
        manual=manual,
        created_at=now,
        next_try_at=now,
    )
    transaction.on_commit(lambda: enqueue(delivery.pk))
    return delivery


def enqueue(delivery_id: int, countdown: float = 0) -> None:
    from kameng.webhooks.tasks import deliver

    deliver.apply_async((delivery_id,), countdown=countdown)
