"""The anomaly detector itself, without Django: feature scaling, river's Half-Space
Trees, and the calibration that turns its raw score into "more unusual than this share
of the history" (0..1). kameng/risk/model.py versions, stores and loads it.

Why these choices:
- Half-Space Trees want every feature in [0, 1]. Order features are counts and ratios
  with long tails, so each is log1p-scaled against a bound learned from the training
  rows (their 99.9th percentile, at least 1) and the training range is mapped to
  [0, 0.5]: the upper half is head-room, where an order far beyond anything seen in
  training lands in an empty half-space (scores as anomalous) instead of being clipped
  onto the busiest normal cell. The hour of day is scaled linearly.
- Raw amount and quantity are left out: the model sees an order's size only relative to
  its seller's and its buyer's usual (amount_vs_seller, amount_vs_contact). A
  distributor's bulk bot buys 1 000–25 000 yuan at a time; on raw amounts the trees
  isolated its honest orders (measured: 105 of 743 flagged, against 8 without).
- One window as large as the training set (capped at MAX_ROWS): each node's mass is then
  the count of training rows in its half-space, independent of their order, so the same
  rows and seed always give the same trees and the same scores.
- Scoring walks river's trees with a smaller early-stop mass than river's (1% of the
  training rows instead of 10%): with 10%, any honest crowd under a tenth of the
  traffic (the bot, a campus) is cut off at the first levels and looks anomalous.
- The raw mass is calibrated against the training rows' own, so a score of 0.99 means
  "more unusual than 99% of the history" — a number an operator can read.
- The detector never learns while scoring: decisions stay deterministic, replay = live.
"""

import math
import random
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from river import anomaly
from river.tree.padded import PaddedBranch

from kameng.risk.verdicts import FEATURE_NAMES

N_TREES = 50  # ~0.1 ms to score; the cost grows linearly with the trees
HEIGHT = 10  # 2047 nodes a tree (8: model alone F1 0.71 on held-out traffic, 10: 0.84)
MAX_ROWS = 50_000  # training rows kept (a seeded sample beyond that): ~2 s to fit
MIN_ROWS = 100  # fewer and the half-space masses mean nothing
BOUND_QUANTILE = 0.999  # a few extreme (unlabelled) rows must not stretch the scale
HEADROOM = 0.5  # the training range maps to [0, HEADROOM]
LINEAR = {"hour": 24.0}  # bounded features, scaled linearly by this span
STOP_SHARE = 0.01  # a walk stops in a half-space holding less than this share of the rows
# What the trees look at: every feature but the order's absolute size (see above).
MODEL_FEATURES = tuple(name for name in FEATURE_NAMES if name not in ("amount", "quantity"))


@dataclass
class Tree:
    """One fitted half-space tree, flattened: node i's children are 2i+1 and 2i+2 (the
    trees are complete), so a walk is list indexing, and the stored model is plain
    numbers — it loads fast and does not depend on river's classes."""

    feature: list[int]  # index into MODEL_FEATURES (-1 at the leaves)
    threshold: list[float]
    mass: list[float]  # training rows in the node's half-space


@dataclass
class Detector:
    """Scaler bounds + fitted trees + the sorted raw scores of the training rows."""

    bounds: dict[str, float]  # feature → log1p(bound); LINEAR features: their span
    trees: list[Tree]
    height: int
    stop_mass: float  # STOP_SHARE of the training rows
    calibration: list[float]  # sorted raw scores of the training rows

    def scale(self, features: Mapping[str, float]) -> list[float]:
        """The model's input: MODEL_FEATURES in order, each in [0, 1]."""
        scaled = []
        bounds = self.bounds
        for name in MODEL_FEATURES:
            value = features.get(name) or 0.0
            value = float(value) if value > 0 else 0.0
            if name in LINEAR:
                x = value / LINEAR[name]
            else:
                x = HEADROOM * math.log1p(value) / bounds[name]
            scaled.append(x if x < 1.0 else 1.0)
        return scaled

    def raw(self, features: Mapping[str, float]) -> float:
        """Minus the mass the order's paths cross (river's score before its
        normalisation): higher = more unusual."""
        x = self.scale(features)
        height, stop = self.height, self.stop_mass
        return -sum(_walk(tree, x, height, stop) for tree in self.trees)

    def score(self, features: Mapping[str, float]) -> float:
        """0..1: the share of training rows less unusual than this order (ties count half)."""
        raw = self.raw(features)
        cal = self.calibration
        below = bisect_left(cal, raw)
        if below == len(cal):
            return 1.0
        return (below + bisect_right(cal, raw, lo=below)) / (2 * len(cal))


