"""The state machine of one webhook delivery (one status change, one callback URL).

    pending ──► delivered      (the distributor answered 2xx)
       │
       └──────► gave_up        (no 2xx after the last scheduled try)

While pending, each failed try schedules the next one further out. A manual re-send
is a new delivery; a finished one never moves again.
"""

from django.db import models


class DeliveryState(models.TextChoices):
    PENDING = "pending", "待送达"
    DELIVERED = "delivered", "已送达"
    GAVE_UP = "gave_up", "已放弃"


TRANSITIONS: dict[str, frozenset[str]] = {
    DeliveryState.PENDING: frozenset({DeliveryState.DELIVERED, DeliveryState.GAVE_UP}),
    DeliveryState.DELIVERED: frozenset(),
    DeliveryState.GAVE_UP: frozenset(),
}


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS[current]
