"""score / record / label / publish through the database, as the order services use them."""

import pytest
from django.db import transaction

from kameng.errors import InvalidInput, NotFound
from kameng.risk import services
from kameng.risk.models import Assessment, Scenario
from kameng.risk.rules import DEFAULT_RULES, RuleSpec
from kameng.risk.verdicts import ALLOW, REVIEW, Origin
from tests.risk.conftest import facts

pytestmark = pytest.mark.django_db


def test_migration_made_version_one_active():
    scenario = services.current_scenario()
    assert (scenario.version, scenario.active) == (1, True)
    assert [r.code for r in scenario.rules.all()] == [s.code for s in DEFAULT_RULES]


def test_a_quiet_order_is_allowed_and_counted():
    verdict = services.score(facts(0, ip="1.1.1.1", contact="a@b.cn"))
    assert (verdict.decision, verdict.scenario_version) == (ALLOW, 1)
    again = services.score(facts(10, ip="1.1.1.1", contact="a@b.cn"))
    assert again.features["ip_orders_10m"] == 2


def test_publish_takes_effect_for_the_next_order():
    strict = RuleSpec("any_order", "feature", {"feature": "quantity", "min": 1}, 0, REVIEW)
    services.score(facts(0))  # the cache holds version 1
    published = services.publish_scenario(
        review_threshold=50, block_threshold=80, rules=[strict], by="op", note="strict"
    )
    assert published.version == 2
    assert list(Scenario.objects.filter(active=True).values_list("version", flat=True)) == [2]
    assert Scenario.objects.get(version=1).rules.count() == len(DEFAULT_RULES)  # kept
    verdict = services.score(facts(1))
    assert (verdict.decision, verdict.scenario_version) == (REVIEW, 2)
    assert services.current_scenario().created_by == "op"


def test_publish_refuses_bad_rules_and_changes_nothing():
    with pytest.raises(InvalidInput, match="window"):
        services.publish_scenario(
            review_threshold=50,
            block_threshold=80,
            rules=[RuleSpec("x", "velocity", {"per": "ip", "window": 1, "threshold": 3}, 10)],
            by="op",
        )
    with pytest.raises(InvalidInput, match="block threshold"):
        services.publish_scenario(review_threshold=80, block_threshold=50, rules=[], by="op")
    assert Scenario.objects.get(active=True).version == 1


def test_record_writes_one_row_in_the_callers_transaction():
    f = facts(0, ip="1.1.1.1", contact="a@b.cn", coupon="VIP")
    verdict = services.score(f)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.record(verdict, f, order_no="K1")
        assert Assessment.objects.filter(order_no="K1").count() == 1
        raise RuntimeError("the order failed")
    assert not Assessment.objects.exists()  # rolled back with the order
    with transaction.atomic():
        services.record(verdict, f, order_no="K2")
    row = Assessment.objects.get()
    assert (row.order_no, row.decision, row.scenario_version, row.coupon) == ("K2", ALLOW, 1, "VIP")
    assert row.feature_map == verdict.features
    assert str(row.amount) == "30.00"


def test_labels_are_kept_for_training():
    f = facts(0)
    services.record(services.score(f), f, order_no="K9")
    services.label("K9", "fraud", by="op", note="stolen card")
    row = Assessment.objects.get(order_no="K9")
    assert (row.label, row.labelled_by, row.label_note) == ("fraud", "op", "stolen card")
    assert row.labelled_at is not None
    with pytest.raises(InvalidInput):
        services.label("K9", "maybe", by="op")
    with pytest.raises(NotFound):
        services.label("nope", "normal", by="op")


def test_failed_payments_count(velocity):
    origin = Origin(channel="storefront", ip="6.6.6.6", device_id="dev")
    for i in range(3):
        services.payment_failed(origin, facts(i).at, velocity=velocity)
    verdict = services.score(facts(10, ip="6.6.6.6", device_id="dev"), velocity=velocity)
    assert verdict.features["failed_payments_ip_1h"] == 3
    assert {"failed_payments_ip_1h", "failed_payments_device_1h"} <= {
        r.rule for r in verdict.reasons
    }


def test_disabled_scoring_allows_and_counts_nothing(settings, velocity):
    settings.KAMENG_RISK_ENABLED = False
    verdict = services.score(facts(0, ip="1.1.1.1"), velocity=velocity)
    assert (verdict.decision, verdict.reasons) == (ALLOW, ())
    services.payment_failed(
        Origin(channel="storefront", ip="1.1.1.1"), facts(0).at, velocity=velocity
    )
    assert len(velocity) == 0


def test_an_unreachable_redis_allows_with_a_reason(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    verdict = services.score(facts(0, ip="1.1.1.1"))
    assert verdict.decision == ALLOW
    assert verdict.reasons[0].rule == "store_unavailable"