def _walk(tree: Tree, x: list[float], height: int, stop: float) -> float:
    """river.anomaly.hst's scoring walk (mass × 2^depth down the path, stopping in a
    sparse half-space), with our own stopping mass."""
    feature, threshold, masses = tree.feature, tree.threshold, tree.mass
    i, depth_pow, total = 0, 1, 0.0
    for _ in range(height):
        r = masses[i]
        total += r * depth_pow
        if r < stop:
            return total
        i = 2 * i + 1 if x[feature[i]] < threshold[i] else 2 * i + 2
        depth_pow <<= 1
    return total + masses[i] * depth_pow


def _flatten(root: object, height: int) -> Tree:
    size = 2 ** (height + 1) - 1
    tree = Tree([-1] * size, [0.0] * size, [0.0] * size)
    stack = [(root, 0)]
    while stack:
        node, i = stack.pop()
        tree.mass[i] = float(node.r_mass)
        if isinstance(node, PaddedBranch):
            tree.feature[i] = MODEL_FEATURES.index(node.feature)
            tree.threshold[i] = float(node.threshold)
            stack += [(node.children[0], 2 * i + 1), (node.children[1], 2 * i + 2)]
    return tree


class TooFewRows(ValueError):
    pass


def fit(
    rows: Sequence[Mapping[str, float]], *, seed: int, n_trees: int = N_TREES, height: int = HEIGHT
) -> Detector:
    """Learn the scale and the trees (river's HalfSpaceTrees, one window over all the
    rows) from rows taken as normal traffic."""
    rows = list(rows)
    if len(rows) < MIN_ROWS:
        raise TooFewRows(f"{len(rows)} rows to learn from; at least {MIN_ROWS} are needed")
    if len(rows) > MAX_ROWS:
        rows = random.Random(seed).sample(rows, MAX_ROWS)
    bounds = {}
    for name in MODEL_FEATURES:
        if name in LINEAR:
            bounds[name] = LINEAR[name]
            continue
        values = sorted(max(float(row.get(name) or 0.0), 0.0) for row in rows)
        top = values[min(len(values) - 1, int(BOUND_QUANTILE * len(values)))]
        bounds[name] = math.log1p(max(top, 1.0))
    detector = Detector(
        bounds=bounds, trees=[], height=height, stop_mass=STOP_SHARE * len(rows), calibration=[]
    )
    hst = anomaly.HalfSpaceTrees(n_trees=n_trees, height=height, window_size=len(rows), seed=seed)
    for row in rows:  # one window: the masses are counts, the order of the rows is moot
        hst.learn_one(dict(zip(MODEL_FEATURES, detector.scale(row), strict=True)))
    detector.trees = [_flatten(root, height) for root in hst.trees]
    detector.calibration = sorted(detector.raw(row) for row in rows)
    return detector


@dataclass(frozen=True)
class Quality:
    precision: float
    recall: float
    f1: float
    flagged: int
    fraud: int
    total: int

    def as_dict(self) -> dict:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "flagged": self.flagged,
            "fraud": self.fraud,
            "total": self.total,
        }


