"""The mini world's generators as built: committed weights, verified and loaded on first use. Its
module is imported when a mini generator is first built (`fakebench.generators.catalog` declares them)."""
from __future__ import annotations

from functools import partial
from pathlib import Path

import torch

from fakebench.core.cache import stable_hash
from fakebench.generators.latent import LatentDiffusionGenerator, LatentParts
from fakebench.generators.mini.architectures import MINI_SPECS, UNETS, MiniGeneratorSpec, mini_info
from fakebench.generators.mini.weights import (
    file_sha256_of_digests,
    load_unet,
    load_vae,
    verify_component,
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


# the registry's factory of each mini generator, by name (declared `by_name` in the catalog)
FACTORIES = {spec.name: partial(build_mini_generator, spec) for spec in MINI_SPECS}
