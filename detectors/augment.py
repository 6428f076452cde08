"""Training augmentations shared by every recipe (so the dataset is the only variable).

Blur and JPEG follow Wang et al. / Corvi et al.: applied to the whole image with a probability,
then a random crop and a flip. Randomness comes from (seed, epoch, index), so an epoch's samples
are the same whatever the worker count.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from fakebench.core.imageio import decode, encode


@dataclass(frozen=True)
class AugmentConfig:
    crop: int = 48
    flip: bool = True
    blur_prob: float = 0.2
    blur_sigma: tuple[float, float] = (0.1, 2.0)
    jpeg_prob: float = 0.2
    jpeg_quality: tuple[int, int] = (40, 100)


def augment(im: Image.Image, cfg: AugmentConfig, rng: np.random.Generator) -> Image.Image:
    if rng.random() < cfg.blur_prob:
        im = im.filter(ImageFilter.GaussianBlur(float(rng.uniform(*cfg.blur_sigma))))
    if rng.random() < cfg.jpeg_prob:
        im = decode(encode(im, "JPEG", int(rng.integers(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1))))
    w, h = im.size
    if min(w, h) < cfg.crop:  # small images are upscaled to the crop, never dropped
        s = cfg.crop / min(w, h)
        im = im.resize((max(cfg.crop, round(w * s)), max(cfg.crop, round(h * s))), Image.Resampling.BICUBIC)
        w, h = im.size
    left, top = int(rng.integers(0, w - cfg.crop + 1)), int(rng.integers(0, h - cfg.crop + 1))
    im = im.crop((left, top, left + cfg.crop, top + cfg.crop))
    if cfg.flip and rng.random() < 0.5:
        im = im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return im
