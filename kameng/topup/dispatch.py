"""Opening attempts and queueing their work: used when an order is placed
(fulfilment.py) and when an attempt fails over (services.py)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from kameng.catalog.errors import OutOfStock
from kameng.catalog.models import Sku
from kameng.orders.models import Order
from kameng.topup.models import Attempt
from kameng.topup.routing import Route, routes
from kameng.topup.states import AttemptStatus


def first_route(sku: Sku, quantity: int, max_unit_cost) -> Route:
    """The supplier a new direct order goes to; none able → refused before money moves."""
    found = routes(sku.pk, quantity, max_unit_cost)
    if not found:
        raise OutOfStock(f"no supplier can top up SKU {sku.pk} now", sku_id=sku.pk)
    return found[0]


def query_delay(queries_so_far: int) -> float:
    """Seconds until the next status query: doubling, capped."""
    first = settings.KAMENG_TOPUP_QUERY_AFTER_SECONDS
    return min(first * 2**queries_so_far, settings.KAMENG_TOPUP_QUERY_MAX_SECONDS)


def open_attempt(order: Order, route: Route, number: int, now: datetime) -> Attempt:
    """Inside the caller's transaction: the attempt is written before any request
    leaves, and its submission is queued only once that transaction has committed."""
    attempt = Attempt.objects.create(
        order=order,
        supplier_id=route.supplier_id,
        number=number,
        request_id=f"{order.order_no}-{number}",
        remote_sku=route.remote_sku,
        cost=route.unit_cost * order.quantity,
        status=AttemptStatus.PENDING,
        created_at=now,
        next_query_at=now + timedelta(seconds=query_delay(0)),
    )
    transaction.on_commit(lambda: enqueue_submit(attempt.pk))
    return attempt


def enqueue_submit(attempt_id: int) -> None:
    from kameng.topup.tasks import submit_attempt

    submit_attempt.delay(attempt_id)


def enqueue_query(attempt_id: int, countdown: float) -> None:
    from kameng.topup.tasks import query_attempt

    query_attempt.apply_async((attempt_id,), countdown=countdown)
