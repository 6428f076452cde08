"""Scoring an image set under a perturbation: decode, perturb, apply the detector's input policy,
batch images of equal size, and keep one row per image (failures included, with their reason).

Images stream through a DataLoader: each item is one work unit (a batch formed in image order, see
`fakebench.core.workunits`), decoded and perturbed by the loader's workers while the model runs, so
memory stays flat in the set's size. Under torchrun each rank scores its own units and the ranks
gather the rows; a unit is computed identically at any world size, so the scores are too."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch
from tqdm.auto import tqdm

from benchmark.perturbations import Identity, Perturbation, apply
from detectors.base import Detector
from fakebench.core import distributed
from fakebench.core.cache import artifact_dir, atomic_path, stable_hash
from fakebench.core.imageio import pil_to_uint8, uint8_to_float
from fakebench.core.workunits import PreparedUnit, default_workers, size_batches, unit_loader
from generators.imagesets import ImageSet
from leaderboard.store import read_scores_csv

log = logging.getLogger(__name__)

SCORES_FORMAT = 3  # bump when the scores a detector returns change (2: float64 sigmoid; 3: fixed units)


@dataclass(frozen=True)
class ScoringConfig:
    """How images reach the model. None of it changes a score (units are fixed by `batch_size`, which
    is therefore part of the score cache key)."""

    batch_size: int = 64
    num_workers: int | None = None  # None: `default_workers()`
    flush_every: int = 64  # units between progress saves, so a killed run resumes mid-set

    @property
    def workers(self) -> int:
        return default_workers() if self.num_workers is None else self.num_workers


class PerturbedImage:
    """Position -> the image decoded and perturbed (seeded per image), as uint8 H x W x 3; the
    detector's input policy runs on the batch, on the model's device. Picklable, for DataLoader
    workers."""

    def __init__(self, imageset: ImageSet, perturbation: Perturbation, seed: int) -> None:
        self.imageset, self.perturbation, self.seed = imageset, perturbation, seed

    def __call__(self, pos: int) -> torch.Tensor:
        rec = self.imageset.records[pos]
        return pil_to_uint8(apply(self.perturbation, self.imageset.read(rec), self.seed, rec.image_id))


def _score_unit(detector: Detector, unit: PreparedUnit, device: torch.device | None) -> dict[int, tuple[float, str]]:
    results = {pos: (float("nan"), err) for pos, err in unit.failed}
    for positions, batch in unit.batches:
        probs = detector.score(detector.policy.apply(uint8_to_float(batch, device)))
        results.update({pos: (float(p), "") for pos, p in zip(positions, probs.tolist())})
    return results


def _model_device(detector: Detector) -> torch.device | None:
    """Where a torch detector's weights are (None for others: they get CPU tensors)."""
    if isinstance(detector, torch.nn.Module):
        tensor = next(iter(detector.parameters()), None)
        if tensor is None:
            tensor = next(iter(detector.buffers()), None)
        return tensor.device if tensor is not None else None
    return None


def units_of(imageset: ImageSet, batch_size: int) -> list[list[int]]:
    return size_batches(imageset.records, lambda r: (r.height, r.width), batch_size)


def score_units(detector: Detector, imageset: ImageSet, perturbation: Perturbation, seed: int,
                units: list[tuple[int, list[int]]], cfg: ScoringConfig,
                done: dict[int, tuple[float, str]] | None = None,
                save=None, progress: bool = False) -> dict[int, tuple[float, str]]:
    """Score the given (index, unit) pairs, skipping those whose positions are all in `done`;
    `save(results)` is called every `cfg.flush_every` units with everything scored so far."""
    results = dict(done or {})
    todo = [u for _, u in units if not all(p in results for p in u)]
    if not todo:
        return results
    device = _model_device(detector)
    loader = unit_loader(todo, PerturbedImage(imageset, perturbation, seed), cfg.workers,
                         pin_memory=device is not None and device.type == "cuda")
    bar = tqdm(total=sum(len(u) for u in todo), desc=f"score {imageset.name} [{perturbation.id}]", leave=False,
               disable=not progress, delay=0.5)
    for k, unit in enumerate(loader, 1):
        results.update(_score_unit(detector, unit, device))
        bar.update(len(unit))
        if save is not None and k % cfg.flush_every == 0:
            save(results)
    bar.close()
    return results


def _frame(imageset: ImageSet, results: dict[int, tuple[float, str]]) -> pd.DataFrame:
    return pd.DataFrame({
        "image_id": [r.image_id for r in imageset.records],
        "label": imageset.label,
        "score": [results[i][0] for i in range(len(imageset.records))],
        "error": [results[i][1] for i in range(len(imageset.records))],
    })


def score_images(detector: Detector, imageset: ImageSet, perturbation: Perturbation = Identity(), seed: int = 0,
                 cfg: ScoringConfig = ScoringConfig(), progress: bool = False) -> pd.DataFrame:
    """One row per record of `imageset` (image_id, label, score, error), in record order. Under
    torchrun every rank scores its share and every rank returns the whole frame."""
    units = distributed.shard(units_of(imageset, cfg.batch_size))
    mine = score_units(detector, imageset, perturbation, seed, units, cfg, progress=progress)
    merged: dict[int, tuple[float, str]] = {}
    for part in distributed.all_gather(mine):
        merged.update(part)
    return _frame(imageset, merged)


def _read_partial(path: Path) -> dict[int, tuple[float, str]]:
    if not path.is_file():
        return {}
    frame = pd.read_csv(path, keep_default_na=False, na_values={"score": [""]}, dtype={"error": str})
    return {int(p): (float(s), e) for p, s, e in zip(frame["pos"], frame["score"], frame["error"])}


def _write_partial(path: Path, results: dict[int, tuple[float, str]]) -> None:
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

    key = stable_hash("scores", SCORES_FORMAT, detector.name, checkpoint, imageset.key, perturbation.id, seed,
                      detector.policy, cfg.batch_size, getattr(detector, "compiled", False))
    folder = artifact_dir("scores", key[:2])
    path = folder / f"{key}.csv"
    if path.is_file():
        return read_scores_csv(path)
    rank = distributed.current()
    partial = folder / f"{key}.rank{rank.rank}of{rank.world}.partial.csv"
    with artifact_lock(partial, f"scores of {imageset.name} [{perturbation.id}]"):
        units = distributed.shard(units_of(imageset, cfg.batch_size), rank)
        mine = score_units(detector, imageset, perturbation, seed, units, cfg, done=_read_partial(partial),
                           save=lambda r: _write_partial(partial, r), progress=True)
        _write_partial(partial, mine)
    merged: dict[int, tuple[float, str]] = {}
    for part in distributed.all_gather(mine):
        merged.update(part)
    frame = _frame(imageset, merged)
    if rank.is_main:
        with atomic_path(path) as tmp:
            frame.to_csv(tmp, index=False, float_format="%.17g")
    distributed.barrier()
    partial.unlink(missing_ok=True)
    return frame


def detector_scores(detector: Detector, imageset: ImageSet, perturbation: Perturbation, seed: int,
                    cfg: ScoringConfig = ScoringConfig()) -> pd.DataFrame:
    """Scores are cached only for a detector that names its weights (`checkpoint_hash`): one without
    (a plugin) is scored afresh each run, so an edit to it can never meet stale scores."""
    checkpoint = getattr(detector, "checkpoint_hash", "")
    if checkpoint:
        return cached_scores(detector, checkpoint, imageset, perturbation, seed, cfg)
    return score_images(detector, imageset, perturbation, seed, cfg, progress=True)
