"""What else happens when an order changes status, in one list.

`orders.services._transition` calls `status_changed` right after the status and its
event are written, inside the same transaction: what a listener writes commits or rolls
back with the change, and anything it sends must wait for the commit
(`transaction.on_commit`). The listeners live in the apps that react, above orders, and
are named here by path, so orders imports none of them. Each takes
(order, previous status, now); they run in this order.

The states an order is created in (placed and paid and delivered in one transaction)
are not changes: the order's answer reports them. Listeners hear everything after.
"""

from collections.abc import Callable
from datetime import datetime
from functools import cache

from django.utils.module_loading import import_string

from kameng.orders.models import Order

ON_STATUS_CHANGE: tuple[str, ...] = (
    # A signed POST of the order to its callback_url (open-API orders that gave one).
    "kameng.webhooks.dispatch.on_order_status_changed",
    # A storefront order refunded after the buyer paid: the money back through the
    # gateway's refund call.
    "kameng.payments.listeners.on_order_status_changed",
    # A storefront order delivered to an email contact: the codes by email; unpaid and
    # closed: its coupon use given back.
    "kameng.storefront.listeners.on_order_status_changed",
)

Listener = Callable[[Order, str, datetime], None]


def status_changed(order: Order, previous: str, now: datetime) -> None:
    for listener in _listeners():
        listener(order, previous, now)


@cache
def _listeners() -> tuple[Listener, ...]:
    return tuple(import_string(path) for path in ON_STATUS_CHANGE)
