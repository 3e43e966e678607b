from decimal import Decimal

from kameng.topup.models import Attempt
from kameng.topup.states import AttemptStatus


def supplier_costs(order_id: int) -> list[tuple[int, Decimal]]:
    """(supplier payable account id, cost) of the supplier that delivered a direct order."""
    return list(
        Attempt.objects.filter(order_id=order_id, status=AttemptStatus.SUCCEEDED).values_list(
            "supplier__payable_id", "cost"
        )
    )
