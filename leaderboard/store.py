"""The score store: one row per image x case, the single source every report is computed from."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from fakebench.cache import atomic_path
from fakebench.errors import FakebenchError

STORE_COLUMNS: tuple[str, ...] = (
    "case_id",  # e.g. aligned-resnet50-mini-playground-jpeg75
    "detector",  # recipe + detector, e.g. aligned-resnet50
    "checkpoint",  # content hash of the detector's weights
    "generator",
    "perturbation",
    "seed",
    "split",
    "image_id",
    "label",  # 1 = fake, 0 = real
    "score",  # probability of "fake"; NaN when the image failed
    "error",  # empty when scored, else why the image could not be scored
)


def validate(frame: pd.DataFrame, source: str = "score table") -> pd.DataFrame:
    missing = [c for c in STORE_COLUMNS if c not in frame.columns]
    if missing:
        raise FakebenchError(
            f"{source} lacks column(s) {', '.join(missing)}",
            fix="rebuild it with this version of fakebench (pytest benchmark/)",
        )
    frame = frame.loc[:, list(STORE_COLUMNS)].copy()
    frame["error"] = frame["error"].fillna("").astype(str)
    frame["label"] = frame["label"].astype(int)
    frame["score"] = frame["score"].astype(float)
    return frame


def read_scores_csv(path: Path) -> pd.DataFrame:
    """Read a CSV of scores: an empty `error` means scored (never NaN), an empty `score` is NaN."""
    frame = pd.read_csv(path, dtype={"image_id": str, "error": str, "case_id": str})
    if "error" in frame.columns:
        frame["error"] = frame["error"].fillna("")
    return frame


class ScoreStore:
    """Rows accumulate in memory during a session and are written once, atomically."""

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []

    def add(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Validate and keep `rows`; returns the validated copy."""
        rows = validate(rows)
        self._parts.append(rows)
        return rows

    def __len__(self) -> int:
        return sum(len(p) for p in self._parts)

    def frame(self) -> pd.DataFrame:
        if not self._parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in STORE_COLUMNS})
        frame = pd.concat(self._parts, ignore_index=True)
        return frame.drop_duplicates(subset=["case_id", "seed", "image_id", "label"], keep="last").reset_index(drop=True)

    def save(self, path: Path) -> Path:
        with atomic_path(path) as tmp:
            self.frame().to_csv(tmp, index=False)
        return path

    @classmethod
    def load(cls, path: Path) -> "ScoreStore":
        path = Path(path)
        if not path.is_file():
            raise FakebenchError(f"score store {str(path)!r} does not exist", fix="run pytest benchmark/ first")
        store = cls()
        store.add(read_scores_csv(path))
        return store
