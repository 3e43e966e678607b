"""Celery tasks: thin wrappers, each safe to run twice (a try is claimed first)."""

from celery import shared_task

from kameng.webhooks import services


@shared_task
def deliver(delivery_id: int) -> None:
    services.try_delivery(delivery_id)


@shared_task
def poll_due_deliveries() -> int:
    return services.poll_due()
