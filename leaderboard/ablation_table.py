"""The ablation table (issue 24, item 6): what made the difference in the lite world, one change per row.

Each row is one ablation world's results folder, read back through `fakebench.leaderboard.results`
(leaderboard.json) and its run.json (the claims' roles: the Playground-like generator is the one that run
named): balanced accuracy of the paper's detector by recipe (baseline, aligned) and of NPR (aligned) on
the Playground-like generator, clean and post-processed, as mean ± sd over training seeds; then each
claim's value and verdict. The paper's Table 3 numbers sit in a row above ours. A pure function of the
folders: nothing here runs a model."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tabulate import tabulate

from fakebench.core.cache import atomic_write_bytes
from fakebench.core.provenance import read_run_json
from fakebench.detectors.spec import DetectorSpec
from fakebench.evaluation.claims import ClaimContext, ClaimResult, claim_value
from fakebench.leaderboard.results import read_board, read_results
from fakebench.leaderboard.summary import CLEAN, POST_PROCESSED, verdict_word
from fakebench.leaderboard.tables import seed_summary

MARKDOWN_FILE, CSV_FILE = "ablation.md", "ablation.csv"
NPR = DetectorSpec.label_of("npr", "aligned")
COLUMNS = ("baseline", "aligned", "npr")  # the paper's detector by recipe, then NPR (aligned)
PERTURBATIONS = {CLEAN: "clean", POST_PROCESSED: POST_PROCESSED}
# The paper's Table 3 on Playground v2.5, as the README and claim C1 quote it: accuracy, Corvi et al.'s
# baseline vs Ours-Sync (the aligned column), clean and post-processed (the paper's own post-processing; ours
# is resize0.5+jpeg75). Table 3 has no NPR column.
PAPER_TABLE3 = {("baseline", CLEAN): 0.8625, ("aligned", CLEAN): 0.9880,
                ("baseline", POST_PROCESSED): 0.2411, ("aligned", POST_PROCESSED): 0.6383}
PAPER_ROW = "paper, Table 3"
PAPER_CHANGE = "Playground v2.5, accuracy; aligned = Ours-Sync; its own post-processing; no NPR column"


@dataclass(frozen=True)
class AblationRun:
    """One row's input: the ablation world, what it changes (in words), its results folder, and why it has no
    results when it did not finish (empty when it did)."""

    world: str
    change: str
    folder: Path
    status: str = ""


@dataclass(frozen=True)
class AblationRow:
    """One row, read back: the Playground-like generator, the training seeds, the cells and the claims."""

    run: AblationRun
    status: str  # "" when the folder holds results; else why the row is empty
    generator: str = ""
    seeds: int = 0
    # (column, perturbation) -> (mean, sd) of balanced accuracy over seeds; NaN when not scored
    accuracy: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    claims: list[ClaimResult] = field(default_factory=list)


def _labels(roles: ClaimContext) -> dict[str, str]:
    """Column -> the detector label it reads, as the run's roles name the paper's detector."""
    return {"baseline": roles.baseline, "aligned": roles.aligned, "npr": NPR}


def read_row(run: AblationRun) -> AblationRow:
    """A row from `run`'s results folder; a folder without results gives an empty row saying why."""
    if run.status:
        return AblationRow(run, run.status)
    board, _, _ = read_board(run.folder)
    record = read_run_json(run.folder)
    if board is None or not len(board):
        return AblationRow(run, f"no results in {run.folder}")
    if not record or "roles" not in record:
        return AblationRow(run, f"no run.json with the claims' roles in {run.folder}")
    roles = ClaimContext.from_roles(pd.DataFrame(), record["roles"])
    across = seed_summary(board).set_index(["detector", "generator", "perturbation"])
    accuracy = {}
    for column, label in _labels(roles).items():
        for perturbation in PERTURBATIONS:
            key = (label, roles.denoiser_differs, perturbation)
            row = across.loc[key] if key in across.index else None
            accuracy[column, perturbation] = ((math.nan, math.nan) if row is None
                                              else (float(row["bal_acc"]), float(row["bal_acc_std"])))
    return AblationRow(run, "", roles.denoiser_differs, int(board["seed"].nunique()), accuracy,
                       read_results(run.folder).claims)


