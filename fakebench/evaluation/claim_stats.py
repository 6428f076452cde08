"""The statistics claims are judged by: paired, stratified bootstrap over image ids, averaged over
training seeds, and the verdict a value and its interval give against a margin.

Differences between detectors (or perturbations) are judged on the same images: a resample draws
image ids (reals and fakes separately, so class counts stay fixed) and every role of the comparison
is scored on that same draw, so the interval is that of the difference itself. With several training
seeds the value is the mean over seeds, and each replicate is averaged over seeds the same way."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fakebench.core.seeds import derived_seed
from fakebench.evaluation.metrics import resample_counts
from fakebench.evaluation.store import TEST_SPLIT

RESAMPLES = 1000

CaseKey = tuple[str, str, str]  # (detector, generator, perturbation): a case as the store names it
# statistic(series by role, weights (R x n) or (n,), training seed) -> value(s)
Statistic = Callable[[dict[str, pd.Series], np.ndarray, int], np.ndarray]


@dataclass(frozen=True)
class Estimate:
    """A statistic over the seeds its cases share: value, bootstrap replicates, how many seeds, and
    (when a case is absent) what is missing."""

    value: float
    replicates: np.ndarray
    seeds: int
    missing: str = ""

    @staticmethod
    def absent(why: str) -> Estimate:
        return Estimate(math.nan, np.array([]), 0, why)

    def interval(self) -> tuple[float, float]:
        if not len(self.replicates):
            return math.nan, math.nan
        lo, hi = np.quantile(self.replicates, [0.025, 0.975])
        return float(lo), float(hi)


def case_rows(scores: pd.DataFrame, detector: str, generator: str, perturbation: str) -> dict[int, pd.Series]:
    """Per training seed: the case's scored test rows, indexed by (label, image_id) so cases pair up."""
    s = scores
    if not len(s):
        return {}
    rows = s[(s["split"] == TEST_SPLIT) & (s["detector"] == detector) & (s["generator"] == generator)
             & (s["perturbation"] == perturbation) & (s["error"] == "")]
    return {int(seed): g.set_index(["label", "image_id"])["score"].sort_index() for seed, g in rows.groupby("seed")}


def describe(case: CaseKey) -> str:
    return " / ".join(case)


def resample_weights(index: pd.MultiIndex, seed: int) -> np.ndarray:
    """RESAMPLES x n multiplicities, resampling reals and fakes separately (class counts fixed)."""
    rng = np.random.default_rng(seed)
    labels = index.get_level_values("label").to_numpy()
    weights = np.zeros((RESAMPLES, len(labels)))
    for label in (0, 1):
        pos = np.flatnonzero(labels == label)
        weights[:, pos] = resample_counts(rng, len(pos), RESAMPLES)
    return weights


def labels_of(series: pd.Series) -> np.ndarray:
    return series.index.get_level_values("label").to_numpy()


def _class_mean(values: np.ndarray, labels: np.ndarray, weights: np.ndarray, label: int) -> np.ndarray:
    keep = labels == label
    return (weights[..., keep] * values[keep]).sum(-1) / weights[..., keep].sum(-1)


def bal_acc(series: pd.Series, weights: np.ndarray) -> np.ndarray:
    """Weighted balanced accuracy at threshold 0.5 (fake iff score >= 0.5)."""
    scores, labels = series.to_numpy(), labels_of(series)
    correct = np.where(labels == 1, scores >= 0.5, scores < 0.5).astype(float)
    return (_class_mean(correct, labels, weights, 0) + _class_mean(correct, labels, weights, 1)) / 2


def fake_acc(series: pd.Series, weights: np.ndarray) -> np.ndarray:
    """Weighted share of fakes called fake at 0.5."""
    return _class_mean((series.to_numpy() >= 0.5).astype(float), labels_of(series), weights, 1)


def real_fpr(series: pd.Series, weights: np.ndarray, threshold: float) -> np.ndarray:
    """Weighted share of reals above `threshold` (fake iff score > threshold)."""
    return _class_mean((series.to_numpy() > threshold).astype(float), labels_of(series), weights, 0)


def paired(scores: pd.DataFrame, cases: dict[str, CaseKey], statistic: Statistic, key: str) -> Estimate:
    """`statistic` on the full data and on paired resamples, per shared training seed, averaged.

    `cases` maps a role to its case; every role is aligned on the image ids all of them scored.
    `key` names the comparison, so its bootstrap draws are its own and reproducible."""
    per_role = {role: case_rows(scores, *case) for role, case in cases.items()}
    missing = [describe(case) for role, case in cases.items() if not per_role[role]]
    if missing:
        return Estimate.absent("the store lacks " + ", ".join(dict.fromkeys(missing)))
    seeds = sorted(set.intersection(*(set(v) for v in per_role.values())))
    if not seeds:
        return Estimate.absent("no training seed is shared by the cases this claim compares")
    values, replicates = [], []
    for seed in seeds:
        series = {role: rows[seed] for role, rows in per_role.items()}
        common = sorted(set.intersection(*(set(s.index) for s in series.values())))
        series = {role: s.loc[common] for role, s in series.items()}
        index = pd.MultiIndex.from_tuples(common, names=["label", "image_id"])
        values.append(statistic(series, np.ones(len(common)), seed))
        replicates.append(statistic(series, resample_weights(index, derived_seed(key, seed)), seed))
    return Estimate(float(np.mean(values)), np.mean(replicates, axis=0), len(seeds))


def unpaired_drop(scores: pd.DataFrame, ref: CaseKey, other: CaseKey, key: str) -> Estimate:
    """Balanced-accuracy drop between two cases with different fakes: each bootstrapped on its own."""
    ref_rows, other_rows = case_rows(scores, *ref), case_rows(scores, *other)
    missing = [describe(c) for c, rows in ((ref, ref_rows), (other, other_rows)) if not rows]
    if missing:
        return Estimate.absent("the store lacks " + ", ".join(missing))
    seeds = sorted(set(ref_rows) & set(other_rows))
    if not seeds:
        return Estimate.absent("no training seed is shared by the cases this claim compares")
    values, reps = [], []
    for seed in seeds:
        parts = []
        for k, rows in enumerate((ref_rows[seed], other_rows[seed])):
            w = resample_weights(rows.index, derived_seed(key, seed, k))
            parts.append((bal_acc(rows, np.ones(len(rows))), bal_acc(rows, w)))
        values.append(parts[0][0] - parts[1][0])
        reps.append(parts[0][1] - parts[1][1])
    return Estimate(float(np.mean(values)), np.mean(reps, axis=0), len(seeds))


def verdict(value: float, lo: float, hi: float, margin: float, higher_is_claim: bool = True) -> str:
    """`holds` (value and whole interval clear the margin), `not significant` (value clears it, the
    interval straddles it), `fails (not significant)`, `fails`, or `no data`."""
    if math.isnan(value):
        return "no data"
    clears = (lambda v: v > margin) if higher_is_claim else (lambda v: v < margin)
    near, far = (lo, hi) if higher_is_claim else (hi, lo)  # interval ends on the claim's losing / winning side
    if not clears(value):
        return "fails (not significant)" if clears(far) else "fails"
    return "holds" if clears(near) else "not significant"
