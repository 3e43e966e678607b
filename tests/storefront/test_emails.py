"""A delivered order's codes go to the buyer's email once, after the commit."""

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.storefront import emails, services, tasks
from kameng.storefront.models import Checkout
from tests.storefront.conftest import buy

DELIVERY_TASK = "kameng.storefront.tasks.send_delivery_email"


def _pay(order: Order, ref: str = "pay-1") -> Order:
    orders.record_payment(order_no=order.order_no, amount=order.amount, payment_ref=ref)
    return Order.objects.get(pk=order.pk)


@pytest.mark.django_db
def test_the_codes_are_emailed_once(world, shop, django_capture_on_commit_callbacks):
    order = buy(shop, world.sku, quantity=2, contact="Buyer@Example.com")
    with django_capture_on_commit_callbacks() as queued:
        order = _pay(order)
    assert len(queued) == 1  # sent once the payment has committed, not before
    codes = services.buyer_cards(order)

    assert tasks.send_delivery_email(order.pk) is True
    assert tasks.send_delivery_email(order.pk) is False  # never twice
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["buyer@example.com"]
    assert order.order_no in message.subject and shop.name in message.subject
    html, content_type = message.alternatives[0]
    assert content_type == "text/html"
    for code, secret in codes:
        assert code in message.body and secret in message.body
        assert code in html and secret in html
    assert order.sku.product.name in message.body and "已发货" in message.body
    checkout = Checkout.objects.get(order=order)
    assert checkout.emailed_at is not None
    # The sweep leaves it alone too.
    assert emails.unsent() == []


@pytest.mark.django_db
def test_no_email_for_a_phone_contact_or_before_delivery(
    world, shop, django_capture_on_commit_callbacks
):
    by_phone = buy(shop, world.sku, contact="13800138000")
    unpaid = buy(shop, world.sku)
    with django_capture_on_commit_callbacks() as queued:
        _pay(by_phone)
    assert queued == []
    assert tasks.send_delivery_email(by_phone.pk) is False
    assert tasks.send_delivery_email(unpaid.pk) is False
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_failed_send_is_tried_again_and_sent_once(world, shop, settings, monkeypatch):
    order = _pay(buy(shop, world.sku))

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("the mail server is down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    with pytest.raises(ConnectionRefusedError):
        emails.send_delivery_email(order.pk)
    assert Checkout.objects.get(order=order).emailed_at is None  # free to try again
    monkeypatch.undo()
    Order.objects.filter(pk=order.pk).update(delivered_at=timezone.now() - timedelta(minutes=5))
    assert emails.unsent() == [order.pk]
    assert emails.send_delivery_email(order.pk) is True
    assert len(mail.outbox) == 1


def test_the_worker_emails_the_codes_after_payment(worker, world, shop):
    order = buy(shop, world.sku, contact="buyer@example.com")
    order = _pay(order)
    deadline = time.monotonic() + 10
    while not mail.outbox and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(mail.outbox) == 1
    ((code, secret),) = services.buyer_cards(order)
    assert code in mail.outbox[0].body
    assert secret in mail.outbox[0].body
    time.sleep(0.3)
    assert len(mail.outbox) == 1