def quality(flags: Sequence[bool], frauds: Sequence[bool]) -> Quality:
    """Precision, recall and F1 of `flags` (flagged orders) against `frauds` (labels)."""
    tp = sum(1 for f, y in zip(flags, frauds, strict=True) if f and y)
    flagged = sum(1 for f in flags if f)
    fraud = sum(1 for y in frauds if y)
    precision = tp / flagged if flagged else 0.0
    recall = tp / fraud if fraud else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Quality(precision, recall, f1, flagged, fraud, len(flags))


UNLABELLED_THRESHOLD = 0.995  # no labels: flag the most unusual 0.5% of the history
# Labels never push the threshold below this: an anomaly model that flags more than ~1%
# of the honest history is a second, noisier rule book (seen on small training sets:
# a threshold of 0.89 held a tenth of the distributor's bot).
THRESHOLD_FLOOR = 0.99
# The model gets points in the decision only if that raises the validation F1 by at
# least this much over the rules alone: a smaller gain is noise of the split.
MIN_GAIN = 0.005


class Case(NamedTuple):
    """A labelled validation order: its features, whether it is fraud, and what the
    rules alone made of it (their points, and whether they held or blocked it)."""

    features: Mapping[str, float]
    fraud: bool
    rules_score: int = 0
    rules_flagged: bool = False
    # How many orders this one stands for: held-out normal orders are a sample of the
    # normal traffic (e.g. 1 in 5) while every fraud is kept, and F1 must be that of
    # the real mix, not of a validation set five times richer in fraud.
    stands_for: float = 1.0


def best_threshold(scores: Sequence[float], frauds: Sequence[bool]) -> float:
    """The threshold with the best F1 of the model alone ("score ≥ threshold")."""
    cases = [Case({}, fraud) for fraud in frauds]
    return best_combination(scores, cases, review_threshold=1, weights=(1,))[0]


def best_combination(
    scores: Sequence[float],
    cases: Sequence[Case],
    *,
    review_threshold: int,
    weights: Sequence[int],
) -> tuple[float, int, float]:
    """(threshold, weight, F1): the pair giving the best F1 of the live decision (review
    or block) on `cases`, where the model's reason adds `weight` points when its score
    reaches `threshold`. Among equals: the smallest weight (the model overrules the
    rules as little as it can) and the highest threshold (fewer honest buyers held).
    Thresholds are never below THRESHOLD_FLOOR; a weight above 0 must gain MIN_GAIN."""
    fraud_total = sum(case.stands_for for case in cases if case.fraud)
    if not fraud_total:
        return UNLABELLED_THRESHOLD, max(weights), 0.0
    base_tp = sum(case.stands_for for case in cases if case.fraud and case.rules_flagged)
    base_flagged = sum(case.stands_for for case in cases if case.rules_flagged)
    rules_f1 = 2 * base_tp / (base_flagged + fraud_total)
    # With 0 among the weights the model must earn its points; a weight imposed by the
    # caller only needs its best threshold.
    gain = MIN_GAIN if 0 in weights else -1.0
    best = (UNLABELLED_THRESHOLD, min(weights), rules_f1 if 0 in weights else -1.0)
    for weight in sorted(weights):
        # Orders the model's reason would tip over the review line, most unusual first.
        tipped = sorted(
            (
                (score, case.fraud, case.stands_for)
                for score, case in zip(scores, cases, strict=True)
                if not case.rules_flagged
                and case.rules_score + weight >= review_threshold
                and score >= THRESHOLD_FLOOR
            ),
            key=lambda pair: -pair[0],
        )
        tp, flagged, i = base_tp, base_flagged, 0
        while i < len(tipped):
            t = tipped[i][0]
            while i < len(tipped) and tipped[i][0] == t:  # every order scoring t is flagged
                _, fraud, count = tipped[i]
                tp += count if fraud else 0
                flagged += count
                i += 1
            f1 = 2 * tp / (flagged + fraud_total)
            if f1 > best[2] + 1e-9 and (weight == 0 or f1 >= rules_f1 + gain):
                best = (t, weight, f1)
    return best
