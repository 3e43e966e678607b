from decimal import Decimal

from django.utils import timezone

from kameng.topup.models import Attempt, Resolution
from kameng.topup.states import UNSETTLED, AttemptStatus


def supplier_costs(order_id: int) -> list[tuple[int, Decimal]]:
    """(supplier payable account id, cost) of the supplier that delivered a direct order."""
    return list(
        Attempt.objects.filter(order_id=order_id, status=AttemptStatus.SUCCEEDED).values_list(
            "supplier__payable_id", "cost"
        )
    )


def undecided_attempts(*, escalated_only: bool = False, limit: int = 500) -> list[Attempt]:
    """Attempts not decided yet (escalated ones: waiting for the operator), oldest first."""
    statuses = [AttemptStatus.ESCALATED] if escalated_only else sorted(UNSETTLED)
    rows = Attempt.objects.filter(status__in=statuses).select_related("supplier", "order")
    return list(rows.order_by("created_at", "pk")[:limit])


def attempt_view(attempt: Attempt) -> dict:
    """An attempt as the operator sees it (CLI): enough to decide what to do with it."""
    return {
        "request_id": attempt.request_id,
        "order_no": attempt.order.order_no,
        "order_status": attempt.order.status,
        "account": attempt.order.recharge_account,
        "supplier": attempt.supplier.name,
        "status": attempt.status,
        "cost": str(attempt.cost),
        "sends": attempt.submits,
        "queries": attempt.queries,
        "open_seconds": round((timezone.now() - attempt.created_at).total_seconds()),
        "created_at": attempt.created_at.isoformat(),
        "message": attempt.message,
    }


def resolution_view(resolution: Resolution) -> dict:
    attempt = resolution.attempt
    return {
        "request_id": attempt.request_id,
        "order_no": attempt.order.order_no,
        "order_status": attempt.order.status,
        "action": resolution.action,
        "status_before": resolution.status_before,
        "status_after": resolution.status_after,
        "heard": resolution.heard or None,
        "detail": resolution.detail,
        "reason": resolution.reason,
        "operator": resolution.operator.get_username(),
        "at": resolution.at.isoformat(),
    }
