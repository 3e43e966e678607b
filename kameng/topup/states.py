"""The state machine of one top-up attempt at one supplier.

    pending ──► submitted ──► succeeded / failed
       │            │
       ▼            ▼
    unknown ───► escalated ──► succeeded / failed

Any open state (pending, submitted, unknown) may also end at once (succeeded / failed)
or be escalated; pending and unknown become submitted once the supplier accepts.

`pending`: written before the request leaves, so a crash mid-call is found and
queried. `unknown`: the supplier did not answer in time or answered something we
cannot trust; the top-up may have happened, so only a query (or a signed callback)
decides. `escalated` (待人工处理): open for longer than
KAMENG_TOPUP_ESCALATE_AFTER_SECONDS; the operator decides (query again, mark
delivered, fail and refund), while a late callback or query may still settle it.
A final state never moves again: late and duplicate reports are ignored.
"""

from django.db import models


class AttemptStatus(models.TextChoices):
    PENDING = "pending", "待提交"
    SUBMITTED = "submitted", "处理中"
    UNKNOWN = "unknown", "结果未知"
    ESCALATED = "escalated", "待人工处理"
    SUCCEEDED = "succeeded", "成功"
    FAILED = "failed", "失败"


TRANSITIONS: dict[str, frozenset[str]] = {
    AttemptStatus.PENDING: frozenset(
        {
            AttemptStatus.SUBMITTED,
            AttemptStatus.UNKNOWN,
            AttemptStatus.ESCALATED,
            AttemptStatus.SUCCEEDED,
            AttemptStatus.FAILED,
        }
    ),
    AttemptStatus.UNKNOWN: frozenset(
        {
            AttemptStatus.SUBMITTED,
            AttemptStatus.ESCALATED,
            AttemptStatus.SUCCEEDED,
            AttemptStatus.FAILED,
        }
    ),
    AttemptStatus.SUBMITTED: frozenset(
        {AttemptStatus.ESCALATED, AttemptStatus.SUCCEEDED, AttemptStatus.FAILED}
    ),
    AttemptStatus.ESCALATED: frozenset({AttemptStatus.SUCCEEDED, AttemptStatus.FAILED}),
    AttemptStatus.SUCCEEDED: frozenset(),
    AttemptStatus.FAILED: frozenset(),
}

# Still handled by Kameng on its own (submitted, queried, resubmitted).
OPEN = frozenset({AttemptStatus.PENDING, AttemptStatus.SUBMITTED, AttemptStatus.UNKNOWN})
# Not decided yet: the open ones and those waiting for the operator. Still queried.
UNSETTLED = OPEN | {AttemptStatus.ESCALATED}
FINAL = frozenset({AttemptStatus.SUCCEEDED, AttemptStatus.FAILED})


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS[current]
