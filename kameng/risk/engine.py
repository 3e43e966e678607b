"""Scoring one order: facts → one batch on the velocity store (the order is counted
and the counts read back in the same round trip) → features → rules → the model → a
decision. No database access here: the scenario comes in compiled (services caches it),
so replay and live scoring run exactly this code with different stores.
"""

import math
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from kameng.risk.rules import (
    BLOCK,
    COUPON_SUBJECTS,
    DISTINCT_PAIRS,
    FAILED_SUBJECTS,
    NEW_CONTACT_AGE,
    NEW_CONTACT_SUBJECTS,
    ORDER_SUBJECTS,
    REVIEW,
    SELLER_10M,
    WINDOW_MAX,
    CompiledRule,
    Need,
    Observation,
    RuleSpec,
    compile_rule,
)
from kameng.risk.store import Op, VelocityStore
from kameng.risk.verdicts import (
    ALLOW,
    API,
    CHANNELS,
    FEATURE_NAMES,
    STOREFRONT,
    OrderFacts,
    Origin,
    Reason,
    Verdict,
)

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
# Profiles are running means of log(1 + amount) (a geometric mean: one big order moves it
# little); each new amount weighs this much in the seller's, and in a contact's.
SELLER_ALPHA = 0.02
CONTACT_ALPHA = 0.2
PROFILE_TTL = 90 * 86400  # a profile untouched for 90 days is forgotten
FIRST_SEEN_TTL = 90 * 86400  # likewise a contact's first-seen time
FAILED_HORIZON = WINDOW_MAX
# The seller's usual 10 minutes: its orders in the 24 hours before the current hour ÷ 144,
# at least this much (a quiet seller's first orders of the day are not a burst).
USUAL_FLOOR = 0.5

# The counts behind FEATURE_NAMES.
FEATURE_NEEDS = {
    "ip_orders_10m": Need("v:ip", 600),
    "ip_orders_1h": Need("v:ip", 3600),
    "device_orders_10m": Need("v:device", 600),
    "contact_orders_1h": Need("v:contact", 3600),
    "account_orders_1h": Need("v:account", 3600),
    "contact_accounts_24h": Need("d:contact:account", 86400),
    "device_accounts_24h": Need("d:device:account", 86400),
    "ip_contacts_1h": Need("d:ip:contact", 3600),
    "new_contacts_ip_10m": Need("n:ip", 600),
    "failed_payments_ip_1h": Need("f:ip", 3600),
}


@dataclass(frozen=True)
class CompiledScenario:
    version: int
    review_threshold: int
    block_threshold: int
    rules: tuple[CompiledRule, ...]
    needs: tuple[Need, ...]  # every count the features and the rules need, once each
    # Worked out once, not per order: each channel's rules, each count's subject.
    by_channel: dict[str, tuple[CompiledRule, ...]]
    subject_of: dict[Need, str]

    @classmethod
    def build(
        cls, version: int, review_threshold: int, block_threshold: int, specs: list[RuleSpec]
    ) -> "CompiledScenario":
        rules = tuple(compile_rule(spec) for spec in specs if spec.active)
        needs = dict.fromkeys([*FEATURE_NEEDS.values(), SELLER_10M])
        for rule in rules:
            needs.update(dict.fromkeys(rule.needs))
        by_channel = {
            channel: tuple(rule for rule in rules if not rule.channels or channel in rule.channels)
            for channel in CHANNELS
        }
        subject_of = {need: need.set.split(":")[1] for need in needs}
        return cls(
            version, review_threshold, block_threshold, rules, tuple(needs), by_channel, subject_of
        )

    def without_rules(self) -> "CompiledScenario":
        """The same counts and thresholds with no rule (replay's "model alone")."""
        return replace(self, rules=(), by_channel=dict.fromkeys(CHANNELS, ()))


def subjects(origin: Origin, seller_key: str) -> dict[str, str]:
    """The values counts are kept per ("" = unknown: nothing is counted for it)."""
    return {
        "ip": origin.ip,
        "device": origin.device_id,
        "contact": origin.contact.strip().lower(),
        "account": origin.recharge_account.strip(),
        "seller": seller_key,
    }


def seller_key(facts: OrderFacts) -> str:
    """A seller's shop sales and its own buying (API, console, CLI: its prepaid balance)
    are two patterns, counted and profiled apart."""
    who = str(facts.seller_id) if facts.seller_id else f"@{facts.seller}"
    return who if facts.origin.channel == STOREFRONT else f"{who}/own"


def _key(set_name: str, value: str) -> str:
    return f"rk:{set_name}:{value}"


