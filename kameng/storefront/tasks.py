"""Celery tasks: thin wrappers, each safe to run twice (the email is claimed first)."""

from celery import shared_task

from kameng.storefront import emails


@shared_task(autoretry_for=(OSError,), retry_backoff=30, retry_backoff_max=600, max_retries=6)
def send_delivery_email(order_id: int) -> bool:
    """The order's codes to the buyer's email, once (SMTP trouble: retried)."""
    return emails.send_delivery_email(order_id)


@shared_task
def send_unsent_emails() -> int:
    """Periodic: delivery emails whose task was never queued (the broker was down) or
    whose tries all failed, within a day of delivery."""
    due = emails.unsent()
    for order_id in due:
        send_delivery_email.delay(order_id)
    return len(due)
