"""The learned anomaly model: trained from history (`kameng risk train`), stored as
versions (ModelVersion), loaded once per process by the scorer.

The engine asks `current()` on every order; it answers from memory and looks at the
database at most every RECHECK_SECONDS for a newly activated version, so a training on
one machine reaches every web process within seconds without a query per order. The
model never learns while scoring (the same order always gets the same score, and a
replay gives the decisions live scoring gave): learning happens only in `train`.

Training data is history taken as normal: orders the operator labelled fraud are left
out, and so are attempts the rules blocked and held orders nobody has decided yet
(unlabelled, they are more likely fraud than not) — see kameng/risk/training.py.
Labelled frauds, when there are any, pick the threshold and the weight together: the
pair with the best F1 of the live decision (rules + model) on a validation set (a
seeded fifth of the normal orders, kept out of training, plus the frauds); the model
gets points only if that beats the rules alone by a margin, else weight 0 (its reason
is still shown to the operator). Without labels the threshold flags the most unusual
0.5% of the history and the weight is the review line.

The blob is the detector as plain data (the flattened trees, the scale, the calibration),
pickled and read back with an unpickler that accepts no class or function, so a blob
changed in the database cannot run code; its SHA-256 is stored beside it and checked
first, so a changed or damaged blob is refused (the scorer then goes on with the rules
alone) instead of loaded.
"""

import hashlib
import io
import logging
import pickle
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import river
from django.db import transaction
from django.utils import timezone

from kameng.errors import DomainError, InvalidInput
from kameng.risk import detector as det
from kameng.risk.models import ModelVersion, Scenario

log = logging.getLogger("kameng.risk")

RECHECK_SECONDS = 5.0  # how stale a process's idea of the active version may be
BLOB_FORMAT = 2  # 2: plain lists (1, a pickled object, was never released)


class ModelUnusable(DomainError):
    code = "risk_model_unusable"
    status = 500
    title = "风控模型无法加载"


class NoTrainingData(InvalidInput):
    code = "no_training_data"
    title = "没有可用于训练的数据"


@dataclass(frozen=True)
class LoadedModel:
    """The active model as the engine uses it."""

    version: str
    threshold: float  # the engine adds the model's reason when score ≥ threshold
    weight: int  # points that reason adds
    detector: det.Detector

    def score(self, features: Mapping[str, float]) -> float:
        """0..1: the share of the training history less unusual than this order."""
        return self.detector.score(features)


# --- loading ------------------------------------------------------------------------


@dataclass
class _Cache:
    model: LoadedModel | None = None
    key: tuple[str, str] | None = None  # (version, sha256) of what `model` is / was refused
    checked: float = float("-inf")


_cache = _Cache()
_lock = threading.Lock()


def current() -> LoadedModel | None:
    """The active model, or None (no model trained, or its blob refused: rules alone)."""
    cache = _cache
    if time.monotonic() - cache.checked < RECHECK_SECONDS:
        return cache.model
    with _lock:
        if time.monotonic() - _cache.checked < RECHECK_SECONDS:
            return _cache.model
        key = ModelVersion.objects.filter(active=True).values_list("version", "sha256").first()
        if key is None:
            _cache.model, _cache.key = None, None
        elif key != _cache.key:
            _cache.key = key
            try:
                _cache.model = load(key[0])
            except ModelUnusable as exc:
                log.error("risk model refused, scoring with the rules alone: %s", exc.message)
                _cache.model = None
        _cache.checked = time.monotonic()
        return _cache.model


def forget() -> None:
    """Drop what this process knows: the next `current()` reads the database."""
    with _lock:
        _cache.model, _cache.key, _cache.checked = None, None, float("-inf")


class _PlainUnpickler(pickle.Unpickler):
    """Plain data only (dicts, lists, numbers, strings): a blob naming any class or
    function is refused before anything is called, whatever its checksum says."""

    def find_class(self, module: str, name: str) -> object:
        raise pickle.UnpicklingError(f"the blob names {module}.{name}: not plain data")


def dumps(detector: det.Detector) -> bytes:
    """The blob: the detector as plain lists and numbers (pickled; see load)."""
    return pickle.dumps(
        {
            "format": BLOB_FORMAT,
            "features": list(det.MODEL_FEATURES),
            "bounds": detector.bounds,
            "height": detector.height,
            "stop_mass": detector.stop_mass,
            "calibration": detector.calibration,
            "trees": [[t.feature, t.threshold, t.mass] for t in detector.trees],
        },
        protocol=5,
    )


