"""Each default rule fires at its threshold and not one below; bad rules are refused
with a message naming the field."""

import pytest

from kameng.errors import InvalidInput
from kameng.risk import engine
from kameng.risk.rules import DEFAULT_RULES, RuleSpec, check_rules
from kameng.risk.store import LocalStore, replay_store
from kameng.risk.verdicts import ALLOW, BLOCK, REVIEW
from tests.risk.conftest import facts


def only(code: str) -> engine.CompiledScenario:
    """A scenario of one default rule, review at 1 point (hard actions decide alone)."""
    specs = [spec for spec in check_rules(list(DEFAULT_RULES)) if spec.code == code]
    assert specs, code
    return engine.CompiledScenario.build(1, 1, 10000, specs)


def fired(code: str, orders, *, failed=()) -> list[bool]:
    """For each order in turn: did `code` fire on it?"""
    scenario = only(code)
    store = replay_store()
    for origin, at in failed:
        ts, ops = engine.failed_payment_ops(origin, at)
        store.run(ts, ops)
    return [
        any(r.rule == code for r in engine.evaluate(f, scenario, store, None).reasons)
        for f in orders
    ]


def spec(code: str) -> RuleSpec:
    return next(s for s in DEFAULT_RULES if s.code == code)


@pytest.mark.parametrize(
    ("code", "subject"),
    [
        ("ip_orders_10m", "ip"),
        ("ip_orders_1h", "ip"),
        ("device_orders_1h", "device_id"),
        ("device_orders_6h", "device_id"),
        ("contact_orders_1h", "contact"),
        ("contact_orders_6h", "contact"),
        ("account_orders_1h", "recharge_account"),
    ],
)
def test_velocity_rules_fire_at_their_threshold(code, subject):
    params = spec(code).params
    n, window = params["threshold"], params["window"]
    step = (window - 60) / n  # all inside the window
    orders = [facts(i * step, **{subject: "same"}) for i in range(n)]
    assert fired(code, orders) == [False] * (n - 1) + [True]


def test_velocity_window_slides():
    params = spec("contact_orders_1h").params
    n = params["threshold"]
    # n orders, but the first one leaves the hour before the last one arrives
    gap = params["window"] // (n - 1) + 1
    orders = [facts(i * gap, contact="c@x.cn") for i in range(n)]
    assert fired("contact_orders_1h", orders)[-1] is False


def test_ip_flood_blocks_outright():
    n = spec("ip_flood").params["threshold"]
    scenario = engine.CompiledScenario.build(1, 1000, 2000, [spec("ip_flood").validated()])
    store = replay_store()
    decisions = [
        engine.evaluate(facts(i * 20, ip="1.2.3.4"), scenario, store, None).decision
        for i in range(n)
    ]
    assert decisions[: n - 1] == [ALLOW] * (n - 1)
    assert decisions[-1] == BLOCK


def test_ip_rules_leave_the_open_api_alone():
    n = spec("ip_orders_10m").params["threshold"]
    orders = [facts(i, ip="9.9.9.9", channel="api") for i in range(n + 5)]
    assert not any(fired("ip_orders_10m", orders))


@pytest.mark.parametrize(
    ("code", "per", "of"),
    [
        ("contact_accounts_1h", "contact", "recharge_account"),
        ("contact_accounts_24h", "contact", "recharge_account"),
        ("device_accounts_24h", "device_id", "recharge_account"),
        ("ip_devices_10m", "ip", "device_id"),
    ],
)
def test_distinct_rules_fire_at_their_threshold(code, per, of):
    params = spec(code).params
    n = params["threshold"]
    step = (params["window"] - 60) / (n + 1)
    # a repeat of a value seen before does not count twice
    orders = [facts(0, **{per: "p", of: "v0"}), facts(step / 2, **{per: "p", of: "v0"})]
    orders += [facts((i + 1) * step, **{per: "p", of: f"v{i + 1}"}) for i in range(n - 1)]
    assert fired(code, orders) == [False] * n + [True]


