"""What a generator is: metadata plus the capabilities it has (generate, reconstruct)."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import torch


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


class Generator(ABC):
    """A source of fake images. Subclasses implement the capabilities their model has."""

    info: GeneratorInfo

    @property
    @abstractmethod
    def fingerprint(self) -> str:
        """A hash of everything that determines this generator's outputs (weights, sampler)."""

    @property
    def reconstruction_fingerprint(self) -> str:
        """A hash of what determines `reconstruct` (the autoencoder alone, for latent models)."""
        return self.fingerprint

    @property
    def can_generate(self) -> bool:
        return type(self).generate_indices is not Generator.generate_indices

    @property
    def can_reconstruct(self) -> bool:
        return type(self).reconstruct is not Generator.reconstruct

    def generate(self, n: int, seed: int, batch_size: int = 32) -> torch.Tensor:
        """n images, N x 3 x H x W in [0, 1]; image i depends on (seed, i) only, not on batching."""
        return torch.cat([self.generate_indices(seed, range(s, min(n, s + batch_size)))
                          for s in range(0, n, batch_size)])

    def generate_indices(self, seed: int, indices: range) -> torch.Tensor:
        """Images number `indices` of the seeded stream, as one batch."""
        raise NotImplementedError(f"generator {self.info.name!r} cannot generate images")

    def reconstruct(self, images: torch.Tensor) -> torch.Tensor:
        """Autoencoder round trip of a batch N x 3 x H x W in [0, 1]; output has the input's size."""
        raise NotImplementedError(f"generator {self.info.name!r} has no autoencoder to reconstruct with")