def load(version: str) -> LoadedModel:
    """A stored version, checked against its SHA-256, then read as plain data."""
    row = ModelVersion.objects.filter(version=version).first()
    if row is None:
        raise ModelUnusable(f"risk model {version} does not exist")
    blob = bytes(row.blob)
    if hashlib.sha256(blob).hexdigest() != row.sha256:
        raise ModelUnusable(
            f"risk model {version}: its data does not match its SHA-256 (changed or damaged "
            "after training); train a new one with `kameng risk train`"
        )
    try:
        payload = _PlainUnpickler(io.BytesIO(blob)).load()
        if payload["format"] != BLOB_FORMAT or payload["features"] != list(det.MODEL_FEATURES):
            raise ValueError("another format or other features")
        detector = det.Detector(
            bounds={name: float(payload["bounds"][name]) for name in det.MODEL_FEATURES},
            trees=[det.Tree(list(f), list(t), list(m)) for f, t, m in payload["trees"]],
            height=int(payload["height"]),
            stop_mass=float(payload["stop_mass"]),
            calibration=list(payload["calibration"]),
        )
    except Exception as exc:  # a damaged or foreign blob can fail in any way
        raise ModelUnusable(
            f"risk model {version} is not a model this Kameng can use ({exc}); "
            "train a new one with `kameng risk train`"
        ) from exc
    return LoadedModel(
        version=row.version, threshold=row.threshold, weight=row.weight, detector=detector
    )


# --- training -----------------------------------------------------------------------


WEIGHT_STEP = 5  # the weights tried when choosing one: 0, 5, 10 ... the review line


def review_threshold() -> int:
    """The active rules' review line (50 when there are no rules yet)."""
    scenario = Scenario.objects.filter(active=True).only("review_threshold").first()
    return scenario.review_threshold if scenario else 50


def train(
    rows: Iterable[Mapping[str, float]],
    *,
    seed: int,
    validation: Sequence[det.Case | tuple] = (),
    weight: int | None = None,
    source: str = "",
) -> ModelVersion:
    """Learn from `rows` (feature dicts taken as normal), store the model as a new
    version and make it the active one.

    The threshold and the weight come from `validation` (det.Case: features, is_fraud,
    and the rules' own points and verdict) when it holds frauds: the pair with the best
    F1 of the live decision, rules and model together — a model that only adds false
    alarms gets weight 0 (its reason is shown, it tips nothing). A fixed `weight` picks
    the threshold alone. Without labels: the history's 99.5th percentile, and the review
    line as weight (the model alone holds an order for review, never blocks it)."""
    rows = list(rows)
    try:
        detector = det.fit(rows, seed=seed)
    except det.TooFewRows as exc:
        raise NoTrainingData(str(exc)) from exc
    cases = [case if isinstance(case, det.Case) else det.Case(*case) for case in validation]
    review = review_threshold()
    validation_f1 = None
    if any(case.fraud for case in cases):
        scores = [detector.score(case.features) for case in cases]
        weights = range(0, review + 1, WEIGHT_STEP) if weight is None else (weight,)
        threshold, weight, validation_f1 = det.best_combination(
            scores, cases, review_threshold=review, weights=weights
        )
        if weight == 0:  # shown to operators only: flag what the model alone would
            threshold = det.best_threshold(scores, [case.fraud for case in cases])
        chosen_by = "best_f1"
    else:
        threshold, chosen_by = det.UNLABELLED_THRESHOLD, "quantile"
        weight = review if weight is None else weight
    blob = dumps(detector)
    params = {
        "algorithm": "river.anomaly.HalfSpaceTrees",
        "river": river.__version__,
        "n_trees": len(detector.trees),
        "height": detector.height,
        "window_size": min(len(rows), det.MAX_ROWS),
        "stop_mass": detector.stop_mass,
        "features": list(det.MODEL_FEATURES),
        "bounds": {name: round(bound, 6) for name, bound in detector.bounds.items()},
        "threshold_by": chosen_by,
        "validation": len(cases),
        "validation_f1": None if validation_f1 is None else round(validation_f1, 4),
        "source": source,
    }
    with transaction.atomic():
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        version = f"hst-{stamp}-{seed}"
        taken = set(
            ModelVersion.objects.filter(version__startswith=version).values_list(
                "version", flat=True
            )
        )
        n = 2
        while version in taken:
            version, n = f"hst-{stamp}-{seed}-{n}", n + 1
        ModelVersion.objects.filter(active=True).update(active=False)
        row = ModelVersion.objects.create(
            version=version,
            seed=seed,
            samples=min(len(rows), det.MAX_ROWS),
            threshold=threshold,
            weight=weight,
            params=params,
            blob=blob,
            sha256=hashlib.sha256(blob).hexdigest(),
            active=True,
        )
    forget()
    return row
