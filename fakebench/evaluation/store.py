"""The score store: one row per image x case, the single source every report is computed from.

A store is one file: Parquet when pyarrow is installed (`scores.parquet`), CSV otherwise
(`scores.csv`); both read back to the same frame. Every write goes to a temporary name and is renamed,
so a reader (or a killed run) never leaves half a store.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

from fakebench.core.cache import atomic_path
from fakebench.core.errors import FakebenchError

STORE_COLUMNS: tuple[str, ...] = (
    "case_id",  # e.g. aligned-resnet50-mini-playground-jpeg75; `<detector>-calibration` for calibration reals
    "detector",  # recipe + detector, e.g. aligned-resnet50
    "checkpoint",  # content hash of the detector's weights
    "generator",  # empty for calibration rows
    "split",  # "test", or "calibration" for the clean held-out reals that set the calibrated threshold
    "perturbation",
    "seed",  # the detector's training seed
    "bench_seed",  # the seed of the test fakes and of the perturbations' randomness
    "image_id",
    "label",  # 1 = fake, 0 = real
    "score",  # probability of "fake"; NaN when the image failed
    "error",  # empty when scored, else why the image could not be scored
    "fakebench_version",  # the version that wrote the row: a store never mixes versions
)
ROW_KEY: list[str] = ["case_id", "seed", "image_id", "label"]  # one row per image x case
TEST_SPLIT, CALIBRATION_SPLIT = "test", "calibration"
_TEXT = ["case_id", "detector", "checkpoint", "generator", "split", "perturbation", "image_id", "error",
         "fakebench_version"]


def cost_path(store: Path) -> Path:
    """The C5 cost record kept beside a store (reports rebuilt from the store read it too)."""
    return Path(store).with_name("cost.json")


def has_parquet() -> bool:
    return importlib.util.find_spec("pyarrow") is not None


def default_store_name() -> str:
    return "scores.parquet" if has_parquet() else "scores.csv"


def validate(frame: pd.DataFrame, source: str = "score table") -> pd.DataFrame:
    """Columns present, types fixed, one fakebench version; returns a copy in STORE_COLUMNS order."""
    missing = [c for c in STORE_COLUMNS if c not in frame.columns]
    if missing:
        raise FakebenchError(f"{source} lacks column(s) {', '.join(missing)}",
                             fix="rebuild it with this version of fakebench (pytest benchmark/)")
    frame = frame.loc[:, list(STORE_COLUMNS)].copy()
    for col in _TEXT:
        frame[col] = frame[col].fillna("").astype(str)
    versions = sorted(frame["fakebench_version"].unique())
    if len(versions) > 1:
        raise FakebenchError(f"{source} mixes rows written by fakebench versions {', '.join(versions)}",
                             fix="rebuild the store with one version, or report each version's store on its own")
    try:
        frame["label"] = frame["label"].astype(int)
        frame["seed"] = frame["seed"].astype(int)
        frame["bench_seed"] = frame["bench_seed"].astype(int)
        frame["score"] = frame["score"].astype(float)
    except (TypeError, ValueError) as exc:
        raise FakebenchError(f"{source} has a non-numeric label, seed or score ({exc})",
                             fix="rebuild it with pytest benchmark/") from None
    bad_labels = sorted(int(v) for v in set(frame["label"].unique()) - {0, 1})
    if bad_labels:
        raise FakebenchError(f"{source} has labels {bad_labels}; only 0 (real) and 1 (fake) are allowed",
                             fix="rebuild it with pytest benchmark/")
    return frame


def read_scores_csv(path: Path) -> pd.DataFrame:
    """Read a CSV of scores: an empty `error` means scored (never NaN), an empty `score` is NaN."""
    frame = pd.read_csv(path, dtype={c: str for c in _TEXT}, keep_default_na=False, na_values={"score": [""]})
    return frame


def read_store(path: Path) -> pd.DataFrame:
    """A store file (Parquet or CSV), validated. Errors name the file."""
    path = Path(path)
    if not path.is_file():
        raise FakebenchError(f"score store {str(path)!r} does not exist",
                             fix="pass the scores.parquet / scores.csv that pytest benchmark/ wrote")
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:
            frame = read_scores_csv(path)
    except (OSError, ValueError, ImportError) as exc:
        raise FakebenchError(f"cannot read score store {str(path)!r}: {exc}",
                             fix="pass a store written by fakebench (.parquet needs pyarrow)") from None
    return validate(frame, source=f"score store {str(path)!r}")


def write_store(frame: pd.DataFrame, path: Path) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        if path.suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False)
    return path


class ScoreStore:
    """The rows of one run, persisted to `path` (when given) after every append, atomically."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else None
        self._parts: list[pd.DataFrame] = []

    def add(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Validate and keep `rows` (later rows replace earlier ones with the same key); returns them."""
        rows = validate(rows)
        self._parts.append(rows)
        if self.path is not None:
            write_store(self.frame(), self.path)
        return rows

    def __len__(self) -> int:
        return sum(len(p) for p in self._parts)

    def frame(self) -> pd.DataFrame:
        if not self._parts:
            return validate(pd.DataFrame({c: pd.Series(dtype=object) for c in STORE_COLUMNS}))
        frame = pd.concat(self._parts, ignore_index=True)
        frame = frame.drop_duplicates(subset=ROW_KEY, keep="last").reset_index(drop=True)
        self._parts = [frame]
        return frame

    @classmethod
    def load(cls, path: Path) -> ScoreStore:
        store = cls()
        store._parts.append(read_store(path))
        return store
