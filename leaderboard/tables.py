"""The leaderboard as a pure function of the score store, and its markdown / CSV renderings."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from tabulate import tabulate

from fakebench.cache import atomic_write_bytes
from leaderboard.metrics import case_metrics

CASE_KEYS = ["case_id", "detector", "generator", "perturbation"]
METRIC_COLUMNS = ["n_real", "n_fake", "n_failed", "real_acc", "fake_acc", "bal_acc", "auc", "ap"]
SHOWN = ["detector", "generator", "perturbation", "n_real", "n_fake", "n_failed", "real_acc", "fake_acc",
         "bal_acc", "auc"]


def leaderboard_frame(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per case with its metrics; failed images are counted, not scored."""
    rows = []
    for key, group in scores.groupby(CASE_KEYS, sort=False):
        ok = group[group["error"] == ""]
        m = case_metrics(ok["label"], ok["score"], n_failed=int((group["error"] != "").sum()))
        rows.append({**dict(zip(CASE_KEYS, key)), **m.as_dict()})
    frame = pd.DataFrame(rows, columns=CASE_KEYS + METRIC_COLUMNS + ["note"])
    return frame.sort_values(["generator", "perturbation", "bal_acc", "detector"],
                             ascending=[True, True, False, True], ignore_index=True)


def overall_ranking(board: pd.DataFrame) -> pd.DataFrame:
    """Detectors ranked by mean balanced accuracy over every case they ran."""
    agg = board.groupby("detector").agg(cases=("case_id", "count"), mean_bal_acc=("bal_acc", "mean"),
                                        mean_auc=("auc", "mean"), worst_bal_acc=("bal_acc", "min"))
    return agg.sort_values("mean_bal_acc", ascending=False).reset_index()


def _fmt(frame: pd.DataFrame, tablefmt: str) -> str:
    return tabulate(frame, headers="keys", tablefmt=tablefmt, showindex=False, floatfmt=".3f")


def to_markdown(board: pd.DataFrame) -> str:
    parts = ["# fakebench leaderboard", "", "## Overall ranking", "", _fmt(overall_ranking(board), "github"), ""]
    for generator, group in board.groupby("generator", sort=True):
        parts += [f"## {generator}", "", _fmt(group[SHOWN].drop(columns="generator"), "github"), ""]
    notes = board[board["note"] != ""]
    if len(notes):
        parts += ["## Notes", ""] + [f"- `{r.case_id}`: {r.note}" for r in notes.itertuples()] + [""]
    return "\n".join(parts)


def terminal_table(board: pd.DataFrame) -> str:
    return _fmt(board[SHOWN], "simple")


def write_reports(scores: pd.DataFrame, out_dir: Path) -> dict[str, Path]:
    """Write leaderboard.md and leaderboard.csv (atomically) and return their paths."""
    board = leaderboard_frame(scores)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": out_dir / "leaderboard.md", "csv": out_dir / "leaderboard.csv"}
    atomic_write_bytes(paths["markdown"], to_markdown(board).encode())
    atomic_write_bytes(paths["csv"], board.to_csv(index=False, float_format="%.6f").encode())
    return paths
