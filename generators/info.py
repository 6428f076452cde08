"""What a generator is as a listing shows it, in a module that imports nothing heavy: the built-ins'
metadata is declared with it (`fakebench.generators.catalog`) and read without building a model."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GeneratorInfo:
    """Metadata shown by `fakebench list generators` and carried into the leaderboard."""

    name: str
    family: str
    autoencoder: str  # id of the autoencoder; generators that share it share aligned training sets
    denoiser: str  # denoiser architecture, e.g. "UNet2D 2-level 32/64 (eps)"
    resolution: int  # native output side in pixels
    license: str = "unknown"
    release_date: str = "unknown"
    world: str = "real"  # "mini" for the embedded world, "real" for hub models
