import logging

from celery import shared_task

from kameng.ledger import services

log = logging.getLogger(__name__)


@shared_task
def reconcile() -> int:
    """Periodic: prove the books still balance; every problem is logged as an error."""
    problems = services.verify()
    for problem in problems:
        log.error("ledger: %s", problem)
    return len(problems)
