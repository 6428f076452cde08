"""`fakebench predict IMAGE...`: one probability of "fake" per image, for a quick look at a few files.

It goes through the same path as every score: `fakebench.detectors.loading.load_detectors` (checkpoint files or
registered names) and `fakebench.evaluation.scoring.score_images` (decode, input policy, batching by size), with
no perturbation. Files that are missing or cannot be decoded are named, not fatal; none readable is
an error (exit 2). A detector that fails an image (its score() misbehaves) is named with the reason,
beside the other detectors' scores."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from fakebench.core.errors import FakebenchError


@dataclass
class Prediction:
    image: str
    scores: dict[str, float] = field(default_factory=dict)  # detector label -> P(fake)
    error: str = ""  # why the file cannot be read
    failed: dict[str, str] = field(default_factory=dict)  # detector label -> why it failed this image


def predict(images: list[str], checkpoints: list[Path], detectors: list[str], device: str = "cpu",
            batch_size: int = 16) -> list[Prediction]:
    """A prediction per image, in the order given (unreadable ones carry their error)."""
    from fakebench.data.folders import NO_SUCH_FILE, image_files
    from fakebench.detectors.loading import load_detectors
    from fakebench.detectors.score_contract import is_score_failure
    from fakebench.evaluation.scoring import ScoringConfig, score_images

    imageset, skipped = image_files(images)
    if not len(imageset):
        missing = [s.path for s in skipped if s.reason == NO_SUCH_FILE]
        if len(missing) == len(skipped):
            raise FakebenchError(f"no such image file: {', '.join(repr(p) for p in missing[:3])}"
                                 + (f" and {len(missing) - 3} more" if len(missing) > 3 else ""),
                                 fix="check the path")
        raise FakebenchError(f"none of the {len(images)} image(s) could be read: "
                             + "; ".join(f"{s.path}: {s.reason}" for s in skipped[:3]),
                             fix="pass image files Pillow can decode (JPEG, PNG, WebP, ...)")
    found = load_detectors(checkpoints, detectors, device)
    cfg = ScoringConfig(batch_size=batch_size, num_workers=0)  # a few files: no worker processes to start
    by_image = {r.image_id: Prediction(r.image_id) for r in imageset.records}
    for spec, detector in found:
        frame = score_images(detector, imageset, cfg=cfg)
        for image_id, score, error in zip(frame["image_id"], frame["score"], frame["error"], strict=True):
            if is_score_failure(error):  # this detector failed the image; the others' scores stand
                by_image[image_id].failed[spec.label] = error
            elif error:
                by_image[image_id].error = error
            else:
                by_image[image_id].scores[spec.label] = float(score)
    bad = {s.path: Prediction(s.path, error=s.reason) for s in skipped}
    return [by_image.get(str(p)) or bad[str(p)] for p in dict.fromkeys(str(i) for i in images)]


def as_json(predictions: list[Prediction]) -> str:
    return json.dumps([{"image": p.image, "scores": p.scores, "error": p.error or None, "failed": p.failed}
                       for p in predictions], indent=1)


def as_table(predictions: list[Prediction]) -> str:
    """image | P(fake) per detector | call at 0.5 (of the first detector)."""
    from tabulate import tabulate

    labels = list(dict.fromkeys(k for p in predictions for k in p.scores))
    rows = []
    for p in predictions:
        first = p.scores.get(labels[0], math.nan) if labels else math.nan
        call = "" if p.error or math.isnan(first) else ("fake" if first >= 0.5 else "real")
        why = f"error: {p.error}" if p.error else "; ".join(f"{k} failed: {e}" for k, e in p.failed.items())
        rows.append([p.image, *(p.scores.get(k) for k in labels), call or why])
    return tabulate(rows, headers=["image", *(f"P(fake) {k}" for k in labels), "call at 0.5"], floatfmt=".4f",
                    missingval="")
