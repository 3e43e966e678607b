"""Risk control's services: score an order before money moves, record the assessment
with the order, keep operators' decisions as labels, publish new versions of the rules.

The active scenario is compiled once per process and kept: each score looks at the
database for the active version at most every RECHECK_SECONDS (so a version published
by another process takes effect within seconds), and `publish_scenario` drops this
process's copy at once (the next order here uses the new version).
"""

import logging
import threading
import time
from datetime import datetime

import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kameng import db
from kameng.errors import InvalidInput, NotFound
from kameng.risk import engine
from kameng.risk.model import current as current_model  # None: rules decide alone
from kameng.risk.models import Assessment, Rule, Scenario
from kameng.risk.rules import (
    DEFAULT_BLOCK_THRESHOLD,
    DEFAULT_REVIEW_THRESHOLD,
    DEFAULT_RULES,
    RuleSpec,
    check_rules,
)
from kameng.risk.store import VelocityStore, store
from kameng.risk.verdicts import ALLOW, OrderFacts, Origin, Reason, Verdict

log = logging.getLogger("kameng.risk")

RECHECK_SECONDS = 2.0
LABELS = ("fraud", "normal")


class _ScenarioCache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.compiled: engine.CompiledScenario | None = None
        self.checked = float("-inf")


_cache = _ScenarioCache()


def forget_scenario() -> None:
    """Drop this process's compiled scenario: the next score reads the active one."""
    with _cache.lock:
        _cache.compiled, _cache.checked = None, float("-inf")


def compiled_scenario() -> engine.CompiledScenario:
    """The active scenario, compiled, re-checked against the database every few seconds."""
    compiled = _cache.compiled
    if compiled is not None and time.monotonic() - _cache.checked < RECHECK_SECONDS:
        return compiled
    with _cache.lock:
        row = db.fetch_one("SELECT version FROM risk_scenario WHERE active = %s", [True])
        if row is None:
            # No scenario in the database (a flushed one: `kameng flush`, a test's
            # truncation): the built-in default rules decide, as version 0. Orders are
            # never left unscored nor refused for want of a configuration.
            if _cache.compiled is None or _cache.compiled.version != 0:
                _cache.compiled = engine.CompiledScenario.build(
                    0, DEFAULT_REVIEW_THRESHOLD, DEFAULT_BLOCK_THRESHOLD, list(DEFAULT_RULES)
                )
        elif _cache.compiled is None or _cache.compiled.version != row[0]:
            _cache.compiled = compile_scenario(Scenario.objects.get(version=row[0]))
        _cache.checked = time.monotonic()
        return _cache.compiled


def compile_scenario(scenario: Scenario) -> engine.CompiledScenario:
    return engine.CompiledScenario.build(
        scenario.version,
        scenario.review_threshold,
        scenario.block_threshold,
        [rule_spec(rule) for rule in scenario.rules.all()],
    )


def rule_spec(rule: Rule) -> RuleSpec:
    return RuleSpec(
        code=rule.code,
        kind=rule.kind,
        params=dict(rule.params),
        weight=rule.weight,
        action=rule.action,
        active=rule.active,
        label=rule.label,
    )


def score(facts: OrderFacts, *, velocity: VelocityStore | None = None) -> Verdict:
    """Count the order in the velocity store and decide. Writes no database row.

    With KAMENG_RISK_ENABLED off: allow, nothing counted. If the velocity store cannot
    be reached the order is allowed (scoring must not stop the shop) with a reason the
    operator sees, and the error is logged."""
    if not settings.KAMENG_RISK_ENABLED:
        return Verdict(decision=ALLOW, score=0, reasons=(), scenario_version=0, model_version="")
    scenario = compiled_scenario()
    model = current_model()
    try:
        return engine.evaluate(facts, scenario, velocity or store(), model)
    except redis.RedisError as exc:
        return _store_down(scenario, exc)


def _store_down(scenario: engine.CompiledScenario, exc: Exception) -> Verdict:
    log.error("risk velocity store unavailable, order allowed unscored: %s", exc)
    reason = Reason("store_unavailable", "风控计数服务不可用，未评分", 0, "score", str(exc)[:100])
    return Verdict(ALLOW, 0, (reason,), scenario.version, "")


def record(verdict: Verdict, facts: OrderFacts, *, order_no: str) -> None:
    """Store the assessment: one INSERT, in the caller's transaction (a blocked attempt's)."""
    db.insert(Assessment(**_assessment(verdict, facts, order_no)))


