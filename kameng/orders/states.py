"""The order state machine: every legal transition, in one place.

    created ──► paid ──► delivering ──► delivered ──► completed
     │  │  ▲      │   └────────────────►   │   ▲
     │  ▼  │      │                        ▼   │
     │ expired    │                      disputed ──► refunded
     └► failed ◄──┴──── (delivering)
             └──────────────────────────────────────► refunded

Money: `paid` and later hold the amount in escrow; `completed` has split it along the
chain; `refunded` has returned it to the payer. `failed` before payment holds nothing.
A storefront order waits in `created` for its payment window; unpaid when it ends, it is
`expired` (已关闭) and its reserved codes go back to stock. A payment that arrives later
still pays it (`expired` → `paid`): delivered if the goods can still be had, else failed
and refunded, never lost.
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
    EXPIRED = "expired", "已关闭"


TRANSITIONS: dict[str, frozenset[str]] = {
    Status.CREATED: frozenset({Status.PAID, Status.FAILED, Status.EXPIRED}),
    Status.EXPIRED: frozenset({Status.PAID}),
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
# States in which an order waits for (or may still receive) a gateway payment.
AWAITING_PAYMENT = frozenset({Status.CREATED, Status.EXPIRED})


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS[current]
