"""Scoring an image set under a perturbation, with the score cache: the benchmark's and `fakebench
score`'s way in to `fakebench.detectors.inference` (the one scoring loop). A perturbation becomes the loop's
per-image transform, seeded per image, so scores never depend on batch order or worker count."""
from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
from PIL import Image

from fakebench.core import distributed
from fakebench.core.cache import artifact_dir, atomic_path, stable_hash
from fakebench.data.imagesets import ImageSet
from fakebench.detectors.base import Detector
from fakebench.detectors.inference import (
    Results,
    ScoringConfig,
    results_frame,
    score_imageset,
    score_units,
    units_of,
)
from fakebench.detectors.score_contract import PROBABILITY, is_score_failure
from fakebench.evaluation.perturbations import Identity, Perturbation, apply
from fakebench.evaluation.store import read_scores_csv

log = logging.getLogger(__name__)

SCORES_FORMAT = 3  # bump when the scores a detector returns change (2: float64 sigmoid; 3: fixed units)

__all__ = ["ScoringConfig", "cached_scores", "detector_scores", "score_images"]


class PerturbationTransform:
    """A perturbation as the scoring loop's per-image transform (picklable, seeded per image)."""

    def __init__(self, perturbation: Perturbation, seed: int) -> None:
        self.perturbation, self.seed = perturbation, seed

    def __call__(self, image: Image.Image, image_id: str) -> Image.Image:
        return apply(self.perturbation, image, self.seed, image_id)


def _desc(imageset: ImageSet, perturbation: Perturbation) -> str:
    return f"score {imageset.name} [{perturbation.id}]"


def score_images(detector: Detector, imageset: ImageSet, perturbation: Perturbation = Identity(), seed: int = 0,
                 cfg: ScoringConfig = ScoringConfig(), progress: bool = False) -> pd.DataFrame:
    """One row per record of `imageset` (image_id, label, score, error) under `perturbation`, uncached."""
    return score_imageset(detector, imageset, PerturbationTransform(perturbation, seed), cfg,
                          desc=_desc(imageset, perturbation), progress=progress)


def _read_partial(path: Path) -> Results:
    if not path.is_file():
        return {}
    frame = pd.read_csv(path, keep_default_na=False, na_values={"score": [""]}, dtype={"error": str})
    return {int(p): (float(s), e) for p, s, e in zip(frame["pos"], frame["score"], frame["error"])}


def _kept(results: Results) -> Results:
    """What may be cached: everything but the images the detector failed (a fixed plugin, or a passing
    fault, must meet them again rather than their cached failure)."""
    return {p: r for p, r in results.items() if not is_score_failure(r[1])}


def _write_partial(path: Path, results: Results) -> None:
    results = _kept(results)
    positions = sorted(results)
    frame = pd.DataFrame({"pos": positions, "score": [results[p][0] for p in positions],
                          "error": [results[p][1] for p in positions]})
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.17g")


def cached_scores(detector: Detector, checkpoint: str, imageset: ImageSet, perturbation: Perturbation,
                  seed: int, cfg: ScoringConfig = ScoringConfig()) -> pd.DataFrame:
    """`score_images`, cached by (checkpoint, set, perturbation, seed, input policy, batch size, compiled).

    Each rank saves its progress every few units (`<key>.rank<r>of<w>.partial.csv`), so a killed run
    resumes mid-set; the finished table is written once, by rank 0, under the key."""
    from fakebench.core.locks import artifact_lock

    # the score kind joins the key only when it is not the default, so existing keys stay as they were
    kind = () if detector.score_kind == PROBABILITY else (detector.score_kind,)
    key = stable_hash("scores", SCORES_FORMAT, detector.name, checkpoint, imageset.key, perturbation.id, seed,
                      detector.policy.for_key(), cfg.batch_size, detector.compiled, *kind)
    folder = artifact_dir("scores", key[:2])
    path = folder / f"{key}.csv"
    if path.is_file():
        return read_scores_csv(path)
    rank = distributed.current()
    partial = folder / f"{key}.rank{rank.rank}of{rank.world_size}.partial.csv"
    with artifact_lock(partial, f"scores of {imageset.name} [{perturbation.id}]"):
        units = distributed.shard(units_of(imageset, cfg.batch_size), rank)
        mine = score_units(detector, imageset, units, cfg, PerturbationTransform(perturbation, seed),
                           done=_read_partial(partial), save=lambda r: _write_partial(partial, r),
                           desc=_desc(imageset, perturbation), progress=True)
        _write_partial(partial, mine)
    merged = distributed.gather_merged(mine)
    frame = results_frame(imageset, merged)
    if rank.is_main and len(_kept(merged)) == len(merged):
        with atomic_path(path) as tmp:
            frame.to_csv(tmp, index=False, float_format="%.17g")
    distributed.barrier()
    partial.unlink(missing_ok=True)
    return frame


def detector_scores(detector: Detector, imageset: ImageSet, perturbation: Perturbation, seed: int,
                    cfg: ScoringConfig = ScoringConfig()) -> pd.DataFrame:
    """Scores are cached only for a detector that names its weights (`checkpoint_hash`): one without
    (a plugin) is scored afresh each run, so an edit to it can never meet stale scores."""
    if detector.checkpoint_hash:
        return cached_scores(detector, detector.checkpoint_hash, imageset, perturbation, seed, cfg)
    return score_images(detector, imageset, perturbation, seed, cfg, progress=True)
