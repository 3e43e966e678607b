"""How well risk control tells fraud from honest traffic, and how fast it scores.

    .venv/bin/python benchmarks/risk_eval.py [--orders 10000] [--train-seed 1]
        [--test-seed 2] [--days 7] [--redis [URL]]

On simulated, labelled traffic (`kameng risk simulate`'s generator: honest shops with a
net café, a campus NAT, a holiday surge and a distributor's bulk bot; seven attack
campaigns), it trains the anomaly model on the traffic of --train-seed, then replays the
held-out traffic of --test-seed (never seen in training) three ways:

  rules   the active scenario's rules alone (the default scenario of a fresh database);
  model   the anomaly model alone: flagged when its score reaches its threshold;
  both    the live decision: rules and the model's weighted reason together.

For each it prints precision, recall and F1 of "review or block" against the fraud
label, and the decision counts; then, per kind of traffic, how many orders each way
flags (which attack is missed, which honest crowd is held). Last, the latency of
`risk.services.score()` per order, live (in time order through the velocity store of
the deployment: this process's, and Redis db 10 with --redis or REDIS_URL), and of the
model's score alone. Aims: precision ≥ 0.9 and recall ≥ 0.9 for "both", p99 ≤ 5 ms.

A fresh SQLite database in a temporary directory; nothing else is touched (the Redis
database is emptied before and after). Exit status 0; this prints figures, it is not a
test (tests/risk/test_eval.py is).
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_REDIS = "redis://127.0.0.1:6379/10"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=10000, help="orders per seed")
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--train-seed", type=int, default=1)
    parser.add_argument("--test-seed", type=int, default=2)
    parser.add_argument(
        "--redis",
        nargs="?",
        const=DEFAULT_REDIS,
        default=os.environ.get("REDIS_URL", "") and DEFAULT_REDIS,
        help=f"also time scoring with Redis counters (default {DEFAULT_REDIS}; emptied)",
    )
    return parser.parse_args(argv)


def set_up() -> None:
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)  # the store is chosen per run below
    os.environ["KAMENG_DATA_DIR"] = tempfile.mkdtemp(prefix="kameng-bench-risk-")
    os.environ["KAMENG_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kameng.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- the evaluation (also used by tests/risk/test_eval.py) --------------------------------


def evaluate(orders: int, *, train_seed: int, test_seed: int, days: int = 7) -> dict:
    """Train on one seed's traffic, replay another's three ways. Returns the figures."""
    from kameng.risk import detector, model, replay, simulate, training

    train_lines = _jsonl(simulate.simulate(seed=train_seed, orders=orders, days=days))
    test_raw = simulate.simulate(seed=test_seed, orders=orders, days=days)
    test_lines = _jsonl(test_raw)
    kinds = {line["order_no"]: line.get("kind", "?") for line in test_raw if "order_no" in line}

    started = time.perf_counter()
    trained = training.train_labelled(
        training.file_samples(train_lines),
        seed=train_seed,
        source=f"simulated seed {train_seed}",
    )
    train_seconds = time.perf_counter() - started
    loaded = model.current()
    assert loaded is not None and loaded.version == trained.model.version

    rules = replay.run(test_lines, model=False)
    both = replay.run(test_lines)
    model_flags = {}
    for facts, features, _label in replay.features(test_lines):
        model_flags[facts.order_no] = loaded.score(features) >= loaded.threshold

    labels = {line.facts.order_no: line.label == "fraud" for line, _ in rules.verdicts}
    flagged = {
        "rules": {line.facts.order_no: v.decision != "allow" for line, v in rules.verdicts},
        "model": model_flags,
        "both": {line.facts.order_no: v.decision != "allow" for line, v in both.verdicts},
    }
    order_nos = list(labels)
    frauds = [labels[n] for n in order_nos]
    figures: dict = {
        "trained": {
            "version": loaded.version,
            "samples": trained.model.samples,
            "threshold": loaded.threshold,
            "weight": loaded.weight,
            "train_seconds": round(train_seconds, 2),
        },
        "orders": len(order_nos),
        "fraud": sum(frauds),
    }
    for way, flags in flagged.items():
        q = detector.quality([flags[n] for n in order_nos], frauds)
        figures[way] = q.as_dict()
    figures["rules"]["decisions"] = dict(rules.counts)
    figures["both"]["decisions"] = dict(both.counts)
    figures["model"]["decisions"] = {
        "flagged": sum(model_flags.values()),
        "not flagged": len(model_flags) - sum(model_flags.values()),
    }
    per_kind: dict = defaultdict(Counter)
    for n in order_nos:
        row = per_kind[(kinds.get(n, "?"), labels[n])]
        row["orders"] += 1
        for way, flags in flagged.items():
            row[way] += flags[n]
    figures["per_kind"] = {
        f"{'fraud' if fraud else 'normal'}:{kind}": dict(row)
        for (kind, fraud), row in sorted(per_kind.items(), key=lambda kv: (not kv[0][1], kv[0][0]))
    }
    figures["_test_lines"] = test_lines
    return figures


def _jsonl(lines: list[dict]) -> list[str]:
    return [json.dumps(line, ensure_ascii=False) for line in lines]


def latency(test_lines: list[str], velocity: object) -> dict:
    """score() per order, live: in time order through `velocity`, failed payments
    counted on the way; milliseconds."""
    from kameng.risk import model, replay, services

    services.compiled_scenario()  # warm: the scenario and the model are cached per process
    model.current()
    times = []
    for line in replay.parse(test_lines):
        if line.facts is None:
            services.payment_failed(line.origin, line.at, velocity=velocity)
            continue
        started = time.perf_counter()
        services.score(line.facts, velocity=velocity)
        times.append(time.perf_counter() - started)
    return _percentiles(times)


def model_latency(test_lines: list[str]) -> dict:
    from kameng.risk import model, replay

    loaded = model.current()
    rows = [features for _, features, _ in replay.features(test_lines)]
    times = []
    for features in rows:
        started = time.perf_counter()
        loaded.score(features)
        times.append(time.perf_counter() - started)
    return _percentiles(times)


def _percentiles(times: list[float]) -> dict:
    times.sort()
    ms = [t * 1000 for t in times]
    return {
        "n": len(ms),
        "p50": round(statistics.median(ms), 3),
        "p99": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 3),
        "max": round(ms[-1], 3),
    }


# --- the report -------------------------------------------------------------------------


def print_report(figures: dict, timings: dict[str, dict]) -> None:
    m = figures["trained"]
    print(
        f"model {m['version']}: {m['samples']} training orders, threshold {m['threshold']:.4f},"
        f" weight {m['weight']}, trained in {m['train_seconds']} s"
    )
    print(f"held-out traffic: {figures['orders']} orders, {figures['fraud']} fraud\n")
    print(f"{'':<8}{'precision':>10}{'recall':>8}{'F1':>8}   decisions")
    for way in ("rules", "model", "both"):
        q = figures[way]
        decisions = ", ".join(f"{k} {v}" for k, v in sorted(q["decisions"].items()))
        print(f"{way:<8}{q['precision']:>10.3f}{q['recall']:>8.3f}{q['f1']:>8.3f}   {decisions}")
    print(f"\n{'traffic':<28}{'orders':>7}{'rules':>7}{'model':>7}{'both':>7}   (flagged)")
    for kind, row in figures["per_kind"].items():
        print(
            f"{kind:<28}{row['orders']:>7}{row.get('rules', 0):>7}"
            f"{row.get('model', 0):>7}{row.get('both', 0):>7}"
        )
    print("\nlatency per order, ms")
    for name, t in timings.items():
        print(f"  {name:<38} p50 {t['p50']:>6.3f}  p99 {t['p99']:>6.3f}  max {t['max']:>7.3f}")
    both = figures["both"]
    aims = [
        ("precision ≥ 0.9", both["precision"] >= 0.9),
        ("recall ≥ 0.9", both["recall"] >= 0.9),
        (
            "score() p99 ≤ 5 ms",
            all(t["p99"] <= 5 for n, t in timings.items() if n.startswith("score")),
        ),
    ]
    print("\naims (both): " + ", ".join(f"{a} {'met' if ok else 'MISSED'}" for a, ok in aims))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    set_up()
    from kameng.risk.store import LocalStore, RedisStore

    started = time.perf_counter()
    figures = evaluate(
        args.orders, train_seed=args.train_seed, test_seed=args.test_seed, days=args.days
    )
    print(f"(simulated, trained and replayed in {time.perf_counter() - started:.0f} s)")
    test_lines = figures.pop("_test_lines")
    timings = {"score(), in-process counters": latency(test_lines, LocalStore())}
    if args.redis:
        store = RedisStore(args.redis)
        store.flush()
        try:
            timings[f"score(), Redis db {args.redis.rsplit('/', 1)[-1]}"] = latency(
                test_lines, store
            )
        finally:
            store.flush()
    timings["the model's score alone"] = model_latency(test_lines)
    print_report(figures, timings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
