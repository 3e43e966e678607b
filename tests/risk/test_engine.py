"""The engine: features as the contract defines them, the model's reason, decisions
by thresholds."""

from dataclasses import dataclass

from kameng.risk import engine
from kameng.risk.rules import RuleSpec
from kameng.risk.store import replay_store
from kameng.risk.verdicts import ALLOW, BLOCK, FEATURE_NAMES, REVIEW
from tests.risk.conftest import facts


def scenario(*specs: RuleSpec, review: int = 50, block: int = 100) -> engine.CompiledScenario:
    return engine.CompiledScenario.build(3, review, block, [s.validated() for s in specs])


def big(weight: int, code: str = "big") -> RuleSpec:
    return RuleSpec(code, "feature", {"feature": "amount", "min": 100}, weight)


def test_features_are_the_contracts():
    store = replay_store()
    s = scenario()
    engine.evaluate(
        facts(0, ip="ip", contact="a", recharge_account="r1", device_id="d"), s, store, None
    )
    verdict = engine.evaluate(
        facts(
            60,
            ip="ip",
            contact="a",
            recharge_account="r2",
            device_id="d",
            coupon="VIP",
            amount="60.00",
        ),
        s,
        store,
        None,
    )
    f = verdict.features
    assert tuple(f) == FEATURE_NAMES
    assert f["ip_orders_10m"] == 2 and f["device_orders_10m"] == 2
    assert f["contact_accounts_24h"] == 2 and f["device_accounts_24h"] == 2
    assert f["amount_vs_contact"] == 2.0  # 60 against 30
    assert f["contact_new"] == 1.0 and f["coupon_new_contact"] == 1.0
    assert f["new_contacts_ip_10m"] == 1.0
    assert f["hour"] == 20.0  # 12:01 UTC is 20:01 in Shanghai
    assert verdict.scenario_version == 3 and verdict.model_version == ""


def test_thresholds_decide():
    store = replay_store()
    assert engine.evaluate(facts(0, amount="10"), scenario(big(60)), store, None).decision == ALLOW
    assert (
        engine.evaluate(facts(0, amount="100"), scenario(big(60)), store, None).decision == REVIEW
    )
    both = scenario(big(60), big(40, "big2"))
    verdict = engine.evaluate(facts(0, amount="100"), both, store, None)
    assert (verdict.decision, verdict.score, len(verdict.reasons)) == (BLOCK, 100, 2)


def test_inactive_rules_do_not_fire():
    off = RuleSpec("big", "feature", {"feature": "amount", "min": 1}, 100, active=False)
    assert engine.evaluate(facts(0), scenario(off), replay_store(), None).reasons == ()


@dataclass
class FakeModel:
    version: str = "m7"
    threshold: float = 0.9
    weight: int = 50
    anomaly: float = 0.95

    def score(self, features):
        assert tuple(features) == FEATURE_NAMES
        return self.anomaly


def test_the_model_adds_its_weight_and_names_its_version():
    verdict = engine.evaluate(facts(0), scenario(), replay_store(), FakeModel())
    assert (verdict.decision, verdict.score, verdict.model_version) == (REVIEW, 50, "m7")
    assert verdict.reasons[0].rule == "model"
    calm = engine.evaluate(facts(0), scenario(), replay_store(), FakeModel(anomaly=0.5))
    assert (calm.decision, calm.score, calm.reasons, calm.model_version) == (ALLOW, 0, (), "m7")