def test_amount_far_above_the_buyers_own():
    params = spec("amount_vs_contact").params
    history = [facts(i * 86400, contact="c", amount="30.00") for i in range(params["min_history"])]
    just_below = facts(10 * 86400, contact="c", amount=f"{30 * params['ratio'] - 1:.2f}")
    at_ratio = facts(10 * 86400, contact="c", amount=f"{30 * params['ratio']:.2f}")
    assert fired("amount_vs_contact", [*history, just_below]) == [False] * len(history) + [False]
    assert fired("amount_vs_contact", [*history, at_ratio])[-1] is True


def test_amount_rule_needs_history():
    params = spec("amount_vs_contact").params
    history = [facts(i * 86400, contact="c") for i in range(params["min_history"] - 1)]
    big = facts(10 * 86400, contact="c", amount="3000.00")
    assert fired("amount_vs_contact", [*history, big])[-1] is False


def test_amount_far_above_the_sellers_own():
    params = spec("amount_vs_seller").params
    history = [facts(i * 600, contact=f"c{i}") for i in range(params["min_history"])]
    big = facts(86400, contact="new", amount=f"{30 * params['ratio']:.2f}")
    below = facts(86400, contact="new", amount=f"{30 * params['ratio'] - 5:.2f}")
    assert fired("amount_vs_seller", [*history, big])[-1] is True
    assert fired("amount_vs_seller", [*history, below])[-1] is False


def test_fresh_contact_large_amount():
    params = spec("fresh_amount").params
    history = [facts(i * 600, contact=f"old{i}") for i in range(params["min_history"])]
    amount = f"{max(30 * params['ratio'], params['min_amount']):.2f}"
    new = facts(86400, contact="fresh", amount=amount)
    assert fired("fresh_amount", [*history, new])[-1] is True
    # the same amount from a contact first seen more than a day ago: not this rule
    old = [facts(0, contact="old0", amount="30.00")]
    assert (
        fired("fresh_amount", [*history, *old, facts(2 * 86400, contact="old0", amount=amount)])[-1]
        is False
    )


@pytest.mark.parametrize(
    ("code", "per"), [("new_contacts_ip_10m", "ip"), ("new_contacts_device_1h", "device_id")]
)
def test_new_contacts_burst(code, per):
    n = spec(code).params["threshold"]
    orders = [facts(i * 10, contact=f"fresh{i}", **{per: "x"}) for i in range(n)]
    assert fired(code, orders) == [False] * (n - 1) + [True]


def test_returning_contacts_are_not_new():
    n = spec("new_contacts_ip_10m").params["threshold"]
    old = [facts(0, contact=f"c{i}", ip="home") for i in range(n)]
    later = [facts(2 * 86400 + i, contact=f"c{i}", ip="cafe") for i in range(n)]
    assert not any(fired("new_contacts_ip_10m", [*old, *later])[n:])


@pytest.mark.parametrize(
    ("code", "per"), [("coupon_fresh_ip_1h", "ip"), ("coupon_fresh_device_24h", "device_id")]
)
def test_coupon_use_by_fresh_contacts(code, per):
    n = spec(code).params["threshold"]
    orders = [facts(i * 60, contact=f"f{i}", coupon="VIP", **{per: "x"}) for i in range(n)]
    assert fired(code, orders) == [False] * (n - 1) + [True]
    # the same contacts without a coupon: nothing
    plain = [facts(i * 60, contact=f"f{i}", **{per: "x"}) for i in range(n)]
    assert not any(fired(code, plain))


