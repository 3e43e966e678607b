"""`kameng risk replay FILE`: score a file of orders with the current rules and model,
without placing them (backtesting a rule change), and the same walk for training and
benchmarks (`features`, `run`).

Input: JSON lines, one order each:
    {"ts": ISO 8601, "order_no", "channel": "storefront" | "api", "seller", "sku_id",
     "quantity", "amount": "12.50", "ip", "device_id", "contact", "recharge_account",
     "coupon", "label": "fraud" | "normal" (optional)}
Fields other than ts, channel, seller and amount may be empty strings (or absent).
A line {"ts", "payment_failed": true, "ip", "device_id", "contact"} is a failed
storefront payment (what live scoring learns from `services.payment_failed`): it is
counted, not scored, and prints nothing. Blank lines are skipped.

Output: one JSON line per order, {"order_no", "decision", "score", "reasons"}, then one
summary line {"summary": {"orders", "allow", "review", "block", "labelled", and with
labels "precision", "recall", "f1" of "review or block" against "fraud"}}.

The lines are taken in time order (stably sorted by ts) through a velocity store of the
replay's own whose clock is the lines' ts, so the decisions are the ones live scoring
would have given on that traffic.
"""

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from kameng.errors import InvalidInput
from kameng.risk import engine, services
from kameng.risk.store import LocalStore, replay_store
from kameng.risk.verdicts import (
    API,
    BLOCK,
    DECISIONS,
    REVIEW,
    STOREFRONT,
    OrderFacts,
    Origin,
    Verdict,
)

LABELS = ("fraud", "normal")
ORIGIN_FIELDS = ("ip", "device_id", "contact", "recharge_account", "coupon")


class ReplayError(InvalidInput):
    """A line of the file is not an order (or a failed payment): names the line."""

    code = "bad_replay_line"
    title = "回放文件有误"

    def __init__(self, line_no: int, problem: str) -> None:
        super().__init__(f"line {line_no}: {problem}", line=line_no)
        self.line_no = line_no


@dataclass(frozen=True)
class Line:
    line_no: int
    at: datetime
    facts: OrderFacts | None  # None: a failed payment
    origin: Origin
    label: str  # "", "fraud" or "normal"


@dataclass
class Result:
    verdicts: list[tuple[Line, Verdict]] = field(default_factory=list)

    @property
    def counts(self) -> Counter:
        return Counter(verdict.decision for _, verdict in self.verdicts)

    def quality(self) -> dict | None:
        """Precision, recall and F1 of review-or-block against fraud, over labelled
        orders; None without labels."""
        labelled = [(line.label, v.decision) for line, v in self.verdicts if line.label]
        if not labelled:
            return None
        flagged = [(label, decision in (REVIEW, BLOCK)) for label, decision in labelled]
        tp = sum(1 for label, hit in flagged if hit and label == "fraud")
        fp = sum(1 for label, hit in flagged if hit and label != "fraud")
        fn = sum(1 for label, hit in flagged if not hit and label == "fraud")
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {
            "labelled": len(labelled),
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
        }

    def summary(self) -> dict:
        counts = self.counts
        summary: dict = {"orders": len(self.verdicts)}
        summary.update({decision: counts.get(decision, 0) for decision in DECISIONS})
        quality = self.quality()
        summary.update(quality or {"labelled": 0})
        return summary


