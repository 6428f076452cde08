"""The score store: one row per image x case, the single source every report is computed from.

A store is one file: Parquet when pyarrow is installed (`scores.parquet`), CSV otherwise
(`scores.csv`); both read back to the same frame. Every write goes to a temporary name and is renamed,
so a reader (or a killed run) never leaves half a store.
"""
from __future__ import annotations

import hashlib
import importlib.util
import logging
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from fakebench.core.cache import atomic_path, home
from fakebench.core.errors import FakebenchError

log = logging.getLogger(__name__)

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
    """The rows of one run, persisted to `path` (when given), atomically: at most every `every` seconds while
    rows arrive, and on `flush` (the run's end). Rewriting the whole file after each of a warm run's hundreds
    of cases cost more than scoring them; a run killed between writes loses nothing, since every case's
    scores are cached in the results home and a rerun reads them back."""

    def __init__(self, path: Path | None = None, every: float = 10.0) -> None:
        self.path = Path(path) if path else None
        self._parts: list[pd.DataFrame] = []
        self._every = every
        self._written = time.monotonic()  # the first rows wait `every` too: a warm run writes once, at the end
        self._dirty = False

    def add(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Validate and keep `rows` (later rows replace earlier ones with the same key); returns them."""
        rows = validate(rows)
        self._parts.append(rows)
        self._dirty = True
        if self.path is not None and time.monotonic() - self._written >= self._every:
            self.flush()
        return rows

    def flush(self) -> None:
        """Write every row kept so far to `path` (nothing to do without a path or new rows)."""
        if self.path is not None and self._dirty:
            write_store(self.frame(), self.path)
            self._written, self._dirty = time.monotonic(), False

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


def frame_hash(frame: pd.DataFrame) -> str:
    """A content hash of a frame: its values row by row (order counts), column names and dtypes."""
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    return digest.hexdigest()[:16]


def cached_frame(kind: str, key: str, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """A frame computed once per `key` (which must hash all it reads) and kept as Parquet at
    home()/kind/key.parquet, so a warm run reads what it would recompute from the same scores (the
    leaderboard's metrics). Parquet reads back every dtype exactly; without pyarrow nothing is kept. An
    unreadable entry is recomputed with one log line, never trusted and never fatal."""
    if not has_parquet():
        return compute()
    path = home() / kind / f"{key}.parquet"
    if path.is_file():
        try:
            return pd.read_parquet(path)
        except Exception as exc:  # noqa: BLE001 - any unreadable entry is recomputed, whatever the reader says
            log.info("%s cache entry %s is unreadable (%s): recomputed", kind, path, exc)
    frame = compute()
    if isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0 and frame.index.step == 1:
        try:
            with atomic_path(path) as tmp:
                frame.to_parquet(tmp, index=False)
        except OSError as exc:  # a read-only home still gets its frame, only not kept
            log.info("%s cache entry %s not written (%s)", kind, path, exc)
    return frame
