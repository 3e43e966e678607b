from celery import shared_task

from kameng.docking import services


@shared_task
def sync_connections() -> list[dict]:
    """Periodic: each docked site's catalogue, incremental (a full pass daily)."""
    return services.sync_all()


@shared_task
def reconcile() -> list[dict]:
    """Periodic: forwarded orders against each docked site's own records."""
    return services.reconcile_all()
