"""The leaderboard as a pure function of the score store, and its text renderings (markdown, terminal,
CSV, JSON). Nothing here runs a model or reads anything but the store."""
from __future__ import annotations

import json
import logging
import math
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
from tabulate import tabulate

from fakebench.core.cache import stable_hash
from fakebench.core.errors import first_line
from fakebench.core.seeds import derived_seed
from fakebench.evaluation.calibration import CALIBRATION_KEYS, calibration_thresholds
from fakebench.evaluation.claims import ClaimResult, claims_table
from fakebench.evaluation.failures import case_failures
from fakebench.evaluation.metrics import METRIC_NAMES, BootstrapConfig, CaseMetrics, case_metrics
from fakebench.evaluation.store import TEST_SPLIT, cached_frame, frame_hash
from fakebench.leaderboard.cost_table import flops_table

CASE_KEYS = ["case_id", "detector", "checkpoint", "generator", "perturbation", "seed"]
BOARD_COLUMNS = CASE_KEYS + list(METRIC_NAMES) + ["note"]


log = logging.getLogger(__name__)

LEADERBOARD_SCHEMA = 1  # bumped when a change here or in the metrics moves a board's numbers: cached boards are redone
PARALLEL_ROWS = 200_000  # above this many test rows, cases are computed in worker processes


def _case_row(fields: dict, labels: np.ndarray, scores: np.ndarray, errors: list[str], threshold: float,
              bootstrap: BootstrapConfig) -> dict:
    """One case's row. A case whose metrics cannot be computed still gets its row, with a note saying
    why: one case never costs the others their reports. `errors` are its failed images' reasons."""
    n_failed = len(errors)
    try:
        m = case_metrics(labels, scores, n_failed=n_failed, threshold_cal=threshold, bootstrap=bootstrap)
    except Exception as exc:  # whatever breaks one case's metrics stays in its row
        log.warning("case %s: metrics cannot be computed: %s", fields["case_id"], first_line(exc))
        m = CaseMetrics.missing(int((labels == 0).sum()), int((labels == 1).sum()), n_failed,
                                f"metrics cannot be computed: {first_line(exc)}")
    note = m.note
    if math.isnan(threshold) and not note:
        note = "no clean calibration reals in the store: real_fpr_cal is missing"
    failures = case_failures([""] * len(scores) + errors)
    if failures.fails_case:
        note = f"case failed: {failures.line(fields['detector'])}" + (f"; {note}" if note else "")
    return {**fields, **m.as_dict(), "note": note}


def _case_row_args(args: tuple) -> dict:
    return _case_row(*args)


def leaderboard_frame(scores: pd.DataFrame, bootstrap: BootstrapConfig = BootstrapConfig(),
                      workers: int | None = None) -> pd.DataFrame:
    """One row per test case with every metric; failed images are counted, not scored. Cached in the
    results home on the scores' content (a warm run's unchanged store is not measured again).

    Big stores spread cases over `workers` processes (default: one per core); the result does not
    depend on it, since each case's bootstrap seed comes from the case alone."""
    key = stable_hash("leaderboard", LEADERBOARD_SCHEMA, frame_hash(scores), bootstrap)
    return cached_frame("leaderboards", key, lambda: _measured(scores, bootstrap, workers))


