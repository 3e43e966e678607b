"""Shared by the tests of risk control through the real order flows (test_flows_*.py,
tests/console/operator/test_risk.py): a clean risk state per test, and a scenario whose
rules fire by quantity alone, so that each decision path is chosen deterministically."""

import pytest
from django.conf import settings

from kameng.risk import services as risk
from kameng.risk.models import Assessment
from kameng.risk.rules import RuleSpec
from kameng.risk.store import RedisStore, forget_store, store

# Quantities that the tight scenario allows, holds for review, blocks.
ALLOWED, HELD, BLOCKED = 1, 2, 3


@pytest.fixture
def fresh_risk(db):
    """Counts from no earlier test, and no compiled scenario of an earlier test (its
    database rows were rolled back, this process's copy was not)."""
    _clean()
    yield
    _clean()


def _clean() -> None:
    risk.forget_scenario()
    forget_store()
    if settings.REDIS_URL and isinstance(store(), RedisStore):
        store().flush()


def tight_scenario(*, by: str = "test"):
    """A version whose only rules look at the quantity: 2 → review, 3 or more → block.
    Published as an operator would, through risk.services.publish_scenario."""
    return risk.publish_scenario(
        review_threshold=1000,
        block_threshold=2000,
        rules=[
            RuleSpec(
                code="two_held",
                kind="feature",
                params={"feature": "quantity", "min": HELD},
                weight=0,
                action="review",
                label="数量达到 2 件",
            ),
            RuleSpec(
                code="three_blocked",
                kind="feature",
                params={"feature": "quantity", "min": BLOCKED},
                weight=0,
                action="block",
                label="数量达到 3 件",
            ),
        ],
        by=by,
        note="tests: decisions by quantity",
    )


def assessment_of(order_no: str) -> Assessment:
    return Assessment.objects.get(order_no=order_no)


def blocked_attempts() -> list[Assessment]:
    return list(Assessment.objects.filter(order_no="", decision="block"))
