"""Celery tasks: thin wrappers, each safe to run twice (the services check state)."""

from celery import shared_task

from kameng.topup import services


@shared_task
def submit_attempt(attempt_id: int) -> None:
    services.submit(attempt_id)


@shared_task
def query_attempt(attempt_id: int) -> None:
    services.query(attempt_id)


@shared_task
def poll_open_attempts() -> int:
    return services.poll_due()
