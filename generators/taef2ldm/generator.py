"""A TAEF2-latent denoiser as a generator: img2img sampling from the split its seed allows, decoded
by TAEF2, so every sample carries TAEF2's trace plus its own denoiser's; `reconstruct` is TAEF2's
round trip (the aligned fakes of `taef2`, with the same reconstruction fingerprint)."""
from __future__ import annotations

from functools import partial
from pathlib import Path

import torch

from fakebench.core.cache import stable_hash
from fakebench.core.errors import FakebenchError
from fakebench.core.imageio import decode
from fakebench.core.pixels import pil_to_tensor
from fakebench.data.corpus import crop_jpeg_bytes
from fakebench.generators.base import Generator
from fakebench.generators.latent import per_image_noise
from fakebench.generators.taef2.generator import TAEF2Generator
from fakebench.generators.taef2.spec import LATENT_CHANNELS
from fakebench.generators.taef2ldm.architectures import LATENT_SIDE, SPECS, DenoiserSpec, denoiser_info
from fakebench.generators.taef2ldm.starts import start_crop
from fakebench.generators.taef2ldm.weights import (
    LATENT_STATS,
    load_latent_stats,
    load_unet,
    verify_component,
    weights_dir,
)

START_RULE = "starts-v1"  # bump when `starts` changes which crop a (seed, index) starts from


class TAEF2DiffusionGenerator(Generator):
    """One denoiser (committed weights, verified on construction) between TAEF2's encoder and decoder.

    Image i of seed s: the start crop `starts.start_crop(s, i)` (a photo of the split that seed may
    use), TAEF2-encoded, normalised by the training latents' statistics, noised to `spec.strength` of
    the schedule with noise drawn from (s, i), denoised by DDIM (eta 0), decoded by TAEF2 and clamped
    to [0, 1]: a pure function of (s, i), whatever the batch."""

    def __init__(self, spec: DenoiserSpec, device: str | torch.device = "cpu", dtype: str = "fp32",
                 folder: Path | None = None) -> None:
        if dtype != "fp32":
            raise FakebenchError(f"the TAEF2 denoisers run in fp32, not {dtype}",
                                 fix="drop --dtype (it is for real models)")
        folder = folder or weights_dir()
        self.spec = spec
        self.info = denoiser_info(spec)
        self.taef2 = TAEF2Generator(device=device)
        self.device = self.taef2.device
        self.unet = load_unet(spec.component, folder).to(self.device)
        mean, std = load_latent_stats(folder)
        self.latent_mean, self.latent_std = mean.to(self.device), std.to(self.device)
        self.scheduler = spec.sampler()
        self.num_inference_steps = int(spec.num_inference_steps * spec.strength)  # the steps that run
        self._fingerprint = stable_hash("taef2-ldm", spec.name, verify_component(spec.component, folder),
                                        verify_component(LATENT_STATS, folder), self.taef2.fingerprint,
                                        spec.strength, spec.num_inference_steps, START_RULE)

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    @property
    def reconstruction_fingerprint(self) -> str:
        return self.taef2.fingerprint

    def start_images(self, seed: int, indices: range) -> torch.Tensor:
        """The crops images `indices` of the `seed` stream start from, as stored (JPEG), N x 3 x H x W in [0, 1]."""
        return torch.stack([pil_to_tensor(decode(crop_jpeg_bytes(start_crop(seed, i)))) for i in indices])

    @torch.inference_mode()
    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """Images in [0, 1] -> normalised TAEF2 latents (the units the denoiser was trained in)."""
        z = self.taef2.encoder(images.to(self.device).contiguous(memory_format=torch.channels_last)).float()
        return (z.contiguous() - self.latent_mean) / self.latent_std

    @torch.inference_mode()
    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        """Normalised latents -> images in [0, 1] through TAEF2's decoder."""
        z = latents * self.latent_std + self.latent_mean
        return self.taef2.decoder(z.contiguous(memory_format=torch.channels_last)).float().clamp(0, 1)

    @torch.inference_mode()
    def denoise(self, z0: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """SDEdit: noise clean latents to the spec's strength, then run the DDIM steps below it."""
        self.scheduler.set_timesteps(self.spec.num_inference_steps)
        timesteps = self.scheduler.timesteps[self.spec.num_inference_steps - self.num_inference_steps:]
        z = self.scheduler.add_noise(z0, noise, timesteps[:1].repeat(len(z0)))
        for t in timesteps:
            z = self.scheduler.step(self.unet(z, t).sample, t, z, eta=0.0).prev_sample
        return z

    @torch.inference_mode()
    def generate_indices(self, seed: int, indices: range) -> torch.Tensor:
        z0 = self.encode(self.start_images(seed, indices))
        noise = per_image_noise((LATENT_CHANNELS, LATENT_SIDE, LATENT_SIDE), seed, indices).to(self.device)
        return self.decode(self.denoise(z0, noise)).cpu()

    def reconstruct(self, images: torch.Tensor) -> torch.Tensor:
        """TAEF2's round trip, exactly as the `taef2` generator makes it."""
        return self.taef2.reconstruct(images)


# the registry's factory of each denoiser, by name (declared `by_name` in `fakebench.generators.catalog`)
FACTORIES = {spec.name: partial(TAEF2DiffusionGenerator, spec) for spec in SPECS}
