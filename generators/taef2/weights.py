"""The committed TAEF2 weights: where they are, their manifest check, and loading them.

`generators/taef2/weights/` holds the two safetensors files made by `fakebench.generators.taef2.convert`, the
MIT licence of their source, a note on where they came from, and SHA256SUMS. Every weight file is
checked against the manifest before it is used."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from fakebench.core.safeload import load_tensors
from fakebench.generators.manifest import digest_of_digests, verify_files
from fakebench.generators.taef2.architecture import COMPONENTS, Component

WEIGHTS_DIR = Path(__file__).parent / "weights"
RESTORE = ("restore them with `git checkout generators/taef2/weights`, or convert the published files again: "
           "`python -m fakebench.generators.taef2.convert --src DIR` "
           "(DIR holding taef2_encoder.pth and taef2_decoder.pth "
           "from github.com/madebyollin/taesd)")


def verify(folder: Path = WEIGHTS_DIR) -> str:
    """Check both weight files against SHA256SUMS (once per process); return their joint digest."""
    return digest_of_digests([verify_files(folder, c.file, "TAEF2", RESTORE) for c in COMPONENTS])


def load_component(component: Component, folder: Path = WEIGHTS_DIR) -> nn.Module:
    """One half of the autoencoder in fp32, eval mode, its file checked first."""
    verify_files(folder, component.file, "TAEF2", RESTORE)
    module = component.module()
    tensors = load_tensors(folder / component.file)
    module.load_state_dict({k: v.to(torch.float32) for k, v in tensors.items()}, strict=True)
    return module.eval().requires_grad_(False)
