"""The committed mini-world weights: where they are, their sha256 manifest, and loading them.

Each component is a diffusers folder (config.json + diffusion_pytorch_model.safetensors) loaded
with `from_pretrained`, the same path a local real model takes. Every file is checked against
SHA256SUMS before it is used.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import torch
from diffusers import AutoencoderKL, UNet2DModel

from fakebench.cache import file_sha256
from fakebench.errors import FakebenchError, IntegrityError

log = logging.getLogger(__name__)

WEIGHTS_DIR = Path(__file__).parent / "weights"
MANIFEST = "SHA256SUMS"
REBUILD = "run `fakebench mini train` to rebuild the mini-world weights, or restore them with `git checkout generators/mini/weights`"


def read_manifest(weights_dir: Path = WEIGHTS_DIR) -> dict[str, str]:
    path = weights_dir / MANIFEST
    if not path.is_file():
        raise FakebenchError(f"mini-world weight manifest {str(path)!r} is missing", fix=REBUILD)
    entries = {}
    for line in path.read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            entries[name.strip()] = digest
    return entries


def write_manifest(weights_dir: Path) -> None:
    files = sorted(p for p in weights_dir.rglob("*") if p.is_file() and p.name != MANIFEST)
    lines = [f"{file_sha256(p)}  {p.relative_to(weights_dir).as_posix()}" for p in files]
    (weights_dir / MANIFEST).write_text("\n".join(lines) + "\n")


@lru_cache(maxsize=None)
def verify_component(component: str, weights_dir: Path = WEIGHTS_DIR) -> str:
    """Check every file of a component against the manifest; return the component's digest."""
    manifest = read_manifest(weights_dir)
    names = sorted(n for n in manifest if n.startswith(component + "/"))
    if not names:
        raise FakebenchError(f"mini-world component {component!r} is not in {weights_dir / MANIFEST}", fix=REBUILD)
    for name in names:
        path = weights_dir / name
        if not path.is_file():
            raise IntegrityError(f"mini-world weight file {str(path)!r} is missing", fix=REBUILD)
        digest = file_sha256(path)
        if digest != manifest[name]:
            raise IntegrityError(
                f"mini-world weight file {str(path)!r} is corrupted (sha256 {digest[:12]}..., "
                f"manifest says {manifest[name][:12]}...)",
                fix=REBUILD,
            )
    return file_sha256_of_digests([manifest[n] for n in names])


def file_sha256_of_digests(digests: list[str]) -> str:
    import hashlib

    return hashlib.sha256("".join(digests).encode()).hexdigest()


def load_vae(component: str, weights_dir: Path = WEIGHTS_DIR) -> AutoencoderKL:
    verify_component(component, weights_dir)
    return AutoencoderKL.from_pretrained(weights_dir / component, torch_dtype=torch.float32, local_files_only=True,
                                         low_cpu_mem_usage=False)


def load_unet(component: str, weights_dir: Path = WEIGHTS_DIR) -> UNet2DModel:
    verify_component(component, weights_dir)
    return UNet2DModel.from_pretrained(weights_dir / component, torch_dtype=torch.float32, local_files_only=True,
                                         low_cpu_mem_usage=False)
