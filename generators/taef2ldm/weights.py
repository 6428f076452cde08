"""The committed TAEF2-latent denoiser weights: where they are, their sha256 manifest, loading them.

Each denoiser is a diffusers folder (config.json + diffusion_pytorch_model.safetensors, fp16);
`latent_stats.json` holds the per-channel mean and std of TAEF2's latents of the training crops,
which both denoisers work in units of. Every file is checked against SHA256SUMS before use.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from fakebench.core.cache import read_json
from fakebench.generators import manifest

if TYPE_CHECKING:  # imported where a denoiser is loaded, so importing the registry stays light
    from diffusers import UNet2DModel

WEIGHTS_DIR = Path(__file__).parent / "weights"
WEIGHTS_ENV = "FAKEBENCH_TAEF2_DENOISER_WEIGHTS"  # another folder, e.g. from `fakebench mini train-taef2 --out`
LATENT_STATS = "latent_stats.json"
WHAT = "TAEF2 denoiser"
REBUILD = ("run `fakebench mini train-taef2` to retrain the TAEF2 denoisers, or restore them with "
           "`git checkout generators/taef2ldm/weights`")


def weights_dir() -> Path:
    return Path(os.environ.get(WEIGHTS_ENV) or WEIGHTS_DIR)


def verify_component(component: str, folder: Path | None = None) -> str:
    """Check a denoiser folder's files (or the latent statistics file) against the manifest; return their digest."""
    prefix = component if component == LATENT_STATS else component + "/"
    return manifest.verify_files(folder or weights_dir(), prefix, WHAT, REBUILD)


def load_unet(component: str, folder: Path | None = None) -> UNet2DModel:
    from diffusers import UNet2DModel

    folder = folder or weights_dir()
    verify_component(component, folder)
    return UNet2DModel.from_pretrained(folder / component, torch_dtype=torch.float32, local_files_only=True,
                                       low_cpu_mem_usage=False).eval().requires_grad_(False)


def load_latent_stats(folder: Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and std (1 x 32 x 1 x 1 each) of TAEF2's training latents."""
    folder = folder or weights_dir()
    verify_component(LATENT_STATS, folder)
    stats = read_json(folder / LATENT_STATS)
    return (torch.tensor(stats["mean"]).view(1, -1, 1, 1), torch.tensor(stats["std"]).view(1, -1, 1, 1))
