"""Rules as data: what kinds of rule exist, which parameters each takes, how a rule is
checked against an order's counts and features, and the default scenario.

A rule is a `RuleSpec` (stored as a `Rule` row of a scenario version): a kind from
`KINDS`, its parameters, and either a weight (action "score": points added to the
order's score) or a hard action ("review" / "block": the decision is at least that,
whatever the score). Every kind takes the optional parameter `channels` (a list of
channels the rule applies to; empty = every channel): the open API's bulk buyers are
agents with prepaid balances, not anonymous end users, and most velocity rules make no
sense for them.

The engine (kameng.risk.engine) asks each compiled rule which counts it needs
(`Need`), fetches them from the velocity store in the same round trip as the order's
own counting, and calls `check`.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from kameng.errors import InvalidInput
from kameng.risk.verdicts import CHANNELS, FEATURE_NAMES

SCORE, REVIEW, BLOCK = "score", "review", "block"
ACTIONS = (SCORE, REVIEW, BLOCK)

# Windows are seconds, from a minute to a day (the store keeps a day of history).
WINDOW_MIN, WINDOW_MAX = 60, 86400
# A contact first seen less than this long ago is "new" (features contact_new, the
# coupon rule's fresh contacts).
NEW_CONTACT_AGE = 86400

# What a count is kept per: the velocity store keeps, for every order, one event per
# subject (orders per IP...), the distinct values of one subject seen per another
# (recharge accounts per contact...), new contacts per subject and coupon uses by new
# contacts per subject. Failed payments are counted per subject by payment_failed().
ORDER_SUBJECTS = ("ip", "device", "contact", "account")
DISTINCT_PAIRS = (
    ("ip", "contact"),
    ("ip", "device"),
    ("ip", "account"),
    ("device", "contact"),
    ("device", "account"),
    ("contact", "account"),
    ("contact", "device"),
)
NEW_CONTACT_SUBJECTS = ("ip", "device", "seller")
COUPON_SUBJECTS = ("ip", "device")
FAILED_SUBJECTS = ("ip", "device", "contact")

SUBJECT_LABELS = {
    "ip": "IP",
    "device": "设备",
    "contact": "联系方式",
    "account": "充值账号",
    "seller": "代理",
}


def window_text(seconds: int) -> str:
    """600 → "10 分钟", 3600 → "1 小时", 86400 → "24 小时"."""
    if seconds % 3600 == 0:
        return f"{seconds // 3600} 小时"
    if seconds % 60 == 0:
        return f"{seconds // 60} 分钟"
    return f"{seconds} 秒"


class Need(NamedTuple):
    """A count the rule needs: `set` names the velocity set (e.g. "v:ip" orders per IP,
    "d:contact:account" distinct accounts per contact, "n:ip" new contacts per IP,
    "c:ip" coupon uses by new contacts per IP, "f:ip" failed payments per IP), counted
    over the last `window` seconds. A tuple: it keys several dicts per order, and a
    tuple hashes in C."""

    set: str
    window: int


# The seller's orders in the last 10 minutes (the seller-pattern rule, its feature).
SELLER_10M = Need("v:seller", 600)


@dataclass(frozen=True)
class Observation:
    """What the engine knows about the order when rules are checked."""

    features: dict[str, float]  # FEATURE_NAMES, in order
    counts: Mapping[Need, int]
    seller_history: int  # orders the seller's profile has seen before this one
    contact_history: int  # orders this contact's profile has seen before this one
    seller_usual_10m: float  # the seller's usual orders per 10 minutes


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # "int" | "float" | "choice"
    label: str
    choices: tuple[str, ...] = ()
    low: float = 0
    high: float = 1e12


def _window(label: str = "时间窗口（秒）") -> Param:
    return Param("window", "int", label, low=WINDOW_MIN, high=WINDOW_MAX)


def _threshold(label: str = "阈值（≥ 即命中）") -> Param:
    return Param("threshold", "int", label, low=1, high=100000)


@dataclass(frozen=True)
class Kind:
    name: str
    label: str  # what the kind means, for the rule editor
    params: tuple[Param, ...]
    needs: Callable[[dict], tuple[Need, ...]]
    # (params, observation) → what was seen, e.g. "23 单 / 10 分钟", or None (not fired)
    check: Callable[[dict, Observation], str | None]


def _count_check(unit: str) -> Callable[[dict, Observation], str | None]:
    def check(params: dict, obs: Observation) -> str | None:
        seen = obs.counts.get(params["_need"], 0)
        if seen >= params["threshold"]:
            return f"{seen} {unit} / {window_text(params['window'])}"
        return None

    return check


def _set_of(params: dict) -> str:
    return params["_set"]


def _count_needs(params: dict) -> tuple[Need, ...]:
    return (Need(_set_of(params), params["window"]),)


def _amount_check(params: dict, obs: Observation) -> str | None:
    of = params["of"]
    history = obs.seller_history if of == "seller" else obs.contact_history
    ratio = obs.features["amount_vs_seller" if of == "seller" else "amount_vs_contact"]
    if history < params["min_history"] or obs.features["amount"] < params["min_amount"]:
        return None
    if ratio >= params["ratio"]:
        return f"{obs.features['amount']:.2f} 元，为平时的 {ratio:.1f} 倍"
    return None


def _fresh_amount_check(params: dict, obs: Observation) -> str | None:
    if not obs.features["contact_new"] or obs.seller_history < params["min_history"]:
        return None
    ratio = obs.features["amount_vs_seller"]
    if obs.features["amount"] >= params["min_amount"] and ratio >= params["ratio"]:
        return f"新联系方式，{obs.features['amount']:.2f} 元，为该代理平时的 {ratio:.1f} 倍"
    return None


def _seller_check(params: dict, obs: Observation) -> str | None:
    seen = obs.counts.get(SELLER_10M, 0)
    if obs.seller_history < params["min_history"] or seen < params["min_orders"]:
        return None
    ratio = obs.features["seller_orders_10m_vs_usual"]
    if ratio >= params["ratio"]:
        return f"10 分钟 {seen} 单，平时约 {obs.seller_usual_10m:.1f} 单"
    return None


def _feature_check(params: dict, obs: Observation) -> str | None:
    value = obs.features.get(params["feature"], 0.0)
    if value >= params["min"]:
        return f"{params['feature']} = {value:g}"
    return None


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "velocity",
            "同一 IP / 设备 / 联系方式 / 充值账号在时间窗口内的下单数",
            (
                Param("per", "choice", "按", choices=ORDER_SUBJECTS),
                _window(),
                _threshold("订单数（≥ 即命中）"),
            ),
            _count_needs,
            _count_check("单"),
        ),
        Kind(
            "distinct",
            "同一联系方式 / 设备 / IP 在时间窗口内使用的不同充值账号、联系方式或设备数",
            (
                Param("per", "choice", "按", choices=tuple(sorted({p for p, _ in DISTINCT_PAIRS}))),
                Param(
                    "of", "choice", "统计", choices=tuple(sorted({o for _, o in DISTINCT_PAIRS}))
                ),
                _window(),
                _threshold("不同值个数（≥ 即命中）"),
            ),
            _count_needs,
            _count_check("个"),
        ),
        Kind(
            "amount_profile",
            "金额远高于代理或买家（联系方式）自己的平时金额",
            (
                Param("of", "choice", "对比", choices=("seller", "contact")),
                Param("ratio", "float", "倍数（≥ 即命中）", low=1, high=10000),
                Param("min_history", "int", "至少已有订单数", low=1, high=100000),
                Param("min_amount", "float", "最低金额（元）", low=0, high=1e9),
            ),
            lambda params: (),
            _amount_check,
        ),
        Kind(
            "fresh_amount",
            "新联系方式（24 小时内首次出现）下大额订单：金额远高于该代理的平时金额",
            (
                Param("ratio", "float", "倍数（≥ 即命中）", low=1, high=10000),
                Param("min_history", "int", "代理至少已有订单数", low=1, high=100000),
                Param("min_amount", "float", "最低金额（元）", low=0, high=1e9),
            ),
            lambda params: (),
            _fresh_amount_check,
        ),
        Kind(
            "new_contacts",
            "同一 IP / 设备 / 代理在时间窗口内出现的新联系方式数（首次出现）",
            (
                Param("per", "choice", "按", choices=NEW_CONTACT_SUBJECTS),
                _window(),
                _threshold("新联系方式数（≥ 即命中）"),
            ),
            _count_needs,
            _count_check("个新联系方式"),
        ),
        Kind(
            "coupon_new_contacts",
            "优惠券被新联系方式（24 小时内首次出现）使用：同一 IP / 设备在时间窗口内的新联系方式数",
            (
                Param("per", "choice", "按", choices=COUPON_SUBJECTS),
                _window(),
                _threshold("新联系方式数（≥ 即命中）"),
            ),
            _count_needs,
            _count_check("个新联系方式用券"),
        ),
        Kind(
            "failed_payments",
            "同一 IP / 设备 / 联系方式在时间窗口内的支付失败次数",
            (
                Param("per", "choice", "按", choices=FAILED_SUBJECTS),
                _window(),
                _threshold("失败次数（≥ 即命中）"),
            ),
            _count_needs,
            _count_check("次支付失败"),
        ),
        Kind(
            "seller_pattern",
            "代理最近 10 分钟的订单数远超其平时水平",
            (
                Param("ratio", "float", "倍数（≥ 即命中）", low=1, high=100000),
                Param("min_orders", "int", "10 分钟内至少订单数", low=1, high=100000),
                Param("min_history", "int", "之前 24 小时至少订单数", low=0, high=10000000),
            ),
            lambda params: (SELLER_10M,),
            _seller_check,
        ),
        Kind(
            "feature",
            "任一特征值达到下限",
            (
                Param("feature", "choice", "特征", choices=FEATURE_NAMES),
                Param("min", "float", "下限（≥ 即命中）", low=-1e12, high=1e12),
            ),
            lambda params: (),
            _feature_check,
        ),
    )
}

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class RuleSpec:
    """One rule as the operator edits it (and as `Rule` rows store it)."""

    code: str
    kind: str
    params: dict = field(default_factory=dict)
    weight: int = 0
    action: str = SCORE
    active: bool = True
    label: str = ""

    def validated(self) -> "RuleSpec":
        """This rule with its parameters checked and normalised (ints, floats, known
        names only), or InvalidInput saying which field is wrong and why."""
        code = str(self.code or "").strip()
        if not CODE_RE.match(code):
            raise InvalidInput(
                f"rule code {code!r}: 1–64 of a-z, 0-9, _ and -, starting with a letter or digit",
                field="code",
            )
        kind = KINDS.get(self.kind)
        if kind is None:
            raise InvalidInput(
                f"rule {code}: unknown kind {self.kind!r} (one of {', '.join(KINDS)})",
                field="kind",
            )
        if self.action not in ACTIONS:
            raise InvalidInput(
                f"rule {code}: action must be one of {', '.join(ACTIONS)}", field="action"
            )
        if isinstance(self.weight, bool) or not isinstance(self.weight, int):
            raise InvalidInput(f"rule {code}: weight must be a whole number", field="weight")
        if not 0 <= self.weight <= 1000:
            raise InvalidInput(f"rule {code}: weight must be 0–1000", field="weight")
        if not isinstance(self.params, Mapping):
            raise InvalidInput(f"rule {code}: params must be an object", field="params")
        params = _check_params(code, kind, dict(self.params))
        label = str(self.label or "").strip()[:200] or kind.label
        return RuleSpec(code, kind.name, params, self.weight, self.action, bool(self.active), label)


def _check_params(code: str, kind: Kind, raw: dict) -> dict:
    known = {p.name for p in kind.params} | {"channels"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InvalidInput(
            f"rule {code}: unknown parameter {unknown[0]!r} for kind {kind.name}"
            f" (takes {', '.join(sorted(known))})",
            field=f"params.{unknown[0]}",
        )
    params: dict[str, Any] = {}
    for param in kind.params:
        if param.name not in raw or raw[param.name] in ("", None):
            raise InvalidInput(
                f"rule {code}: parameter {param.name!r} is required", field=f"params.{param.name}"
            )
        params[param.name] = _check_value(code, param, raw[param.name])
    channels = raw.get("channels") or []
    if isinstance(channels, str):
        channels = [c.strip() for c in channels.split(",") if c.strip()]
    if not isinstance(channels, list) or any(c not in CHANNELS for c in channels):
        raise InvalidInput(
            f"rule {code}: channels must be a list of {', '.join(CHANNELS)}",
            field="params.channels",
        )
    if channels:
        params["channels"] = sorted(set(channels), key=CHANNELS.index)
    if kind.name == "distinct" and (params["per"], params["of"]) not in DISTINCT_PAIRS:
        pairs = ", ".join(f"{p}/{o}" for p, o in DISTINCT_PAIRS)
        raise InvalidInput(
            f"rule {code}: distinct {params['of']} per {params['per']} is not counted"
            f" (per/of one of {pairs})",
            field="params.of",
        )
    return params


def _check_value(code: str, param: Param, value: object) -> object:
    where = f"params.{param.name}"
    if param.kind == "choice":
        if value not in param.choices:
            raise InvalidInput(
                f"rule {code}: {param.name} must be one of {', '.join(param.choices)}", field=where
            )
        return value
    try:
        number = float(value) if param.kind == "float" else _whole(value)
    except (TypeError, ValueError):
        what = "a number" if param.kind == "float" else "a whole number"
        raise InvalidInput(f"rule {code}: {param.name} must be {what}", field=where) from None
    if number != number or not param.low <= number <= param.high:  # NaN, or out of range
        raise InvalidInput(
            f"rule {code}: {param.name} must be between {param.low:g} and {param.high:g}",
            field=where,
        )
    return number


def _whole(value: object) -> int:
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise ValueError


def check_rules(specs: list[RuleSpec]) -> list[RuleSpec]:
    """Each rule validated; codes unique."""
    checked = [RuleSpec(**vars(spec)).validated() for spec in specs]
    seen: set[str] = set()
    for spec in checked:
        if spec.code in seen:
            raise InvalidInput(f"rule code {spec.code!r} appears twice", field="code")
        seen.add(spec.code)
    return checked


@dataclass(frozen=True)
class CompiledRule:
    spec: RuleSpec
    needs: tuple[Need, ...]
    channels: frozenset[str]
    # The spec's parameters with what checking needs at hand: "_set" (the velocity set)
    # and, for counting kinds, "_need" (the count): built once, not per order.
    params: dict
    kind_check: Callable[[dict, Observation], str | None]

    def check(self, obs: Observation) -> str | None:
        """What was seen if the rule fires, else None (its channels are the engine's)."""
        return self.kind_check(self.params, obs)


def _velocity_set(spec: RuleSpec) -> str:
    params = spec.params
    match spec.kind:
        case "velocity":
            return f"v:{params['per']}"
        case "distinct":
            return f"d:{params['per']}:{params['of']}"
        case "new_contacts":
            return f"n:{params['per']}"
        case "coupon_new_contacts":
            return f"c:{params['per']}"
        case "failed_payments":
            return f"f:{params['per']}"
    return ""


def compile_rule(spec: RuleSpec) -> CompiledRule:
    kind = KINDS[spec.kind]
    params = spec.params | {"_set": _velocity_set(spec)}
    needs = kind.needs(params)
    if "window" in params and params["_set"]:
        params["_need"] = Need(params["_set"], params["window"])
    channels = frozenset(spec.params.get("channels", ()))
    return CompiledRule(spec, needs, channels, params, kind.check)


# The default scenario (version 1, created by migration 0002; tuned on `kameng risk
# simulate` traffic, see the README). Thresholds: score ≥ REVIEW → review, ≥ BLOCK → block.
DEFAULT_REVIEW_THRESHOLD = 60
DEFAULT_BLOCK_THRESHOLD = 120
SHOP = ["storefront"]


def _r(
    code: str, label: str, kind: str, weight: int, action: str = SCORE, **params: object
) -> RuleSpec:
    return RuleSpec(code=code, kind=kind, params=params, weight=weight, action=action, label=label)


DEFAULT_RULES: tuple[RuleSpec, ...] = (
    _r(
        "ip_orders_10m",
        "同一 IP 10 分钟内下单过多",
        "velocity",
        40,
        per="ip",
        window=600,
        threshold=20,
        channels=SHOP,
    ),
    _r(
        "ip_orders_1h",
        "同一 IP 1 小时内下单过多",
        "velocity",
        40,
        per="ip",
        window=3600,
        threshold=60,
        channels=SHOP,
    ),
    _r(
        "ip_flood",
        "同一 IP 1 小时内下单数百单",
        "velocity",
        0,
        BLOCK,
        per="ip",
        window=3600,
        threshold=150,
        channels=SHOP,
    ),
    _r(
        "ip_devices_10m",
        "同一 IP 10 分钟内出现大量不同设备（不保留 Cookie 的脚本）",
        "distinct",
        60,
        per="ip",
        of="device",
        window=600,
        threshold=12,
        channels=SHOP,
    ),
    _r(
        "device_orders_1h",
        "同一设备 1 小时内下单过多",
        "velocity",
        30,
        per="device",
        window=3600,
        threshold=5,
    ),
    _r(
        "device_orders_6h",
        "同一设备 6 小时内下单过多",
        "velocity",
        30,
        per="device",
        window=21600,
        threshold=8,
    ),
    _r(
        "contact_orders_1h",
        "同一联系方式 1 小时内下单过多",
        "velocity",
        60,
        per="contact",
        window=3600,
        threshold=4,
    ),
    _r(
        "contact_orders_6h",
        "同一联系方式 6 小时内下单过多",
        "velocity",
        30,
        per="contact",
        window=21600,
        threshold=8,
    ),
    _r(
        "account_orders_1h",
        "同一充值账号 1 小时内充值过多",
        "velocity",
        30,
        per="account",
        window=3600,
        threshold=6,
    ),
    _r(
        "contact_accounts_1h",
        "同一联系方式 1 小时内为 3 个以上充值账号下单",
        "distinct",
        60,
        per="contact",
        of="account",
        window=3600,
        threshold=3,
    ),
    _r(
        "contact_accounts_24h",
        "同一联系方式 24 小时内为多个充值账号下单",
        "distinct",
        60,
        per="contact",
        of="account",
        window=86400,
        threshold=4,
    ),
    _r(
        "device_accounts_24h",
        "同一设备 24 小时内为多个充值账号下单",
        "distinct",
        30,
        per="device",
        of="account",
        window=86400,
        threshold=6,
    ),
    _r(
        "amount_vs_contact",
        "金额远高于该买家平时的金额",
        "amount_profile",
        30,
        of="contact",
        ratio=5,
        min_history=3,
        min_amount=100,
    ),
    _r(
        "amount_vs_seller",
        "金额远高于该代理平时的订单金额",
        "amount_profile",
        10,
        of="seller",
        ratio=8,
        min_history=50,
        min_amount=200,
    ),
    _r(
        "fresh_amount",
        "新联系方式下大额订单",
        "fresh_amount",
        40,
        ratio=10,
        min_history=50,
        min_amount=1500,
    ),
    _r(
        "new_contacts_ip_10m",
        "同一 IP 10 分钟内出现多个新联系方式",
        "new_contacts",
        30,
        per="ip",
        window=600,
        threshold=6,
    ),
    _r(
        "new_contacts_device_1h",
        "同一设备 1 小时内出现多个新联系方式",
        "new_contacts",
        60,
        per="device",
        window=3600,
        threshold=3,
    ),
    _r(
        "coupon_fresh_ip_1h",
        "同一 IP 1 小时内多个新联系方式使用优惠券",
        "coupon_new_contacts",
        60,
        per="ip",
        window=3600,
        threshold=3,
    ),
    _r(
        "coupon_fresh_device_24h",
        "同一设备 24 小时内多个新联系方式使用优惠券",
        "coupon_new_contacts",
        60,
        per="device",
        window=86400,
        threshold=2,
    ),
    _r(
        "failed_payments_ip_1h",
        "同一 IP 1 小时内多次支付失败",
        "failed_payments",
        30,
        per="ip",
        window=3600,
        threshold=3,
    ),
    _r(
        "failed_payments_device_1h",
        "同一设备 1 小时内多次支付失败",
        "failed_payments",
        60,
        per="device",
        window=3600,
        threshold=3,
    ),
    _r(
        "seller_burst",
        "代理 10 分钟订单数远超平时",
        "seller_pattern",
        60,
        ratio=12,
        min_orders=6,
        min_history=30,
        channels=SHOP,  # a distributor's own bulk buying (API, CLI) is not its shop's sales
    ),
)
