"""What the storefront does when an order's status changes (named in
kameng.orders.consequences): see on_order_status_changed."""

from datetime import datetime

from kameng.orders.models import Order


def on_order_status_changed(order: Order, previous: str, now: datetime) -> None:
    return None
