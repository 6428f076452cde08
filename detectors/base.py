"""What a detector is: images in, probability of "fake" out, with a declared input policy."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class InputPolicy:
    """How a detector wants its images. `native` keeps every pixel (images of one size are batched
    together); images whose short side is below `min_side` are upscaled to it (bicubic), because a
    deep network cannot see below its total stride."""

    mode: str = "native"  # "native" | "center_crop" | "resize"
    size: int | None = None  # crop or resize side for the other modes
    min_side: int = 32

    def __post_init__(self) -> None:
        if self.mode not in ("native", "center_crop", "resize"):
            raise ValueError(f"unknown input policy mode {self.mode!r}")
        if self.mode != "native" and not self.size:
            raise ValueError(f"input policy {self.mode!r} needs a size")

    def apply(self, x: torch.Tensor) -> torch.Tensor:
        """Apply to one image 3 x H x W, or a batch N x 3 x H x W of one size, in [0, 1]."""
        if x.ndim == 3:
            return self.apply(x[None])[0]
        h, w = x.shape[-2:]
        short = min(h, w)
        if self.mode == "native" and short < self.min_side:
            scale = self.min_side / short
            size = (max(self.min_side, round(h * scale)), max(self.min_side, round(w * scale)))
            return F.interpolate(x, size=size, mode="bicubic", align_corners=False).clamp(0, 1)
        if self.mode == "resize":
            return F.interpolate(x, size=(self.size, self.size), mode="bilinear", antialias=True,
                                 align_corners=False).clamp(0, 1)
        if self.mode == "center_crop":
            s = self.size
            if short < s:  # reflect-pad small images up to the crop
                ph, pw = max(0, s - h), max(0, s - w)
                x = F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2), mode="replicate")
                h, w = x.shape[-2:]
            top, left = (h - s) // 2, (w - s) // 2
            return x[..., top : top + s, left : left + s]
        return x


@runtime_checkable
class Detector(Protocol):
    """The one thing a detector must do. Register a factory for it with `register_detector`."""

    name: str
    policy: InputPolicy

    def score(self, images: torch.Tensor) -> torch.Tensor:
        """N x 3 x H x W in [0, 1] (already through `policy`) -> N probabilities of "fake"."""
        ...
