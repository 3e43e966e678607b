from celery import shared_task

from kameng.orders import services


@shared_task
def release_due_escrow() -> int:
    """Periodic: auto-confirm orders whose confirmation window has passed."""
    return services.release_due_escrow()


@shared_task
def expire_unpaid() -> int:
    """Periodic: close storefront orders whose payment window passed; codes back on sale."""
    return services.expire_unpaid()
