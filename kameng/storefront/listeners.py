"""What the storefront does when an order's status changes (named in
kameng.orders.consequences): see on_order_status_changed."""

import logging
from datetime import datetime

from django.db import transaction

from kameng.orders.models import Order
from kameng.orders.states import Status
from kameng.storefront import services
from kameng.storefront.models import Checkout
from kameng.storefront.tasks import send_delivery_email

log = logging.getLogger(__name__)


def on_order_status_changed(order: Order, previous: str, now: datetime) -> None:
    """Inside the transaction of the change. A storefront order delivered to an email
    contact: its codes are emailed once the change has committed. An order closed
    unpaid: its coupon use is given back; paid after all: counted again."""
    if order.channel != Order.Channel.STOREFRONT:
        return
    if order.status == Status.DELIVERED:
        wants_email = Checkout.objects.filter(
            order_id=order.pk, contact_kind=Checkout.ContactKind.EMAIL, emailed_at__isnull=True
        ).exists()
        if wants_email:
            order_id = order.pk
            transaction.on_commit(lambda: enqueue_delivery_email(order_id))
    elif order.status == Status.EXPIRED:
        services.give_coupon_back(order)
    elif order.status == Status.PAID and previous == Status.EXPIRED:
        services.count_coupon_again(order)


def enqueue_delivery_email(order_id: int) -> None:
    """After the commit; a broker that cannot take the task now is no error of the
    order's: the periodic sweep (tasks.send_unsent_emails) sends it later."""
    try:
        send_delivery_email.delay(order_id)
    except Exception:
        log.exception("could not queue the delivery email of order %s", order_id)
