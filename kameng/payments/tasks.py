"""Celery tasks: thin wrappers, each safe to run twice (the services check state)."""

from celery import shared_task
from django.utils import timezone

from kameng.payments import services
from kameng.payments.models import Payment, Refund


@shared_task
def poll_unpaid() -> int:
    """Periodic (every 5 s): query the unpaid payments that are due, and send again the
    refunds whose next try is due."""
    now = timezone.now()
    return services.poll_unpaid(now) + services.resend_due_refunds(now)


@shared_task
def check_payment(payment_id: int) -> None:
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is not None:
        services.check_payment(payment)


@shared_task
def send_refund(refund_id: int) -> None:
    refund = Refund.objects.filter(pk=refund_id).first()
    if refund is not None:
        services.send_refund(refund)