def output_line(line: Line, verdict: Verdict) -> str:
    data = {
        "order_no": line.facts.order_no if line.facts else "",
        "decision": verdict.decision,
        "score": verdict.score,
        "reasons": [reason.as_dict() for reason in verdict.reasons],
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def summary_line(result: Result) -> str:
    return json.dumps({"summary": result.summary()}, separators=(",", ":"))


def parse(lines: Iterable[str]) -> list[Line]:
    """Every order and failed payment of the file, in time order (stable), or
    ReplayError naming the first bad line."""
    parsed = []
    for line_no, text in enumerate(lines, start=1):
        if text.strip():
            parsed.append(parse_line(line_no, text))
    parsed.sort(key=lambda line: line.at)
    return parsed


def parse_line(line_no: int, text: str) -> Line:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ReplayError(line_no, f"not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ReplayError(line_no, "not a JSON object")
    at = _timestamp(line_no, data.get("ts"))
    origin_values = {}
    for name in ORIGIN_FIELDS:
        value = data.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ReplayError(line_no, f"{name} must be a string")
        origin_values[name] = value.strip()
    if origin_values["coupon"]:
        origin_values["coupon"] = origin_values["coupon"].upper()
    if data.get("payment_failed") is True:
        origin = Origin(channel=STOREFRONT, **origin_values)
        return Line(line_no, at, None, origin, "")
    channel = data.get("channel")
    if channel not in (STOREFRONT, API):
        raise ReplayError(line_no, f"channel must be {STOREFRONT} or {API}, not {channel!r}")
    seller = data.get("seller")
    if not isinstance(seller, str) or not seller.strip():
        raise ReplayError(line_no, "seller (the agent's username) is missing")
    label = data.get("label", "") or ""
    if label not in ("", *LABELS):
        raise ReplayError(line_no, f"label must be fraud or normal, not {label!r}")
    order_no = data.get("order_no", "") or ""
    if not isinstance(order_no, str):
        raise ReplayError(line_no, "order_no must be a string")
    origin = Origin(channel=channel, **origin_values)
    facts = OrderFacts(
        origin=origin,
        seller_id=0,
        seller=seller.strip(),
        sku_id=_whole(line_no, data, "sku_id", 0),
        quantity=_whole(line_no, data, "quantity", 1),
        amount=_amount(line_no, data.get("amount")),
        at=at,
        order_no=order_no,
    )
    return Line(line_no, at, facts, origin, label)


def _timestamp(line_no: int, value: object) -> datetime:
    if not isinstance(value, str) or not value:
        raise ReplayError(line_no, "ts (ISO 8601 time) is missing")
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ReplayError(line_no, f"ts {value!r} is not an ISO 8601 time") from None
    if at.tzinfo is None:
        raise ReplayError(line_no, f"ts {value!r} has no time zone (add +08:00 or Z)")
    return at


def _whole(line_no: int, data: dict, name: str, default: int) -> int:
    value = data.get(name, "")
    if value in ("", None):
        return default
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ReplayError(line_no, f"{name} must be a whole number ≥ 0")
    return value


def _amount(line_no: int, value: object) -> Decimal:
    if not isinstance(value, str | int) or isinstance(value, bool) or value == "":
        raise ReplayError(line_no, 'amount must be a string of yuan, e.g. "12.50"')
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ReplayError(line_no, f"amount {value!r} is not a number of yuan") from None
    if not amount.is_finite() or amount < 0:
        raise ReplayError(line_no, f"amount {value!r} must be ≥ 0")
    return amount


def _source(source: Iterable[str] | str | Path) -> Iterable[str]:
    if isinstance(source, str | Path):
        with Path(source).open(encoding="utf-8") as fh:
            return fh.readlines()
    return source


def _scenario(scenario: engine.CompiledScenario | None) -> engine.CompiledScenario:
    return scenario if scenario is not None else services.compiled_scenario()


def walk(
    source: Iterable[str] | str | Path,
    *,
    scenario: engine.CompiledScenario | None = None,
    velocity: LocalStore | None = None,
) -> Iterator[tuple[Line, object]]:
    """(line, Observation) for each order in time order, failed payments counted on the
    way: features exactly as live scoring computes them."""
    scenario = _scenario(scenario)
    velocity = velocity if velocity is not None else replay_store()
    for line in parse(_source(source)):
        if line.facts is None:
            at, ops = engine.failed_payment_ops(line.origin, line.at)
            if ops:
                velocity.run(at, ops)
            continue
        yield line, engine.observe(line.facts, scenario, velocity)


def features(
    source: Iterable[str] | str | Path, *, scenario: engine.CompiledScenario | None = None
) -> Iterator[tuple[OrderFacts, dict[str, float], str]]:
    """(facts, features, label) for each order: the model's training rows."""
    for line, obs in walk(source, scenario=scenario):
        yield line.facts, dict(obs.features), line.label


def run(
    source: Iterable[str] | str | Path,
    *,
    rules: bool = True,
    model: bool | object = True,
    scenario: engine.CompiledScenario | None = None,
) -> Result:
    """Score every order of the file. `rules=False`: the model alone (no rule fires, the
    thresholds still decide); `model=False`: the rules alone; `model` may also be a
    loaded model to use instead of the active one."""
    scenario = _scenario(scenario)
    if not rules:
        scenario = scenario.without_rules()
    loaded = _model(model)
    result = Result()
    for line, obs in walk(source, scenario=scenario):
        result.verdicts.append((line, engine.decide(line.facts, scenario, obs, loaded)))
    return result


def _model(model: bool | object) -> object | None:
    if model is True:
        return services.current_model()
    if model is False or model is None:
        return None
    return model
