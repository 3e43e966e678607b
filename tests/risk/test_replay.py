"""`kameng risk replay`: the issue's format in and out, errors naming the line, and the
same decisions as live scoring."""

import json

import pytest
from django.core.management import CommandError, call_command

from kameng.risk import replay, services, simulate
from kameng.risk.rules import RuleSpec
from kameng.risk.store import LocalStore

pytestmark = pytest.mark.django_db

LINE = {
    "ts": "2025-03-03T12:00:00+08:00",
    "order_no": "A1",
    "channel": "storefront",
    "seller": "agent1",
    "sku_id": 3,
    "quantity": 1,
    "amount": "30.00",
    "ip": "1.2.3.4",
    "device_id": "",
    "contact": "a@b.cn",
    "recharge_account": "",
    "coupon": "",
}


def write(tmp_path, lines) -> str:
    path = tmp_path / "orders.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" if isinstance(x, dict) else x for x in lines))
    return str(path)


def test_output_format(tmp_path, capsys):
    services.publish_scenario(
        review_threshold=60,
        block_threshold=120,
        rules=[
            RuleSpec("busy", "velocity", {"per": "contact", "window": 3600, "threshold": 6}, 60)
        ],
        by="op",
    )
    lines = [
        {**LINE, "order_no": f"A{i}", "ts": f"2025-03-03T12:{i:02d}:00+08:00", "label": label}
        for i, label in enumerate(["normal"] * 3 + ["fraud"] * 2)
    ]
    # the fraud's contact is already busy: contact_orders_1h fires on the last two
    lines = [{**line, "contact": "x@y.cn"} if line["label"] == "fraud" else line for line in lines]
    busy = [
        {**LINE, "order_no": f"B{i}", "ts": f"2025-03-03T11:5{i}:00+08:00", "contact": "x@y.cn"}
        for i in range(5)
    ]
    call_command("risk", "replay", write(tmp_path, busy + lines))
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(out) == 11
    first = out[0]
    assert list(first) == ["order_no", "decision", "score", "reasons"]
    assert first == {"order_no": "B0", "decision": "allow", "score": 0, "reasons": []}
    last = out[-2]
    assert last["decision"] in ("review", "block")
    assert {"rule", "label", "weight", "action", "observed"} == set(last["reasons"][0])
    summary = out[-1]["summary"]
    assert summary["orders"] == 10
    assert summary["labelled"] == 5
    assert summary["allow"] + summary["review"] + summary["block"] == 10
    assert (summary["precision"], summary["recall"], summary["f1"]) == (1.0, 1.0, 1.0)


def test_no_labels_no_quality(tmp_path, capsys):
    call_command("risk", "replay", write(tmp_path, [LINE]))
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])["summary"]
    assert summary == {"orders": 1, "allow": 1, "review": 0, "block": 0, "labelled": 0}


def test_empty_fields_and_failed_payments(tmp_path, capsys):
    empty = {**LINE, "ip": "", "contact": "", "device_id": "", "sku_id": "", "quantity": ""}
    failed = {"ts": "2025-03-03T11:59:00+08:00", "payment_failed": True, "ip": "1.2.3.4"}
    call_command("risk", "replay", write(tmp_path, [empty, "\n", failed, LINE]))
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3  # two orders and the summary; the failure printed nothing


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("not json\n", "not JSON"),
        ({**LINE, "ts": "yesterday"}, "ISO 8601"),
        ({**LINE, "ts": "2025-03-03T12:00:00"}, "time zone"),
        ({**LINE, "channel": "fax"}, "channel"),
        ({**LINE, "amount": "a lot"}, "amount"),
        ({**LINE, "amount": 12.5}, "amount"),
        ({**LINE, "label": "maybe"}, "label"),
        ({**LINE, "quantity": -1}, "quantity"),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_lines_name_the_line(tmp_path, line, problem):
    path = write(tmp_path, [LINE, line if not isinstance(line, list) else json.dumps(line) + "\n"])
    with pytest.raises(CommandError) as caught:
        call_command("risk", "replay", path)
    assert caught.value.returncode == 2
    assert "line 2:" in str(caught.value) and problem in str(caught.value)


def test_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file") as caught:
        call_command("risk", "replay", str(tmp_path / "nope.jsonl"))
    assert caught.value.returncode == 2


def test_replay_equals_live(tmp_path):
    """The same traffic scored live, one order at a time through services.score, gives
    the decisions the replay gives."""
    lines = simulate.simulate(seed=5, orders=1500, days=2)
    path = tmp_path / "sim.jsonl"
    simulate.write(path, lines)
    result = replay.run(str(path), model=False)
    live_store = LocalStore()
    live = []
    for line in replay.parse(path.read_text().splitlines()):
        if line.facts is None:
            services.payment_failed(line.origin, line.at, velocity=live_store)
        else:
            live.append(services.score(line.facts, velocity=live_store))
    assert [v.decision for v in live] == [v.decision for _, v in result.verdicts]
    assert [v.score for v in live] == [v.score for _, v in result.verdicts]
    assert any(v.decision != "allow" for v in live)


def test_features_for_training(tmp_path):
    path = write(tmp_path, [{**LINE, "label": "fraud"}])
    [(facts, features, label)] = list(replay.features(path))
    assert (facts.order_no, label, features["amount"]) == ("A1", "fraud", 30.0)
