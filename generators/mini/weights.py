"""The committed mini-world weights: where they are, their sha256 manifest, and loading them.

Each component is a diffusers folder (config.json + diffusion_pytorch_model.safetensors) loaded
with `from_pretrained`, the same path a local real model takes. Every file is checked against
SHA256SUMS before it is used.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from fakebench.generators import manifest

if TYPE_CHECKING:  # imported where a component is loaded, so importing the registry stays light
    from diffusers import AutoencoderKL, UNet2DModel

log = logging.getLogger(__name__)

WEIGHTS_DIR = Path(__file__).parent / "weights"
WEIGHTS_ENV = "FAKEBENCH_MINI_WEIGHTS"  # another folder of mini-world weights, e.g. from `fakebench mini train --out`
MANIFEST = manifest.MANIFEST
REBUILD = ("run `fakebench mini train` to rebuild the mini-world weights, or restore them with "
           "`git checkout generators/mini/weights`")


def weights_dir() -> Path:
    return Path(os.environ.get(WEIGHTS_ENV) or WEIGHTS_DIR)


def read_manifest(folder: Path | None = None) -> dict[str, str]:
    return manifest.read_manifest(folder or weights_dir(), "mini-world", REBUILD)


def write_manifest(folder: Path) -> None:
    manifest.write_manifest(folder)


def verify_component(component: str, folder: Path | None = None) -> str:
    """Check every file of a component against the manifest (once per process and folder);
    return the component's digest."""
    return manifest.verify_files(folder or weights_dir(), component + "/", "mini-world", REBUILD)


file_sha256_of_digests = manifest.digest_of_digests


def load_vae(component: str, folder: Path | None = None) -> AutoencoderKL:
    from diffusers import AutoencoderKL

    folder = folder or weights_dir()
    verify_component(component, folder)
    return AutoencoderKL.from_pretrained(folder / component, torch_dtype=torch.float32, local_files_only=True,
                                         low_cpu_mem_usage=False)


def load_unet(component: str, folder: Path | None = None) -> UNet2DModel:
    from diffusers import UNet2DModel

    folder = folder or weights_dir()
    verify_component(component, folder)
    return UNet2DModel.from_pretrained(folder / component, torch_dtype=torch.float32, local_files_only=True,
                                         low_cpu_mem_usage=False)
