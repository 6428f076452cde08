"""A latent diffusion generator assembled from diffusers parts (AutoencoderKL + UNet + scheduler).

The same class serves the mini world (committed weights) and real unconditional models; the
autoencoder round trip used for alignment is `reconstruct`.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import torch

from fakebench.core.execution import channels_last, nhwc
from fakebench.generators.autoencoders import AutoencoderRoundTrip
from fakebench.generators.base import Generator, GeneratorInfo

if TYPE_CHECKING:  # only annotations: the parts are built (and diffusers imported) by their callers
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DModel


def per_image_noise(shape: tuple[int, ...], seed: int, indices: range) -> torch.Tensor:
    """Initial latents, one generator per image, so image i is the same whatever the batch size."""
    out = []
    for i in indices:
        g = torch.Generator().manual_seed(int.from_bytes(hashlib.sha256(f"{seed}:{i}".encode()).digest()[:7], "big"))
        out.append(torch.randn(shape, generator=g))
    return torch.stack(out)


@dataclass(frozen=True)
class LatentParts:
    """The modules a latent diffusion generator runs: autoencoder, denoiser, sampler."""

    vae: AutoencoderKL
    unet: UNet2DModel
    scheduler: DDIMScheduler


class LatentDiffusionGenerator(Generator):
    """A latent diffusion model: its denoiser samples latents that its autoencoder decodes; `reconstruct` is
    the autoencoder's round trip (the paper's alignment).

    `parts` builds the modules on first use: the fingerprints are known without them, so a warm run, whose
    every set is cached, loads no weights and never imports diffusers' models."""

    def __init__(
        self,
        info: GeneratorInfo,
        parts: Callable[[], LatentParts],
        *,
        num_inference_steps: int,
        fingerprint: str,
        reconstruction_fingerprint: str | None = None,
        device: str | torch.device = "cpu",
    ) -> None:
        self.info = info
        self._build = parts
        self.num_inference_steps = num_inference_steps
        self._fingerprint = fingerprint
        self._reconstruction_fingerprint = reconstruction_fingerprint or fingerprint
        self.device = torch.device(device)

    @cached_property
    def _parts(self) -> LatentParts:
        built = self._build()
        return LatentParts(channels_last(built.vae.eval().to(self.device)), built.unet.eval().to(self.device),
                           built.scheduler)

    @property
    def vae(self) -> AutoencoderKL:
        return self._parts.vae

    @property
    def unet(self) -> UNet2DModel:
        return self._parts.unet

    @property
    def scheduler(self) -> DDIMScheduler:
        return self._parts.scheduler

    @cached_property
    def autoencoder(self) -> AutoencoderRoundTrip:
        return AutoencoderRoundTrip(self.vae, "kl", self.device, torch.float32)

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    @property
    def reconstruction_fingerprint(self) -> str:
        return self._reconstruction_fingerprint

    @property
    def scaling_factor(self) -> float:
        return float(self.vae.config.scaling_factor)

    @torch.inference_mode()
    def denoise(self, latents: torch.Tensor) -> torch.Tensor:
        self.scheduler.set_timesteps(self.num_inference_steps)
        for t in self.scheduler.timesteps:
            model_out = self.unet(latents, t).sample
            latents = self.scheduler.step(model_out, t, latents, eta=0.0).prev_sample
        return latents

    @torch.inference_mode()
    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        x = self.vae.decode(nhwc(latents / self.scaling_factor)).sample
        return ((x + 1) / 2).clamp(0, 1)

    @torch.inference_mode()
    def generate_indices(self, seed: int, indices: range) -> torch.Tensor:
        side = self.unet.config.sample_size
        shape = (self.unet.config.in_channels, side, side)
        latents = per_image_noise(shape, seed, indices).to(self.device) * self.scheduler.init_noise_sigma
        return self.decode(self.denoise(latents)).cpu()

    def reconstruct(self, images: torch.Tensor) -> torch.Tensor:
        """Encode (posterior mode, deterministic) and decode; pad to the latent stride, crop back."""
        return self.autoencoder.round_trip(images)
