"""Scoring an image set under a perturbation: decode, perturb, apply the detector's input policy,
batch images of equal size, and keep one row per image (failures included, with their reason)."""
from __future__ import annotations

from collections import defaultdict

import pandas as pd
import torch
from tqdm.auto import tqdm

from benchmark.perturbations import Identity, Perturbation, apply
from detectors.base import Detector
from fakebench.cache import artifact_dir, atomic_path, stable_hash
from fakebench.errors import FakebenchError
from fakebench.imageio import load_rgb, pil_to_tensor
from generators.imagesets import ImageSet
from leaderboard.store import read_scores_csv

CHUNK = 256  # images decoded at a time: memory stays flat in the set's size
SCORES_FORMAT = 2  # bump when the scores a detector returns change meaning (2: float64 sigmoid)


def _prepare(detector: Detector, imageset: ImageSet, record, perturbation: Perturbation, seed: int):
    im = load_rgb(imageset.path(record))
    im = apply(perturbation, im, seed, record.image_id)
    return detector.policy.apply(pil_to_tensor(im))


def score_images(detector: Detector, imageset: ImageSet, perturbation: Perturbation = Identity(), seed: int = 0,
                 batch_size: int = 64, progress: bool = False) -> pd.DataFrame:
    """One row per record of `imageset`: image_id, label, score, error."""
    scores: dict[str, float] = {}
    errors: dict[str, str] = {}
    records = imageset.records
    bar = tqdm(total=len(records), desc=f"score {imageset.name} [{perturbation.id}]", leave=False,
               disable=not progress, delay=0.5)
    for start in range(0, len(records), CHUNK):
        by_shape: dict[tuple[int, ...], list[tuple[str, torch.Tensor]]] = defaultdict(list)
        for rec in records[start : start + CHUNK]:
            try:
                x = _prepare(detector, imageset, rec, perturbation, seed)
            except (FakebenchError, OSError, ValueError) as exc:
                errors[rec.image_id] = str(exc)
                continue
            by_shape[tuple(x.shape)].append((rec.image_id, x))
        for items in by_shape.values():
            for b in range(0, len(items), batch_size):
                batch = items[b : b + batch_size]
                probs = detector.score(torch.stack([x for _, x in batch]))
                for (image_id, _), p in zip(batch, probs.tolist()):
                    scores[image_id] = float(p)
        bar.update(len(records[start : start + CHUNK]))
    bar.close()
    return pd.DataFrame({
        "image_id": [r.image_id for r in records],
        "label": imageset.label,
        "score": [scores.get(r.image_id, float("nan")) for r in records],
        "error": [errors.get(r.image_id, "") for r in records],
    })


def cached_scores(detector: Detector, checkpoint: str, imageset: ImageSet, perturbation: Perturbation,
                  seed: int, batch_size: int = 64) -> pd.DataFrame:
    """`score_images`, cached by (checkpoint, set, perturbation, seed, input policy)."""
    key = stable_hash("scores", SCORES_FORMAT, detector.name, checkpoint, imageset.key, perturbation.id, seed,
                      detector.policy)
    path = artifact_dir("scores", key[:2]) / f"{key}.csv"
    if path.is_file():
        return read_scores_csv(path)
    frame = score_images(detector, imageset, perturbation, seed, batch_size, progress=True)
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)
    return frame