def _header(column: str, perturbation: str) -> str:
    return f"{column} {PERTURBATIONS[perturbation]}"


def _claim_ids(rows: list[AblationRow]) -> list[str]:
    return list(dict.fromkeys(r.id for row in rows for r in row.claims))


def ablation_csv(rows: list[AblationRow]) -> pd.DataFrame:
    """Every number, one row per world (the paper's first): means, sds, claim values, intervals, verdicts."""
    records = [{"world": PAPER_ROW, "change": PAPER_CHANGE, "status": "",
                **{_header(c, p): PAPER_TABLE3.get((c, p), math.nan) for c in COLUMNS for p in PERTURBATIONS}}]
    for row in rows:
        record = {"world": row.run.world, "change": row.run.change, "status": row.status,
                  "generator": row.generator, "seeds": row.seeds}
        for (column, perturbation), (mean, sd) in row.accuracy.items():
            record[_header(column, perturbation)] = mean
            record[_header(column, perturbation) + " sd"] = sd
        for r in row.claims:
            record.update({r.id: r.value, f"{r.id} lo": r.lo, f"{r.id} hi": r.hi, f"{r.id} verdict": verdict_word(r)})
        records.append(record)
    cells = [f"{_header(c, p)}{sd}" for p in PERTURBATIONS for c in COLUMNS for sd in ("", " sd")]
    claims = [f"{cid}{part}" for cid in _claim_ids(rows) for part in ("", " lo", " hi", " verdict")]
    return pd.DataFrame(records, columns=["world", "change", "status", "generator", "seeds", *cells, *claims])


def _cell(mean: float, sd: float) -> str:
    if math.isnan(mean):
        return "-"
    return f"{mean:.3f}" + ("" if math.isnan(sd) else f" ± {sd:.3f}")


def _md(frame: pd.DataFrame) -> str:
    return tabulate(frame, headers="keys", tablefmt="github", showindex=False)


def ablation_markdown(rows: list[AblationRow]) -> str:
    """Two tables: balanced accuracy on the Playground-like generator (the paper's row first), then the claims."""
    accuracy = [{"ablation": PAPER_ROW, "change": PAPER_CHANGE, "seeds": "",
                 **{_header(c, p): f"{PAPER_TABLE3[c, p]:.4f}" if (c, p) in PAPER_TABLE3 else "not in Table 3"
                    for p in PERTURBATIONS for c in COLUMNS}}]
    for row in rows:
        cells = {_header(c, p): _cell(*row.accuracy.get((c, p), (math.nan, math.nan)))
                 for p in PERTURBATIONS for c in COLUMNS}
        accuracy.append({"ablation": row.run.world, "change": row.run.change,
                         "seeds": str(row.seeds) if not row.status else row.status, **cells})
    claim_ids = _claim_ids(rows)
    claims = []
    for row in rows:
        by_id = {r.id: r for r in row.claims}
        claims.append({"ablation": row.run.world, **{
            cid: f"{claim_value(by_id[cid], seeds=False, interval=False)} {verdict_word(by_id[cid])}"
            if cid in by_id else "-" for cid in claim_ids}})
    generators = sorted({row.generator for row in rows if row.generator})
    parts = [f"Balanced accuracy on the Playground-like generator ({', '.join(generators) or 'none read'}), "
             f"mean ± sd over training seeds; baseline and aligned: the paper's detector by recipe, npr: "
             f"aligned-npr; post-processed: {POST_PROCESSED}.", "", _md(pd.DataFrame(accuracy)), ""]
    if claim_ids:
        parts += ["Claims: value (mean over seeds) and verdict; intervals in ablation.csv.", "",
                  _md(pd.DataFrame(claims)), ""]
    return "\n".join(parts)


def write_ablation_table(runs: list[AblationRun], out_dir: Path) -> dict[str, Path]:
    """ablation.md and ablation.csv in `out_dir`, from the runs' folders; returns their paths."""
    rows = [read_row(run) for run in runs]
    out_dir = Path(out_dir)
    paths = {"markdown": out_dir / MARKDOWN_FILE, "csv": out_dir / CSV_FILE}
    atomic_write_bytes(paths["markdown"], ablation_markdown(rows).encode())
    atomic_write_bytes(paths["csv"], ablation_csv(rows).to_csv(index=False, float_format="%.6g").encode())
    return paths