@pytest.mark.parametrize(
    ("code", "per"), [("failed_payments_ip_1h", "ip"), ("failed_payments_device_1h", "device_id")]
)
def test_failed_payment_bursts(code, per):
    from kameng.risk.verdicts import Origin

    n = spec(code).params["threshold"]
    origin = Origin(channel="storefront", **{per: "x"})
    fails = [(origin, facts(i * 60).at) for i in range(n)]
    order = facts(n * 60 + 1, **{per: "x"})
    assert fired(code, [order], failed=fails) == [True]
    assert fired(code, [order], failed=fails[1:]) == [False]


def test_seller_far_off_its_pattern():
    params = spec("seller_burst").params
    # a quiet shop: 48 orders over the day before (0.33 per 10 minutes, floored to 0.5)
    day = [facts(i * 1800, contact=f"c{i}") for i in range(48)]
    burst_start = 86400 + 3600
    burst = [facts(burst_start + i * 20, contact=f"b{i}") for i in range(params["min_orders"])]
    result = fired("seller_burst", [*day, *burst])
    assert result[-1] is True
    assert result[-2] is False  # min_orders not reached one order earlier
    assert not any(result[: len(day)])


def test_rule_validation_names_the_field():
    good = spec("ip_orders_10m")
    cases = {
        "kind": RuleSpec("x", "nope", {}, 10),
        "code": RuleSpec("Bad Code!", "velocity", dict(good.params), 10),
        "weight": RuleSpec("x", "velocity", dict(good.params), -1),
        "action": RuleSpec("x", "velocity", dict(good.params), 10, "explode"),
        "params.window": RuleSpec("x", "velocity", {**good.params, "window": 5}, 10),
        "params.threshold": RuleSpec("x", "velocity", {**good.params, "threshold": "many"}, 10),
        "params.per": RuleSpec("x", "velocity", {**good.params, "per": "planet"}, 10),
        "params.colour": RuleSpec("x", "velocity", {**good.params, "colour": 1}, 10),
        "params.channels": RuleSpec("x", "velocity", {**good.params, "channels": ["fax"]}, 10),
    }
    for field, bad in cases.items():
        with pytest.raises(InvalidInput) as caught:
            bad.validated()
        assert caught.value.details["field"] == field, (field, caught.value.message)
    with pytest.raises(InvalidInput, match="twice"):
        check_rules([good, good])


def test_default_rules_are_valid():
    assert len(check_rules(list(DEFAULT_RULES))) == len(DEFAULT_RULES)


def test_net_cafe_forty_honest_buyers_are_allowed():
    """40 regulars behind one IP, each with a contact and a device of their own, normal
    amounts, over an evening: all allowed by the default rules."""
    scenario = engine.CompiledScenario.build(1, 60, 120, check_rules(list(DEFAULT_RULES)))
    store = LocalStore()
    # they have bought before, from home, over the past weeks
    for i in range(40):
        engine.evaluate(
            facts(
                -20 * 86400 + i * 3600,
                ip=f"10.0.{i}.1",
                device_id=f"d{i}",
                contact=f"buyer{i}@qq.com",
            ),
            scenario,
            store,
            None,
        )
    verdicts = [
        engine.evaluate(
            facts(
                i * 180,
                ip="61.1.1.1",
                device_id=f"d{i}",
                contact=f"buyer{i}@qq.com",
                amount=f"{30 + (i % 5) * 10}.00",
                recharge_account=f"acct{i}",
            ),
            scenario,
            store,
            None,
        )
        for i in range(40)
    ]
    assert [v.decision for v in verdicts] == [ALLOW] * 40
    assert verdicts[-1].features["ip_contacts_1h"] == 20  # seen, just not suspicious


def test_hard_review_action():
    review = RuleSpec("big", "feature", {"feature": "amount", "min": 1000}, 0, REVIEW).validated()
    scenario = engine.CompiledScenario.build(1, 100, 200, [review])
    verdict = engine.evaluate(facts(0, amount="1000.00"), scenario, replay_store(), None)
    assert (verdict.decision, verdict.score) == (REVIEW, 0)
    assert verdict.reasons[0].observed == "amount = 1000"
