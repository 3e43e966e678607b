"""The state machine of one top-up attempt at one supplier.

    pending ──► submitted ──► succeeded
       │  ╲        │
       │   ╲       └────────► failed
       ▼    ╲
    unknown ─┴──► succeeded / failed / submitted

`pending`: written before the request leaves, so a crash mid-call is found and
queried. `unknown`: the supplier did not answer in time or answered something we
cannot trust; the top-up may have happened, so only a query (or a signed callback)
decides. A final state never moves again: late and duplicate reports are ignored.
"""

from django.db import models


class AttemptStatus(models.TextChoices):
    PENDING = "pending", "待提交"
    SUBMITTED = "submitted", "处理中"
    UNKNOWN = "unknown", "结果未知"
    SUCCEEDED = "succeeded", "成功"
    FAILED = "failed", "失败"


TRANSITIONS: dict[str, frozenset[str]] = {
    AttemptStatus.PENDING: frozenset(
        {
            AttemptStatus.SUBMITTED,
            AttemptStatus.UNKNOWN,
            AttemptStatus.SUCCEEDED,
            AttemptStatus.FAILED,
        }
    ),
    AttemptStatus.UNKNOWN: frozenset(
        {AttemptStatus.SUBMITTED, AttemptStatus.SUCCEEDED, AttemptStatus.FAILED}
    ),
    AttemptStatus.SUBMITTED: frozenset({AttemptStatus.SUCCEEDED, AttemptStatus.FAILED}),
    AttemptStatus.SUCCEEDED: frozenset(),
    AttemptStatus.FAILED: frozenset(),
}

OPEN = frozenset({AttemptStatus.PENDING, AttemptStatus.SUBMITTED, AttemptStatus.UNKNOWN})
FINAL = frozenset({AttemptStatus.SUCCEEDED, AttemptStatus.FAILED})


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS[current]
