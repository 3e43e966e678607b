from celery import shared_task

from kameng.orders import services


@shared_task
def release_due_escrow() -> int:
    """Periodic: auto-confirm orders whose confirmation window has passed."""
    return services.release_due_escrow()
