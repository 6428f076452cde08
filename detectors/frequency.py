"""A training-light frequency baseline: hand-made spectral features and a logistic regression.

It shows what a non-deep detector gets from the same recipes. Features, all independent of image
size so that any input size works:
- the radially averaged log power spectrum of the high-pass residual (image minus its 3x3 mean), in
  `RADIAL_BINS` bins of normalised frequency: upsampling and decoder artifacts live here;
- the log mean magnitude of each of the 64 coefficients of an 8x8 block DCT (as JPEG uses): block
  and compression statistics.
The classifier is scikit-learn's `LogisticRegression` on standardised features, trained on one
augmented view of every training image (the recipes' augmentations), saved as tensors (no pickle).
"""
from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from tqdm.auto import tqdm

from fakebench.core.errors import FakebenchError
from fakebench.detectors.base import InputPolicy
from fakebench.detectors.batches import training_loader
from fakebench.detectors.recipes import TrainingData
from fakebench.detectors.trainable import CheckpointInfo, Trainable, load_checkpoint, save_checkpoint
from fakebench.detectors.training_loop import TrainConfig

log = logging.getLogger(__name__)

RADIAL_BINS = 24
BLOCK = 8
GRAY = (0.299, 0.587, 0.114)


def _dct_matrix(n: int = BLOCK) -> torch.Tensor:
    k = torch.arange(n, dtype=torch.float64)
    m = torch.cos(math.pi * (2 * k[None, :] + 1) * k[:, None] / (2 * n)) * math.sqrt(2 / n)
    m[0] /= math.sqrt(2)
    return m.float()


def spectral_features(images: torch.Tensor) -> torch.Tensor:
    """N x 3 x H x W in [0, 1] (one size per batch) -> N x (RADIAL_BINS + 64) features."""
    gray = (images * torch.tensor(GRAY, dtype=images.dtype).view(1, 3, 1, 1)).sum(1, keepdim=True)
    residual = (gray - F.avg_pool2d(F.pad(gray, (1, 1, 1, 1), mode="replicate"), 3, stride=1))[:, 0]
    h, w = residual.shape[-2:]
    power = torch.log1p(torch.fft.fft2(residual).abs() ** 2)
    fy, fx = torch.fft.fftfreq(h), torch.fft.fftfreq(w)
    radius = torch.sqrt(fy[:, None] ** 2 + fx[None, :] ** 2) / math.sqrt(0.5)  # 0 .. 1
    bins = torch.clamp((radius * RADIAL_BINS).long(), max=RADIAL_BINS - 1).flatten()
    counts = torch.bincount(bins, minlength=RADIAL_BINS).clamp(min=1).float()
    radial = torch.zeros(len(images), RADIAL_BINS).index_add_(1, bins, power.flatten(1)) / counts
    hb, wb = (h // BLOCK) * BLOCK, (w // BLOCK) * BLOCK
    blocks = gray[:, 0, :hb, :wb].unfold(1, BLOCK, BLOCK).unfold(2, BLOCK, BLOCK)  # N x by x bx x 8 x 8
    d = _dct_matrix()
    coeffs = d @ (blocks - 0.5) @ d.T
    dct = torch.log(coeffs.abs().mean(dim=(1, 2)).flatten(1) + 1e-6)
    return torch.cat([radial, dct], dim=1)


class FrequencyDetector(Trainable):
    """Spectral and block-DCT features + logistic regression (scikit-learn). CPU-only (the base's `to`
    keeps it there): features are cheap, the classifier is scikit-learn's."""

    def __init__(self, c: float = 1.0, min_side: int = BLOCK * 2) -> None:
        self.name = "freq-lr"
        self.policy = InputPolicy("native", min_side=min_side)
        self.config: dict[str, Any] = {"arch": "spectral+dct logistic regression", "radial_bins": RADIAL_BINS,
                                       "block": BLOCK, "C": c}
        self.c = c
        self.checkpoint_hash = "untrained"
        self._params: dict[str, torch.Tensor] | None = None

    def score(self, images: torch.Tensor) -> torch.Tensor:
        if self._params is None:
            raise RuntimeError("freq-lr is untrained: train it with a recipe or load a checkpoint")
        p = {k: v.double() for k, v in self._params.items()}  # float64: see NetworkDetector.score
        z = ((spectral_features(images.float().cpu()).double() - p["mean"]) / p["scale"]) @ p["coef"] + p["intercept"]
        return torch.sigmoid(z)

    def train_on(self, data: TrainingData, cfg: TrainConfig, desc: str = "train",
                 state_path: Path | None = None) -> dict[str, Any]:
        """One augmented view of every training image (pairs stay together; the order does not matter to
        a logistic regression); fits in one go, so there is no state to resume from."""
        _, _, loader = training_loader(data, cfg.augment, cfg.seed, 2 * max(1, cfg.batch_size // 2),
                                       num_workers=cfg.workers(), shuffle=False, drop_last=False, policy=self.policy)
        feats, labels = [], []
        for x, y in tqdm(loader, desc=f"{desc}: features", leave=False, delay=0.5):
            feats.append(spectral_features(x))
            labels.append(y)
        x_train = torch.cat(feats).double().numpy()
        y_train = torch.cat(labels).numpy().astype(int)
        scaler = StandardScaler().fit(x_train)
        clf = LogisticRegression(C=self.c, max_iter=5000).fit(scaler.transform(x_train), y_train)
        self._params = {
            "mean": torch.tensor(scaler.mean_, dtype=torch.float32),
            "scale": torch.tensor(np.where(scaler.scale_ > 0, scaler.scale_, 1.0), dtype=torch.float32),
            "coef": torch.tensor(clf.coef_[0], dtype=torch.float32),
            "intercept": torch.tensor(float(clf.intercept_[0]), dtype=torch.float32),
        }
        log.info("%s: logistic regression on %d images x %d features, train accuracy %.3f", desc, len(y_train),
                 x_train.shape[1], clf.score(scaler.transform(x_train), y_train))
        return {"images": len(y_train), "train_accuracy": float(clf.score(scaler.transform(x_train), y_train))}

    def save(self, path: Path, info: CheckpointInfo) -> Path:
        if self._params is None:
            raise RuntimeError("nothing to save: freq-lr is untrained")
        self.checkpoint_hash = save_checkpoint(path, self._params, info, self.name)[:16]
        return path

    def load(self, path: Path) -> CheckpointInfo:
        tensors, info, digest = load_checkpoint(path)
        if set(tensors) != {"mean", "scale", "coef", "intercept"}:
            raise FakebenchError(f"checkpoint {str(path)!r} is not a freq-lr checkpoint (tensors: {sorted(tensors)})",
                                 fix="check the detector it was trained with (see its .json sidecar)")
        self._params = tensors
        self.checkpoint_hash = digest[:16]
        return info
