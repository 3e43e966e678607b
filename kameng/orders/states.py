"""The order state machine: every legal transition, in one place.

    created ──► paid ──────────► delivering ──► delivered ──► completed
     │  │  ▲     │ │ └─────────────────────────► ▲   │   ▲
     │  ▼  │     │ ▼                  ▲          │   ▼   │
     │ expired   │ review ─(approved)─┴──────────┘ disputed ──► refunded
     │           │   └─(rejected)─────────────────────────────► refunded
     └► failed ◄─┴──── (delivering, review)
             └────────────────────────────────────────────────► refunded

Money: `paid` and later hold the amount in escrow; `completed` has split it along the
chain; `refunded` has returned it to the payer. `failed` before payment holds nothing.
A storefront order waits in `created` for its payment window; unpaid when it ends, it is
`expired` (已关闭) and its reserved codes go back to stock. A payment that arrives later
still pays it (`expired` → `paid`): delivered if the goods can still be had, else failed
and refunded, never lost.

Risk control (kameng.risk) scores every order before money moves. An order it holds for
review is `paid` and then `review` (待审核): its money sits in escrow like any paid
order's, and nothing is delivered until an operator decides. Card codes stay reserved
for it (taken at placement, or at checkout for a storefront order), so approving it
delivers those very codes (`delivered`); a direct top-up is not started until the
operator approves (`delivering`). Rejected: `refunded`, the money back to the payer (the
prepaid balance; a storefront buyer through the gateway) and the reserved codes back on
sale. Approved but the goods can no longer be had (a top-up nobody can deliver now):
`failed`, then `refunded`, as for a paid order.
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
    REVIEW = "review", "待审核"  # held by risk control until an operator decides


TRANSITIONS: dict[str, frozenset[str]] = {
    Status.CREATED: frozenset({Status.PAID, Status.FAILED, Status.EXPIRED}),
    Status.EXPIRED: frozenset({Status.PAID}),
    Status.PAID: frozenset({Status.DELIVERING, Status.DELIVERED, Status.FAILED, Status.REVIEW}),
    Status.REVIEW: frozenset({Status.DELIVERED, Status.DELIVERING, Status.FAILED, Status.REFUNDED}),
    Status.DELIVERING: frozenset({Status.DELIVERED, Status.FAILED}),
    Status.DELIVERED: frozenset({Status.COMPLETED, Status.DISPUTED}),
    Status.DISPUTED: frozenset({Status.COMPLETED, Status.REFUNDED}),
    Status.FAILED: frozenset({Status.REFUNDED}),
    Status.COMPLETED: frozenset(),
    Status.REFUNDED: frozenset(),
}

# States in which the order's amount sits in escrow.
HOLDING_ESCROW = frozenset(
    {Status.PAID, Status.REVIEW, Status.DELIVERING, Status.DELIVERED, Status.DISPUTED}
)
# States in which an order waits for (or may still receive) a gateway payment.
AWAITING_PAYMENT = frozenset({Status.CREATED, Status.EXPIRED})


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS[current]
