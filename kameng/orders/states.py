"""The order state machine: every legal transition, in one place.

    created ──► paid ──► delivering ──► delivered ──► completed
       │          │   └────────────────►   │   ▲
       │          │                        ▼   │
       └► failed ◄┴──── (delivering)     disputed ──► refunded
             └──────────────────────────────────────► refunded

Money: `paid` and later hold the amount in escrow; `completed` has split it along the
chain; `refunded` has returned it to the payer. `failed` before payment holds nothing.
"""

from django.db import models


class Status(models.TextChoices):
    CREATED = "created", "待支付"
    PAID = "paid", "已支付"
    DELIVERING = "delivering", "发货中"
    DELIVERED = "delivered", "已发货"
    COMPLETED = "completed", "已完成"
    FAILED = "failed", "失败"
    REFUNDED = "refunded", "已退款"
    DISPUTED = "disputed", "售后中"


TRANSITIONS: dict[str, frozenset[str]] = {
    Status.CREATED: frozenset({Status.PAID, Status.FAILED}),
    Status.PAID: frozenset({Status.DELIVERING, Status.DELIVERED, Status.FAILED}),
    Status.DELIVERING: frozenset({Status.DELIVERED, Status.FAILED}),
    Status.DELIVERED: frozenset({Status.COMPLETED, Status.DISPUTED}),
    Status.DISPUTED: frozenset({Status.COMPLETED, Status.REFUNDED}),
    Status.FAILED: frozenset({Status.REFUNDED}),
    Status.COMPLETED: frozenset(),
    Status.REFUNDED: frozenset(),
}

# States in which the order's amount sits in escrow.
HOLDING_ESCROW = frozenset({Status.PAID, Status.DELIVERING, Status.DELIVERED, Status.DISPUTED})


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS[current]
