"""How faithful an autoencoder's round trip is: PSNR on crops of the held-out test photos.

The paper's recipe needs reconstructions a person cannot tell from the reals (real LDM autoencoders
reach about 25-32 dB), so that the decoder's trace is the only difference a detector can learn.
Crops are cut from the original photo files (not the JPEG corpus), at fixed positions, so the
figure depends on the autoencoder alone."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from fakebench.data.corpus import load_photo, split_photos
from fakebench.generators.base import Generator


@dataclass(frozen=True)
class RoundTripQuality:
    generator: str
    side: int
    crops: int
    psnr_mean: float  # mean over crops of each crop's PSNR, dB
    psnr_min: float


def photo_crops(side: int, per_photo: int, split: str = "test") -> torch.Tensor:
    """`per_photo` crops of side x side from each photo of `split`, spread along the photo's diagonal
    (the same on every machine), as N x 3 x side x side floats in [0, 1]."""
    crops = []
    for photo in split_photos(split):
        pixels = np.asarray(load_photo(photo))
        h, w = pixels.shape[:2]
        if min(h, w) < side:
            raise ValueError(f"photo {photo.name} ({w}x{h}) is smaller than a {side}-px crop")
        for k in range(per_photo):
            t = (k + 0.5) / per_photo
            top, left = round(t * (h - side)), round(t * (w - side))
            crops.append(torch.from_numpy(pixels[top:top + side, left:left + side].copy()))
    return torch.stack(crops).permute(0, 3, 1, 2).float() / 255


def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR in dB of two N x C x H x W batches in [0, 1]."""
    mse = ((a.float() - b.float()) ** 2).flatten(1).mean(1).clamp_min(1e-12)
    return 10 * torch.log10(1 / mse)


def round_trip_quality(generator: Generator, side: int, per_photo: int = 2, batch_size: int = 4,
                       split: str = "test") -> RoundTripQuality:
    """PSNR of `generator.reconstruct` on the held-out photos at one crop side."""
    images = photo_crops(side, per_photo, split)
    values = torch.cat([psnr(generator.reconstruct(images[i:i + batch_size]), images[i:i + batch_size])
                        for i in range(0, len(images), batch_size)])
    mean = float(values.mean())
    return RoundTripQuality(generator.info.name, side, len(images), mean if math.isfinite(mean) else float("inf"),
                            float(values.min()))
