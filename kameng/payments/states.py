"""The two state machines of payments: every legal transition, in one place.

Payment (one per storefront order, the gateway trade that pays it):

    pending ──► paid ──► refunded

`pending`: the buyer was sent to the gateway; notifies, queries or the operator may
still report the trade. `paid`: a trade (its trade_no) paid it; the order was paid
through orders.services.record_payment in the same transaction (or, for an order that
could no longer be paid, a Refund was opened). `refunded`: the gateway refunded that
trade. Nothing final moves backwards.

Refund (one per gateway trade given back):

    pending ──► succeeded
       │  ▲
       ▼  │ (an operator's retry)
      failed

`pending`: to be sent, or sent with an unknown outcome (asked again after a query).
`failed`: the gateway refused, or could not be reached for long: the operator looks and
may retry. `succeeded` is final.
"""

from django.db import models


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "待支付"
    PAID = "paid", "已支付"
    REFUNDED = "refunded", "已退款"


class RefundStatus(models.TextChoices):
    PENDING = "pending", "退款中"
    SUCCEEDED = "succeeded", "已退款"
    FAILED = "failed", "退款失败"


PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    PaymentStatus.PENDING: frozenset({PaymentStatus.PAID}),
    PaymentStatus.PAID: frozenset({PaymentStatus.REFUNDED}),
    PaymentStatus.REFUNDED: frozenset(),
}

REFUND_TRANSITIONS: dict[str, frozenset[str]] = {
    RefundStatus.PENDING: frozenset({RefundStatus.SUCCEEDED, RefundStatus.FAILED}),
    RefundStatus.FAILED: frozenset({RefundStatus.PENDING}),
    RefundStatus.SUCCEEDED: frozenset(),
}


def payment_can_move(current: str, target: str) -> bool:
    return target in PAYMENT_TRANSITIONS[current]


def refund_can_move(current: str, target: str) -> bool:
    return target in REFUND_TRANSITIONS[current]
