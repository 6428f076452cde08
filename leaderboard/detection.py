"""Per-generator detection table: for each detector, the reals' true-negative rate first, then each
generator's true-positive rate, at threshold 0.5 and at the calibrated threshold (5% FPR on clean
held-out reals), clean and under the headline perturbations.

It puts a detector's behaviour on reals beside every generator, as OpenFake's table does, so that a
detector scoring 0.99 on reals and 0.00 on one generator shows it at a glance. A pure function of
the store; several training seeds are averaged (rates per seed, then the mean)."""
from __future__ import annotations

import math

import pandas as pd

from fakebench.evaluation.perturbations import QUICK_PERTURBATIONS
from fakebench.evaluation.store import TEST_SPLIT
from fakebench.leaderboard.tables import CALIBRATION_KEYS, calibration_thresholds

REALS_ROW = "reals (TNR)"


def headline_perturbations(perturbations: list[str]) -> list[str]:
    """The headline perturbations the store holds (clean first); failing those, its first three."""
    chosen = [p for p in QUICK_PERTURBATIONS if p in perturbations]
    return chosen or list(dict.fromkeys(perturbations))[:3]


def _rates(rows: pd.DataFrame, fake: bool) -> dict[str, float]:
    """Mean over seeds of the per-seed share of correct calls, at 0.5 and at the calibrated threshold."""
    if not len(rows):
        return {"@0.5": math.nan, "@cal": math.nan}
    seeds = rows["seed"]
    at_half = ((rows["score"] >= 0.5) == fake).groupby(seeds).mean().mean()
    at_cal = (math.nan if rows["threshold"].isna().any()
              else ((rows["score"] > rows["threshold"]) == fake).groupby(seeds).mean().mean())
    return {"@0.5": float(at_half), "@cal": float(at_cal)}


def detection_tables(scores: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """(detector, table) pairs; rows: reals then generators; columns: images (per seed), `<perturbation> @0.5|@cal`
    for the headline perturbations that detector was scored under."""
    test = scores[(scores["split"] == TEST_SPLIT) & (scores["error"] == "")]
    if not len(test):
        return []
    thresholds = calibration_thresholds(scores)
    test = test.assign(threshold=[thresholds.get(k, math.nan) for k in
                                  zip(*(test[c] for c in CALIBRATION_KEYS), strict=True)])
    tables = []
    for detector, rows in test.groupby("detector", sort=True):
        # per detector: the perturbations it was scored under, so no column is empty
        perturbations = headline_perturbations(list(dict.fromkeys(rows["perturbation"])))
        rows = rows[rows["perturbation"].isin(perturbations)]
        # reals are shared by many cases: each real image counts once per seed and perturbation
        reals = rows[rows["label"] == 0].drop_duplicates(["seed", "checkpoint", "perturbation", "image_id"])
        groups = [(REALS_ROW, reals, False)]
        groups += [(f"{g} (TPR)", part, True) for g, part in rows[rows["label"] == 1].groupby("generator", sort=True)]
        table = []
        for name, part, is_fake in groups:
            sizes = part.groupby(["seed", "perturbation"]).size()
            row: dict[str, object] = {"": name, "images": int(sizes.max()) if len(sizes) else 0}
            for p in perturbations:
                for key, value in _rates(part[part["perturbation"] == p], is_fake).items():
                    row[f"{p} {key}"] = value
            table.append(row)
        tables.append((detector, pd.DataFrame(table)))
    return tables