def record_statement(verdict: Verdict, facts: OrderFacts, *, order_no: str) -> tuple[str, list]:
    """The INSERT that stores the assessment, for the order's own INSERT statement to run
    (`db.insert(order, then=...)`): it commits with the order, at no round trip of its own."""
    return db.insert_statement(Assessment, _assessment(verdict, facts, order_no))


def _assessment(verdict: Verdict, facts: OrderFacts, order_no: str) -> dict:
    """The assessment's fields (the label's are left to their defaults)."""
    origin = facts.origin
    return {
        "order_no": order_no,
        "created_at": facts.at,
        "channel": origin.channel,
        "seller_id": facts.seller_id,
        "sku_id": facts.sku_id,
        "quantity": facts.quantity,
        "amount": facts.amount,
        "ip": origin.ip[:64],
        "device_id": origin.device_id[:64],
        "contact": origin.contact[:128],
        "recharge_account": origin.recharge_account[:128],
        "coupon": origin.coupon[:64],
        "decision": verdict.decision,
        "score": verdict.score,
        "reasons": [reason.as_dict() for reason in verdict.reasons],
        "features": list(verdict.features.values()),  # FEATURE_NAMES' order
        "scenario_version": verdict.scenario_version,
        "model_version": verdict.model_version,
    }


def label(order_no: str, label: str, *, by: str, note: str = "") -> None:
    """An operator's decision on a held order: "fraud" (rejected) or "normal" (approved).
    Kept on the order's assessment for the next training."""
    if label not in LABELS:
        raise InvalidInput(f"label must be one of {', '.join(LABELS)}")
    if not order_no:
        raise InvalidInput("say which order to label")
    changed = Assessment.objects.filter(order_no=order_no).update(
        label=label, labelled_by=by[:150], labelled_at=timezone.now(), label_note=note[:500]
    )
    if not changed:
        raise NotFound(f"no risk assessment for order {order_no}")


def payment_failed(origin: Origin, at: datetime, *, velocity: VelocityStore | None = None) -> None:
    """A storefront payment failed or was cancelled (the failed-payment burst rule)."""
    if not settings.KAMENG_RISK_ENABLED:
        return
    ts, ops = engine.failed_payment_ops(origin, at)
    if not ops:
        return
    try:
        (velocity or store()).run(ts, ops)
    except redis.RedisError as exc:
        log.error("risk velocity store unavailable, failed payment not counted: %s", exc)


def current_scenario() -> Scenario:
    """The active version with its rules (prefetched)."""
    scenario = Scenario.objects.filter(active=True).prefetch_related("rules").first()
    if scenario is None:
        raise NotFound("no active risk scenario (run `kameng migrate`)")
    return scenario


def publish_scenario(
    *,
    review_threshold: int,
    block_threshold: int,
    rules: list[RuleSpec],
    by: str,
    note: str = "",
) -> Scenario:
    """A NEW version with these rules becomes the active one; old versions are kept
    (each assessment names the version that decided it). Takes effect in this process
    for the next order, in others within RECHECK_SECONDS."""
    review, block = _threshold(review_threshold, "review"), _threshold(block_threshold, "block")
    if block < review:
        raise InvalidInput("the block threshold must not be below the review threshold")
    checked = check_rules(list(rules))
    with transaction.atomic():
        # Lock the active row: two publishers get consecutive versions, one at a time.
        active = Scenario.objects.select_for_update().filter(active=True).first()
        last = Scenario.objects.order_by("-version").values_list("version", flat=True).first()
        if active is not None:
            Scenario.objects.filter(pk=active.pk).update(active=False)
        scenario = Scenario.objects.create(
            version=(last or 0) + 1,
            active=True,
            review_threshold=review,
            block_threshold=block,
            note=note[:500],
            created_by=by[:150],
        )
        Rule.objects.bulk_create(
            Rule(
                scenario=scenario,
                code=spec.code,
                kind=spec.kind,
                params=spec.params,
                weight=spec.weight,
                action=spec.action,
                active=spec.active,
                label=spec.label,
                position=position,
            )
            for position, spec in enumerate(checked)
        )
        transaction.on_commit(forget_scenario)
    forget_scenario()
    return scenario


def _threshold(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100000:
        raise InvalidInput(f"the {what} threshold must be a whole number 1–100000")
    return value
