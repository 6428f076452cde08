"""Running a detector over an image set: decode (and optionally transform) each image in a loader
worker, apply the detector's input policy to batches of equal size on the model's device, and keep
one (score, error) per image, failures included with their reason.

This is the one scoring loop: training validation calls it directly, the benchmark and `fakebench
score` call it through `fakebench.evaluation.scoring` (which adds perturbations and the score cache).

Images stream through a DataLoader: each item is one work unit (a batch formed in image order, see
`fakebench.core.workunits`), so memory stays flat in the set's size. Under torchrun each rank scores
its own units and the ranks gather the rows; a unit is computed identically at any world size, so the
scores are too.

Scores enter the project here: every batch's output passes `fakebench.detectors.score_contract`, and
a `score()` that raises fails its batch's images with the exception's first line (after retrying
them one at a time, see `_score_batch`), so a misbehaving detector costs its own images, never the
run."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import torch
from PIL import Image
from tqdm.auto import tqdm

from fakebench.core import distributed
from fakebench.core.pixels import pil_to_uint8, uint8_to_float
from fakebench.core.workunits import PreparedUnit, default_workers, size_batches, unit_loader
from fakebench.data.imagesets import ImageSet
from fakebench.detectors.base import Detector, InputPolicy
from fakebench.detectors.score_contract import ScoredImage, accept_scores, raised

# (image, image_id) -> image: what happens to a decoded image before the detector sees it (the
# benchmark's perturbations). It must be picklable (it travels to loader workers) and deterministic
# per image id, so that scores never depend on batch order or worker count.
ImageTransform = Callable[[Image.Image, str], Image.Image]

Results = dict[int, tuple[float, str]]  # record position -> (score, error); NaN score on failure


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


class TransformedImage:
    """Position -> the image decoded, transformed and prepared by the detector's input policy
    (`InputPolicy.prepare`), as uint8 H x W x 3; the rest of the policy runs on the batch, on the model's
    device. Picklable, for DataLoader workers."""

    def __init__(self, imageset: ImageSet, transform: ImageTransform | None, policy: InputPolicy) -> None:
        self.imageset, self.transform, self.policy = imageset, transform, policy

    def __call__(self, pos: int) -> torch.Tensor:
        rec = self.imageset.records[pos]
        image = self.imageset.read(rec)
        if self.transform is not None:
            image = self.transform(image, rec.image_id)
        return pil_to_uint8(self.policy.prepare(image))


RETRY_MISSES = 2  # single-image retries of a raising batch stop after this many raise with none scored


def _call(detector: Detector, x: torch.Tensor) -> tuple[list[ScoredImage], bool]:
    """`score(x)` through the checkpoint, and whether it raised: an exception fails every image of `x`
    with its first line."""
    try:
        return accept_scores(detector.score(x), len(x), detector.score_kind), False
    except Exception as exc:  # a plugin's bug, whatever its type: it costs these images, never the run
        return [(float("nan"), raised(exc))] * len(x), True


def _score_batch(detector: Detector, x: torch.Tensor) -> list[ScoredImage]:
    """One score per image of the batch `x`. When `score()` raises on the batch, its images are retried
    one at a time, which saves the good ones from a detector that trips on some images; the retries
    stop once the first `RETRY_MISSES` all raise too (a detector that raises on everything then costs
    two extra calls per batch), and the images not retried keep the batch's reason."""
    scored, failed = _call(detector, x)
    if len(x) == 1 or not failed:
        return scored
    out: list[ScoredImage] = []
    for i in range(len(x)):
        out += _call(detector, x[i : i + 1])[0]
        if len(out) >= RETRY_MISSES and all(err for _, err in out):
            return out + scored[len(out):]
    return out


def _score_unit(detector: Detector, unit: PreparedUnit, device: torch.device | None) -> Results:
    results = {pos: (float("nan"), err) for pos, err in unit.failed}
    for positions, batch in unit.batches:
        scored = _score_batch(detector, detector.policy.apply(uint8_to_float(batch, device)))
        results.update(zip(positions, scored))
    return results


def units_of(imageset: ImageSet, batch_size: int) -> list[list[int]]:
    """The set's fixed work units: positions batched in image order by decoded size."""
    return size_batches(imageset.records, lambda r: (r.height, r.width), batch_size)


def score_units(detector: Detector, imageset: ImageSet, units: list[tuple[int, list[int]]],
                cfg: ScoringConfig, transform: ImageTransform | None = None, done: Results | None = None,
                save: Callable[[Results], None] | None = None, desc: str = "", progress: bool = False) -> Results:
    """Score the given (index, unit) pairs, skipping those whose positions are all in `done`;
    `save(results)` is called every `cfg.flush_every` units with everything scored so far."""
    results = dict(done or {})
    todo = [u for _, u in units if not all(p in results for p in u)]
    if not todo:
        return results
    device = detector.device  # None: CPU tensors
    loader = unit_loader(todo, TransformedImage(imageset, transform, detector.policy), cfg.workers,
                         pin_memory=device is not None and device.type == "cuda")
    bar = tqdm(total=sum(len(u) for u in todo), desc=desc or f"score {imageset.name}", leave=False,
               disable=not progress, delay=0.5)
    for k, unit in enumerate(loader, 1):
        results.update(_score_unit(detector, unit, device))
        bar.update(len(unit))
        if save is not None and k % cfg.flush_every == 0:
            save(results)
    bar.close()
    return results


def results_frame(imageset: ImageSet, results: Results) -> pd.DataFrame:
    """One row per record (image_id, label, score, error), in record order."""
    return pd.DataFrame({
        "image_id": [r.image_id for r in imageset.records],
        "label": imageset.label,
        "score": [results[i][0] for i in range(len(imageset.records))],
        "error": [results[i][1] for i in range(len(imageset.records))],
    })


def score_imageset(detector: Detector, imageset: ImageSet, transform: ImageTransform | None = None,
                   cfg: ScoringConfig = ScoringConfig(), desc: str = "", progress: bool = False) -> pd.DataFrame:
    """One row per record of `imageset` (image_id, label, score, error), in record order. Under
    torchrun every rank scores its share and every rank returns the whole frame."""
    units = distributed.shard(units_of(imageset, cfg.batch_size))
    mine = score_units(detector, imageset, units, cfg, transform, desc=desc, progress=progress)
    return results_frame(imageset, distributed.gather_merged(mine))
