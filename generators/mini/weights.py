"""The committed mini-world weights: where they are, their sha256 manifest, and loading them.

Each component is a diffusers folder (config.json + diffusion_pytorch_model.safetensors) loaded
with `from_pretrained`, the same path a local real model takes. Every file is checked against
SHA256SUMS before it is used.
"""
from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import Path

import torch
from diffusers import AutoencoderKL, UNet2DModel

from fakebench.core.cache import bytes_sha256, file_sha256
from fakebench.core.errors import FakebenchError, IntegrityError

log = logging.getLogger(__name__)

WEIGHTS_DIR = Path(__file__).parent / "weights"
WEIGHTS_ENV = "FAKEBENCH_MINI_WEIGHTS"  # another folder of mini-world weights, e.g. from `fakebench mini train --out`
MANIFEST = "SHA256SUMS"
REBUILD = ("run `fakebench mini train` to rebuild the mini-world weights, "
           "or restore them with `git checkout generators/mini/weights`")


def weights_dir() -> Path:
    return Path(os.environ.get(WEIGHTS_ENV) or WEIGHTS_DIR)


def read_manifest(folder: Path | None = None) -> dict[str, str]:
    path = (folder or weights_dir()) / MANIFEST
    if not path.is_file():
        raise FakebenchError(f"mini-world weight manifest {str(path)!r} is missing", fix=REBUILD)
    entries = {}
    for line in path.read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            entries[name.strip()] = digest
    return entries


def write_manifest(folder: Path) -> None:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)
    lines = [f"{file_sha256(p)}  {p.relative_to(folder).as_posix()}" for p in files]
    (folder / MANIFEST).write_text("\n".join(lines) + "\n")


def verify_component(component: str, folder: Path | None = None) -> str:
    """Check every file of a component against the manifest (once per process and folder);
    return the component's digest."""
    return _verify_component(component, (folder or weights_dir()).resolve())


@cache
def _verify_component(component: str, folder: Path) -> str:
    manifest = read_manifest(folder)
    names = sorted(n for n in manifest if n.startswith(component + "/"))
    if not names:
        raise FakebenchError(f"mini-world component {component!r} is not in {folder / MANIFEST}", fix=REBUILD)
    for name in names:
        path = folder / name
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
    return bytes_sha256("".join(digests).encode())


def load_vae(component: str, folder: Path | None = None) -> AutoencoderKL:
    folder = folder or weights_dir()
    verify_component(component, folder)
    return AutoencoderKL.from_pretrained(folder / component, torch_dtype=torch.float32, local_files_only=True,
                                         low_cpu_mem_usage=False)


def load_unet(component: str, folder: Path | None = None) -> UNet2DModel:
    folder = folder or weights_dir()
    verify_component(component, folder)
    return UNet2DModel.from_pretrained(folder / component, torch_dtype=torch.float32, local_files_only=True,
                                         low_cpu_mem_usage=False)