def plan(facts: OrderFacts, scenario: CompiledScenario) -> tuple[float, list[Op], dict]:
    """The batch that counts this order and reads back what scoring needs: (at, ops,
    where each answer is: name → index into the results)."""
    at = facts.at.timestamp()
    values = subjects(facts.origin, seller_key(facts))
    token = facts.request_key or facts.order_no or secrets.token_hex(6)
    ops: list[Op] = []
    where: dict = {}
    contact = values["contact"]
    first_ref = -1
    if contact:
        first_ref = len(ops)
        where["first"] = first_ref
        ops.append(("first", _key("first", contact), FIRST_SEEN_TTL))
    for subject in (*ORDER_SUBJECTS, "seller"):
        if values[subject]:
            ops.append(("event", _key(f"v:{subject}", values[subject]), token, WINDOW_MAX, -1, 0))
    for per, of in DISTINCT_PAIRS:
        if values[per] and values[of]:
            ops.append(("event", _key(f"d:{per}:{of}", values[per]), values[of], WINDOW_MAX, -1, 0))
    if contact:
        for subject in NEW_CONTACT_SUBJECTS:
            if values[subject]:
                key = _key(f"n:{subject}", values[subject])
                ops.append(("mark", key, contact, NEW_CONTACT_AGE, first_ref))
        if facts.origin.coupon:
            for subject in COUPON_SUBJECTS:
                if values[subject]:
                    key = _key(f"c:{subject}", values[subject])
                    ops.append(("event", key, contact, WINDOW_MAX, first_ref, NEW_CONTACT_AGE))
    level = math.log1p(float(facts.amount))
    where["seller_profile"] = len(ops)
    ops.append(("profile", _key("p:seller", values["seller"]), level, SELLER_ALPHA, PROFILE_TTL))
    if contact:
        where["contact_profile"] = len(ops)
        ops.append(("profile", _key("p:contact", contact), level, CONTACT_ALPHA, PROFILE_TTL))
    hour_slot = int(at // 3600)
    where["seller_day"] = len(ops)
    ops.append(("buckets", _key("h:seller", values["seller"]), hour_slot - 24, hour_slot - 1))
    ops.append(("bucket", _key("h:seller", values["seller"]), hour_slot, 26 * 3600))
    subject_of = scenario.subject_of
    for need in scenario.needs:
        subject = subject_of[need]
        if values.get(subject):
            where[need] = len(ops)
            ops.append(("count", _key(need.set, values[subject]), at - need.window + 1e-6))
    return at, ops, where


def failed_payment_ops(origin: Origin, at: datetime) -> tuple[float, list[Op]]:
    """The batch that counts a failed payment against its IP, device and contact."""
    values = subjects(origin, "")
    ts = at.timestamp()
    token = secrets.token_hex(6)
    ops = [
        ("event", _key(f"f:{subject}", values[subject]), token, FAILED_HORIZON, -1, 0)
        for subject in FAILED_SUBJECTS
        if values[subject]
    ]
    return ts, ops


def observe(facts: OrderFacts, scenario: CompiledScenario, store: VelocityStore) -> Observation:
    """Count the order and compute its features (FEATURE_NAMES, in order)."""
    at, ops, where = plan(facts, scenario)
    results = store.run(at, ops)
    counts = {need: int(results[i] or 0) for need, i in where.items() if isinstance(need, Need)}
    amount = float(facts.amount)
    seller_mean, seller_n = results[where["seller_profile"]]
    contact_mean, contact_n = (
        results[where["contact_profile"]] if "contact_profile" in where else (0.0, 0)
    )
    first = results[where["first"]] if "first" in where else None
    contact_new = first is not None and at - first < NEW_CONTACT_AGE
    usual = max((results[where["seller_day"]] or 0) / 144, USUAL_FLOOR)
    coupon = bool(facts.origin.coupon)
    features = dict.fromkeys(FEATURE_NAMES, 0.0)  # in FEATURE_NAMES' order
    for name, need in FEATURE_NEEDS.items():
        if need in counts:
            features[name] = float(counts[need])
    features.update(
        amount=amount,
        quantity=float(facts.quantity),
        amount_vs_seller=_ratio(amount, seller_mean, seller_n),
        amount_vs_contact=_ratio(amount, contact_mean, contact_n),
        seller_orders_10m_vs_usual=round(counts.get(SELLER_10M, 0) / usual, 4),
        contact_new=1.0 if contact_new else 0.0,
        coupon_used=1.0 if coupon else 0.0,
        coupon_new_contact=1.0 if coupon and contact_new else 0.0,
        hour=float(facts.at.astimezone(LOCAL_TZ).hour),
        channel_api=1.0 if facts.origin.channel == API else 0.0,
    )
    return Observation(
        features=features,
        counts=counts,
        seller_history=seller_n,
        contact_history=contact_n,
        seller_usual_10m=usual,
    )


def _ratio(amount: float, mean: float, n: int) -> float:
    """amount ÷ the profile's usual amount (its geometric mean); 1.0 with no history."""
    usual = math.expm1(mean)
    if n == 0 or usual <= 0:
        return 1.0
    value = amount / usual
    return round(value, 4) if math.isfinite(value) else 1.0


def decide(
    facts: OrderFacts, scenario: CompiledScenario, obs: Observation, model: object | None
) -> Verdict:
    """Rules, then the model, then thresholds and hard actions."""
    reasons: list[Reason] = []
    hard = ALLOW
    for rule in scenario.by_channel[facts.origin.channel]:
        seen = rule.check(obs)
        if seen is None:
            continue
        spec = rule.spec
        reasons.append(Reason(spec.code, spec.label, spec.weight, spec.action, seen))
        if spec.action == BLOCK or (spec.action == REVIEW and hard == ALLOW):
            hard = spec.action
    model_version = ""
    if model is not None:
        model_version = model.version
        anomaly = float(model.score(dict(obs.features)))
        if anomaly >= model.threshold:
            reasons.append(
                Reason("model", "异常检测模型", int(model.weight), "score", f"异常分 {anomaly:.2f}")
            )
    score = sum(reason.weight for reason in reasons)
    if hard == BLOCK or score >= scenario.block_threshold:
        decision = BLOCK
    elif hard == REVIEW or score >= scenario.review_threshold:
        decision = REVIEW
    else:
        decision = ALLOW
    return Verdict(
        decision=decision,
        score=score,
        reasons=tuple(reasons),
        scenario_version=scenario.version,
        model_version=model_version,
        features=obs.features,  # not changed after: kept as scored
    )


def evaluate(
    facts: OrderFacts, scenario: CompiledScenario, store: VelocityStore, model: object | None
) -> Verdict:
    return decide(facts, scenario, observe(facts, scenario, store), model)