def _measured(scores: pd.DataFrame, bootstrap: BootstrapConfig, workers: int | None) -> pd.DataFrame:
    thresholds = calibration_thresholds(scores)
    test = scores[scores["split"] == TEST_SPLIT]
    jobs = []
    for key, group in test.groupby(CASE_KEYS, sort=False):
        fields = dict(zip(CASE_KEYS, key))
        ok = group["error"] == ""
        threshold = thresholds.get(tuple(fields[k] for k in CALIBRATION_KEYS), math.nan)
        boot = BootstrapConfig(bootstrap.resamples, bootstrap.level,
                               derived_seed(bootstrap.seed, fields["case_id"], fields["seed"]))  # not row order
        jobs.append((fields, group["label"].to_numpy()[ok.to_numpy()], group["score"].to_numpy()[ok.to_numpy()],
                     group.loc[~ok, "error"].tolist(), threshold, boot))
    workers = workers or os.cpu_count() or 1
    if workers > 1 and len(test) > PARALLEL_ROWS and len(jobs) > 1:
        # spawn, not fork: the caller may hold threads (torch, OpenMP) that a fork would copy locked
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            rows = list(pool.map(_case_row_args, jobs, chunksize=max(1, len(jobs) // (4 * workers))))
    else:
        rows = [_case_row(*job) for job in jobs]
    frame = pd.DataFrame(rows, columns=BOARD_COLUMNS)
    # perturbations in the order the cases ran (the grid's order, clean first), not alphabetical
    order = {p: (p != "identity", i) for i, p in enumerate(dict.fromkeys(test["perturbation"]))}
    frame["_order"] = frame["perturbation"].map(order)
    frame = frame.sort_values(["generator", "_order", "bal_acc", "detector", "seed"],
                              ascending=[True, True, False, True, True], ignore_index=True)
    return frame.drop(columns="_order")


def overall_ranking(board: pd.DataFrame) -> pd.DataFrame:
    """Detectors ranked by mean balanced accuracy over every case they ran, with their worst case."""
    rows = []
    for detector, group in board.groupby("detector"):
        worst = group.loc[group["bal_acc"].idxmin()] if group["bal_acc"].notna().any() else None
        rows.append({
            "detector": detector,
            "cases": len(group),
            "mean_bal_acc": group["bal_acc"].mean(),
            "mean_auc": group["auc"].mean(),
            "mean_real_fpr_cal": group["real_fpr_cal"].mean(),
            "worst_bal_acc": group["bal_acc"].min(),
            "worst_case": f"{worst['generator']} / {worst['perturbation']}" if worst is not None else "",
        })
    columns = ["detector", "cases", "mean_bal_acc", "mean_auc", "mean_real_fpr_cal", "worst_bal_acc", "worst_case"]
    return pd.DataFrame(rows, columns=columns).sort_values("mean_bal_acc", ascending=False, ignore_index=True)


def seed_summary(board: pd.DataFrame) -> pd.DataFrame:
    """One row per case over its training seeds: mean and standard deviation of the headline metrics,
    and the per-seed bootstrap intervals averaged (the image-sampling uncertainty of one seed)."""
    keys = ["case_id", "detector", "generator", "perturbation"]
    agg = board.groupby(keys, sort=False).agg(
        seeds=("seed", "nunique"),
        bal_acc=("bal_acc", "mean"), bal_acc_std=("bal_acc", "std"),
        bal_acc_lo=("bal_acc_lo", "mean"), bal_acc_hi=("bal_acc_hi", "mean"),
        auc=("auc", "mean"), auc_std=("auc", "std"), auc_lo=("auc_lo", "mean"), auc_hi=("auc_hi", "mean"),
        real_fpr_cal=("real_fpr_cal", "mean"), real_fpr_cal_std=("real_fpr_cal", "std"),
    )
    return agg.reset_index()


def _estimate(value: float, lo: float = math.nan, hi: float = math.nan, std: float = math.nan) -> str:
    """`0.947`, `0.947 [0.927, 0.965]` or `0.947 ± 0.010 [0.927, 0.965]`, as far as the numbers exist."""
    if math.isnan(value):
        return "n/a"
    text = f"{value:.3f}" + (f" ± {std:.3f}" if not math.isnan(std) else "")
    return text + (f" [{lo:.3f}, {hi:.3f}]" if not math.isnan(lo) else "")


def _estimates(frame: pd.DataFrame, metric: str, interval: bool = True, spread: bool = False) -> list[str]:
    """One column's cells: `metric` with, where asked, its 95% interval (`<metric>_lo/_hi`) and its
    standard deviation over seeds (`<metric>_std`)."""
    nan = pd.Series(math.nan, index=frame.index)
    lo, hi = (frame[f"{metric}_lo"], frame[f"{metric}_hi"]) if interval else (nan, nan)
    std = frame[f"{metric}_std"] if spread else nan
    return [_estimate(m, a, b, s) for m, a, b, s in zip(frame[metric], lo, hi, std)]


CASE_COLUMNS = ("detector", "generator", "perturbation")  # what names a case in every table


def seed_display_frame(summary: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        **{c: summary[c] for c in CASE_COLUMNS},
        "seeds": summary["seeds"],
        "bal. acc mean ± std [95% CI]": _estimates(summary, "bal_acc", spread=True),
        "AUC mean ± std [95% CI]": _estimates(summary, "auc", spread=True),
        "real FPR@cal mean ± std": _estimates(summary, "real_fpr_cal", interval=False, spread=True),
    })


def display_frame(board: pd.DataFrame) -> pd.DataFrame:
    """The per-case table as people read it: intervals next to their estimate, short headers."""
    return pd.DataFrame({
        **{c: board[c] for c in CASE_COLUMNS},
        "seed": board["seed"],
        "n real/fake/failed": [f"{r}/{f}/{x}" for r, f, x in zip(board["n_real"], board["n_fake"], board["n_failed"])],
        "real acc": board["real_acc"],
        "fake acc": board["fake_acc"],
        "bal. acc [95% CI]": _estimates(board, "bal_acc"),
        "AUC [95% CI]": _estimates(board, "auc"),
        "AP": board["ap"],
        "TPR@1%FPR": board["tpr_at_fpr1"],
        "TPR@5%FPR": board["tpr_at_fpr5"],
        "real FPR@cal": board["real_fpr_cal"],
        "ECE": board["ece"],
    })


SEEDS_NOTE = ("Several training seeds: each cell is the mean ± standard deviation over seeds, with the per-seed "
              "95% bootstrap interval averaged; leaderboard.csv has every seed's row.")


def generator_tables(board: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """The per-generator tables people read: per case, or per case across seeds when there are several."""
    summary = seed_summary(board) if board["seed"].nunique() > 1 else None
    tables = []
    for generator, group in board.groupby("generator", sort=True):
        table = (display_frame(group) if summary is None
                 else seed_display_frame(summary[summary["generator"] == generator]))
        tables.append((generator, table.drop(columns="generator")))
    return tables


def _fmt(frame: pd.DataFrame, tablefmt: str, missingval: str = "n/a") -> str:
    return tabulate(frame, headers="keys", tablefmt=tablefmt, showindex=False, floatfmt=".3f", missingval=missingval)


METRIC_GLOSSARY = (
    "Fake is the positive class. Accuracies at threshold 0.5; 95% CI: seeded bootstrap over images "
    "(reals and fakes resampled separately). real FPR@cal: share of reals above the threshold that gives "
    "5% FPR on clean held-out reals; above 0.05 under a perturbation means the detector flags perturbed "
    "reals as fake. ECE: expected calibration error, 10 bins."
)


DETECTION_NOTE = ("Per detector: the first row is the share of reals called real (true-negative rate), the others "
                  "the share of each generator's fakes called fake (true-positive rate); `@0.5` at threshold 0.5, "
                  "`@cal` at the threshold giving 5% FPR on clean held-out reals.")


def to_markdown(board: pd.DataFrame, claims: list[ClaimResult] | None = None, cost: dict | None = None,
                run_record: str = "", detection: list[tuple[str, pd.DataFrame]] | None = None,
                summary: str = "") -> str:
    """The answer first: `summary` (fakebench.leaderboard.summary: ranking, Table-3-style table, claims,
    failed floors), then the claims in full and the grids, then `run_record` (fakebench.leaderboard.run_record,
    collapsed in `<details>`); `detection`: the per-generator detection tables (fakebench.leaderboard.detection)."""
    parts = ["# fakebench leaderboard", ""] + ([summary, ""] if summary else [])
    if not summary:
        parts += ["## Overall ranking", "", _fmt(overall_ranking(board), "github"), ""]
    parts += ["## In full", "", METRIC_GLOSSARY, ""]
    if claims:
        parts += ["### Claims (the paper's findings)", "", _fmt(claims_table(claims), "github"), ""]
    if cost and cost.get("flops"):
        parts += ["### Cost per image (C5)", "", flops_table(cost, "github"), ""]
    if detection:
        parts += ["### Detection per generator", "", DETECTION_NOTE, ""]
        for detector, table in detection:
            parts += [f"#### {detector}", "", _fmt(table.astype(object).where(table.notna(), None), "github"), ""]
    if board["seed"].nunique() > 1:
        parts += [SEEDS_NOTE, ""]
    for generator, table in generator_tables(board):
        parts += [f"### {generator}", "", _fmt(table, "github"), ""]
    notes = board[board["note"] != ""]
    if len(notes):
        parts += ["### Notes", ""] + [f"- `{r.case_id}` (seed {r.seed}): {r.note}" for r in notes.itertuples()] + [""]
    if run_record:
        parts += [run_record, ""]
    return "\n".join(parts)


def _jsonable(value):
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def to_json(board: pd.DataFrame, version: str, claims: list[ClaimResult] | None = None,
            cost: dict | None = None, extra: dict | None = None) -> str:
    """`extra`: further top-level fields (the summary's claim roles and failed floors)."""
    def records(frame: pd.DataFrame) -> list[dict]:
        return [{k: _jsonable(v) for k, v in row.items()} for row in frame.to_dict("records")]

    doc = {"fakebench_version": version, "metrics": METRIC_GLOSSARY,
           "ranking": records(overall_ranking(board)), "cases": records(board),
           "across_seeds": records(seed_summary(board)),
           "claims": [{k: _jsonable(v) for k, v in c.as_dict().items()} for c in claims or []],
           "cost": cost, **(extra or {})}
    return json.dumps(doc, indent=1, allow_nan=False)
