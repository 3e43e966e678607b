"""The email a buyer gets when its storefront order is delivered: the order, the goods
and, for card codes, the codes themselves (plain text and HTML, in Chinese).

Sent at most once per order: `Checkout.emailed_at` is claimed with a conditional UPDATE
before sending and given back only when the send failed for a reason worth another try
(the mail server unreachable), never after the message went out."""

import logging
import smtplib
from datetime import timedelta

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from kameng.orders.models import Order
from kameng.orders.states import Status
from kameng.storefront.models import Checkout
from kameng.storefront.services import buyer_cards

log = logging.getLogger(__name__)

DELIVERED = (Status.DELIVERED, Status.COMPLETED, Status.DISPUTED)
# The sweep leaves a just-delivered order to its own task, and gives up after a day.
SWEEP_AFTER = timedelta(minutes=2)
SWEEP_UNTIL = timedelta(days=1)


def send_delivery_email(order_id: int) -> bool:
    """Email the delivered order to its buyer; False when there is nothing to send (not
    an email contact, not delivered, already sent) or the address was refused."""
    now = timezone.now()
    claimed = Checkout.objects.filter(
        order_id=order_id,
        contact_kind=Checkout.ContactKind.EMAIL,
        emailed_at__isnull=True,
        order__status__in=DELIVERED,
    ).update(emailed_at=now)
    if not claimed:
        return False
    checkout = Checkout.objects.select_related(
        "storefront", "order__sku__product", "order__agent"
    ).get(order_id=order_id)
    try:
        delivery_message(checkout).send()
    except smtplib.SMTPRecipientsRefused:
        # No other try would do better: the address is wrong. Kept as tried.
        log.warning("the mail server refused the buyer's address of order %s", order_id)
        return False
    except BaseException:
        Checkout.objects.filter(order_id=order_id, emailed_at=now).update(emailed_at=None)
        raise
    return True


def delivery_message(checkout: Checkout) -> EmailMultiAlternatives:
    order: Order = checkout.order
    context = {
        "shop": checkout.storefront.name,
        "order_no": order.order_no,
        "goods": f"{order.sku.product.name} {order.sku.name}",
        "quantity": order.quantity,
        "amount": order.amount,
        "account": order.recharge_account,
        "cards": buyer_cards(order),
        "created_at": timezone.localtime(order.created_at).strftime("%Y-%m-%d %H:%M"),
    }
    subject = f"【{checkout.storefront.name}】订单 {order.order_no} 已发货"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("storefront/email/delivered.txt", context),
        to=[checkout.contact],
    )
    message.attach_alternative(
        render_to_string("storefront/email/delivered.html", context), "text/html"
    )
    return message


def unsent() -> list[int]:
    """Orders delivered to an email contact between a day and two minutes ago whose
    email has not gone out."""
    now = timezone.now()
    return list(
        Checkout.objects.filter(
            contact_kind=Checkout.ContactKind.EMAIL,
            emailed_at__isnull=True,
            order__status__in=DELIVERED,
            order__delivered_at__gte=now - SWEEP_UNTIL,
            order__delivered_at__lte=now - SWEEP_AFTER,
        )
        .order_by("pk")
        .values_list("order_id", flat=True)[:500]
    )
