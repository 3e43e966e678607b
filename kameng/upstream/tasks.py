from celery import shared_task

from kameng.upstream import services


@shared_task
def refresh_remote_offers() -> int:
    """Periodic: stock and cost of every API supplier's offers, from the supplier."""
    return services.refresh_remote_offers()
