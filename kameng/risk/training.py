"""Training the anomaly model from what Kameng has seen (`kameng risk train`): recorded
assessments (history) or a replay-format file (`kameng risk simulate`'s output, its
features computed by the replay exactly as live scoring computes them). Apart from
kameng/risk/model.py because it reads the replay, which scores through the engine, which
loads the model.
"""

import random
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from kameng.commands import KamengCommand
from kameng.risk import detector as det
from kameng.risk import engine, replay, services
from kameng.risk.model import NoTrainingData, load, review_threshold, train
from kameng.risk.models import Assessment, ModelVersion, feature_map
from kameng.risk.verdicts import ALLOW, BLOCK, REVIEW

VALIDATION_SHARE = 0.2  # of the normal rows, kept out of training to pick the threshold


@dataclass(frozen=True)
class Training:
    """What `kameng risk train` reports."""

    model: ModelVersion
    labelled: int  # rows with a label ("fraud" / "normal")
    quality: det.Quality | None  # of the model alone on the labelled rows


@dataclass(frozen=True)
class Sample:
    """One order to learn from: its features, its label ("fraud", "normal", or ""
    unknown, taken as normal) and what the rules alone made of it."""

    features: Mapping[str, float]
    label: str
    rules_score: int = 0
    rules_flagged: bool = False


def train_labelled(
    samples: Iterable[Sample],
    *,
    seed: int,
    weight: int | None = None,
    source: str = "",
) -> Training:
    """Frauds never train. With frauds present, a seeded fifth of the normal orders is
    held out and, with the frauds, picks the threshold and weight (model.train)."""
    samples = list(samples)
    normal = [sample for sample in samples if sample.label != "fraud"]
    fraud = [sample for sample in samples if sample.label == "fraud"]
    validation: list[det.Case] = []
    if fraud:
        random.Random(seed).shuffle(normal)
        held = int(len(normal) * VALIDATION_SHARE)
        stands_for = len(normal) / max(held, 1)
        validation = [
            det.Case(s.features, False, s.rules_score, s.rules_flagged, stands_for)
            for s in normal[:held]
        ] + [det.Case(s.features, True, s.rules_score, s.rules_flagged) for s in fraud]
        normal = normal[held:]
    model = train(
        [sample.features for sample in normal],
        seed=seed,
        validation=validation,
        weight=weight,
        source=source,
    )
    labelled = [sample for sample in samples if sample.label]
    quality = None
    if any(sample.label == "fraud" for sample in labelled):
        loaded = load(model.version)
        quality = det.quality(
            [loaded.score(sample.features) >= loaded.threshold for sample in labelled],
            [sample.label == "fraud" for sample in labelled],
        )
    return Training(model=model, labelled=len(labelled), quality=quality)


def history_samples(*, since_days: int | None = None) -> Iterator[Sample]:
    """Recorded assessments, oldest first: operator-labelled ones, and unlabelled orders
    the rules let through. Blocked attempts and held orders not yet decided are left out
    (unknown, and likelier fraud than the rest). The rules' part is read back from the
    stored reasons (the model's own reason left out) against today's review line."""
    review = review_threshold()
    rows = Assessment.objects.exclude(features=[])
    if since_days is not None:
        rows = rows.filter(created_at__gte=timezone.now() - timedelta(days=since_days))
    for features, label, decision, reasons in (
        rows.order_by("created_at", "pk")
        .values_list("features", "label", "decision", "reasons")
        .iterator()
    ):
        if label or decision == Assessment.Decision.ALLOW:
            rules = [reason for reason in reasons if reason.get("rule") != "model"]
            points = sum(int(reason.get("weight") or 0) for reason in rules)
            hard = any(reason.get("action") in (REVIEW, BLOCK) for reason in rules)
            yield Sample(feature_map(features), label, points, hard or points >= review)


def file_samples(path: str | Path) -> Iterator[Sample]:
    """The orders of a replay-format file, their features computed as live scoring
    would have (in time order, with the replay's own velocity state), with the active
    rules' verdict on each."""
    scenario = services.compiled_scenario()
    for line, obs in replay.walk(path, scenario=scenario):
        verdict = engine.decide(line.facts, scenario, obs, None)
        yield Sample(dict(obs.features), line.label, verdict.score, verdict.decision != ALLOW)


def train_from_history(*, seed: int, since_days: int | None = None) -> Training:
    samples = list(history_samples(since_days=since_days))
    if not samples:
        window = f" in the last {since_days} days" if since_days is not None else ""
        raise NoTrainingData(f"no recorded orders to learn from{window}")
    source = "history" + (f" ({since_days} days)" if since_days is not None else "")
    return train_labelled(samples, seed=seed, source=source)


def train_from_file(path: str | Path, *, seed: int) -> Training:
    samples = list(file_samples(path))
    if not samples:
        raise NoTrainingData(f"{path}: no orders in the file")
    return train_labelled(samples, seed=seed, source=f"file {Path(path).name}")


# --- `kameng risk train` ------------------------------------------------------------


def train_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--from-file",
        metavar="FILE",
        help="learn from a replay-format JSON-lines file (kameng risk simulate's output) "
        "instead of the recorded orders",
    )
    parser.add_argument("--seed", type=int, default=1, help="the random seed (default 1)")
    parser.add_argument(
        "--since",
        type=int,
        metavar="DAYS",
        help="only the recorded orders of the last DAYS days (default: all)",
    )


def train_handle(command: KamengCommand, options: dict) -> None:
    """Train, make the new version active, and say what it is and how well it does."""
    path, since = options.get("from_file"), options.get("since")
    if path and since is not None:
        raise CommandError("--since applies to recorded orders, not to --from-file", returncode=2)
    if since is not None and since < 1:
        raise CommandError("--since must be at least 1 day", returncode=2)
    if path:
        if not Path(path).is_file():
            raise CommandError(f"no such file: {path}", returncode=2)
        try:
            result = train_from_file(path, seed=options["seed"])
        except replay.ReplayError as exc:
            raise CommandError(f"{path}: {exc.message}", returncode=2) from None
        except UnicodeDecodeError:
            raise CommandError(f"{path}: not UTF-8 text", returncode=2) from None
    else:
        result = train_from_history(seed=options["seed"], since_days=since)
    version = result.model
    out = command.stdout
    out.write(f"model {version.version} (active)")
    out.write(f"trained on {version.samples} orders from {version.params['source']}")
    how = (
        "best F1 of the decision, rules and model, on held-out labels"
        if version.params["threshold_by"] == "best_f1"
        else (f"the most unusual {100 * (1 - det.UNLABELLED_THRESHOLD):.1f}% of the history")
    )
    out.write(f"threshold {version.threshold:.4f} ({how}), weight {version.weight}")
    if result.quality is not None:
        q = result.quality
        out.write(
            f"model alone on {q.total} labelled orders ({q.fraud} fraud): "
            f"precision {q.precision:.3f}, recall {q.recall:.3f}, F1 {q.f1:.3f}"
        )
    elif result.labelled:
        out.write(f"{result.labelled} labelled orders, none fraud: no precision/recall")
