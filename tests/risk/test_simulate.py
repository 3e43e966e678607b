"""`kameng risk simulate`: seeded, labelled, in the replay format, with the honest edge
cases and every attack; the default rules separate them."""

import json
from collections import Counter

import pytest
from django.core.management import call_command

from kameng.risk import replay, simulate

pytestmark = pytest.mark.django_db


def test_same_seed_same_file(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    call_command("risk", "simulate", "--seed", "3", "--orders", "500", "--out", str(a))
    call_command("risk", "simulate", "--seed", "3", "--orders", "500", "--out", str(b))
    assert a.read_bytes() == b.read_bytes()
    lines = [json.loads(x) for x in a.read_text().splitlines()]
    orders = [x for x in lines if "order_no" in x]
    assert len(orders) == 500
    assert [x["ts"] for x in lines] == sorted(x["ts"] for x in lines)
    replay.parse(a.read_text().splitlines())  # every line is valid replay input


def test_traffic_has_every_case_and_a_realistic_fraud_share():
    lines = simulate.simulate(seed=11, orders=8000, days=7)
    orders = [x for x in lines if "order_no" in x]
    kinds = Counter(x["kind"] for x in orders)
    for kind in (
        "home",
        "mobile",
        "cafe",
        "campus",
        "bot",
        "stolen_accounts",
        "card_testing",
        "ip_flood",
        "account_cycling",
        "seller_burst",
        "coupon_farming",
        "brushing",
    ):
        assert kinds[kind] > 0, kind
    fraud = sum(1 for x in orders if x["label"] == "fraud")
    assert 0.05 <= fraud / len(orders) <= 0.10
    cafe = [x for x in orders if x["kind"] == "cafe"]
    assert len({x["ip"] for x in cafe}) == 1 and len({x["contact"] for x in cafe}) >= 40
    assert any(x.get("payment_failed") for x in lines)
    bot = [x for x in orders if x["kind"] == "bot"]
    assert {x["channel"] for x in bot} == {"api"} and {x["contact"] for x in bot} == {""}
    days = Counter(x["ts"][:10] for x in orders if x["label"] == "normal")
    assert max(days.values()) >= 3 * min(days.values())  # the holiday


def test_default_rules_on_a_held_out_seed(tmp_path):
    path = tmp_path / "held_out.jsonl"
    simulate.write(path, simulate.simulate(seed=7, orders=8000, days=7))
    result = replay.run(str(path), model=False)
    quality = result.quality()
    assert quality["precision"] >= 0.9
    assert quality["recall"] >= 0.85
    kinds = {
        json.loads(x)["order_no"]: json.loads(x)["kind"]
        for x in path.read_text().splitlines()
        if "order_no" in x
    }
    cafe = [v.decision for line, v in result.verdicts if kinds[line.facts.order_no] == "cafe"]
    assert cafe.count("allow") / len(cafe) >= 0.97
