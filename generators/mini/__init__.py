"""The embedded mini world: three latent diffusion generators with committed weights."""
from __future__ import annotations

from functools import partial
from pathlib import Path

import torch

from fakebench.core.cache import stable_hash
from fakebench.generators.base import GeneratorInfo
from fakebench.generators.latent import LatentDiffusionGenerator, LatentParts
from fakebench.generators.mini.architectures import IMAGE_SIDE, UNETS, MiniGeneratorSpec
from fakebench.generators.mini.architectures import MINI_SPECS as SPECS
from fakebench.generators.mini.weights import (
    file_sha256_of_digests,
    load_unet,
    load_vae,
    verify_component,
)
from fakebench.generators.registry import register_generator


def mini_info(spec: MiniGeneratorSpec) -> GeneratorInfo:
    return GeneratorInfo(
        name=spec.name,
        family="mini-ldm",
        autoencoder=f"mini/{spec.vae}",
        denoiser=spec.denoiser_label,
        resolution=IMAGE_SIDE,
        license="MIT (trained by fakebench on scikit-image/scikit-learn sample photos)",
        release_date="2026-11",
        world="mini",
    )


def build_mini_generator(spec: MiniGeneratorSpec, device: str | torch.device = "cpu",
                         weights_dir: Path | None = None, dtype: str = "fp32") -> LatentDiffusionGenerator:
    if dtype != "fp32":
        from fakebench.core.errors import FakebenchError

        raise FakebenchError(f"the mini world runs in fp32, not {dtype}", fix="drop --dtype (it is for real models)")
    fingerprint = file_sha256_of_digests(
        [verify_component(spec.vae, weights_dir), verify_component(spec.unet, weights_dir),
         f"steps={spec.num_inference_steps}"]
    )[:16]
    return LatentDiffusionGenerator(
        mini_info(spec),
        lambda: LatentParts(load_vae(spec.vae, weights_dir), load_unet(spec.unet, weights_dir),
                            UNETS[spec.unet].sampler()),
        num_inference_steps=spec.num_inference_steps,
        fingerprint=fingerprint,
        # salted with the cache schema: how the autoencoder runs (channels-last) can move its output bits
        reconstruction_fingerprint=stable_hash("mini-autoencoder", verify_component(spec.vae, weights_dir)),
        device=device,
    )


for _spec in SPECS:
    register_generator(_spec.name, partial(build_mini_generator, _spec))
