"""ImageNet initialisation of a network detector: torchvision's ResNet-50 file from the local torch
cache (never downloaded), or any weights file whose tensors fit."""
from __future__ import annotations

import logging
from pathlib import Path

import torch

from fakebench.core.cache import file_sha256
from fakebench.core.errors import FakebenchError
from fakebench.core.safeload import load_tensors
from fakebench.detectors.trainable import NetworkDetector, Trainable

log = logging.getLogger(__name__)


def init_pretrained(detector: Trainable, source: str) -> str:
    """Initialise a ResNet-50 detector from ImageNet weights: a file, or "imagenet" for torchvision's
    file in the local torch cache (never downloaded). Returns the file's sha256 (part of the key)."""
    path = imagenet_weights() if source == "imagenet" else Path(source).expanduser()
    if not path.is_file():
        raise FakebenchError(f"pretrained weights {str(path)!r} not found",
                             fix="pass --pretrained FILE, or put torchvision's resnet50 file in the torch cache")
    if not isinstance(detector, NetworkDetector):
        raise FakebenchError(f"detector {detector.name!r} has no network to initialise", fix="drop --pretrained")
    network = detector.network
    own = network.state_dict()
    tensors = {k: v for k, v in load_tensors(path).items() if k in own and own[k].shape == v.shape}
    if not tensors:
        raise FakebenchError(f"no tensor of {str(path)!r} fits detector {detector.name!r}",
                             fix="use ImageNet weights of the same architecture (width 64)")
    network.load_state_dict(tensors, strict=False)
    log.info("initialised %s from %s (%d of %d tensors; the rest, e.g. the 1-logit head, fresh)",
             detector.name, path, len(tensors), len(own))
    return file_sha256(path)


def imagenet_weights() -> Path:
    """torchvision's ResNet-50 ImageNet file in the torch hub cache ($TORCH_HOME), newest name first."""
    folder = Path(torch.hub.get_dir()) / "checkpoints"
    found = sorted(folder.glob("resnet50-*.pth"), reverse=True)
    if not found:
        raise FakebenchError(f"no ImageNet ResNet-50 weights in {folder}",
                             fix="copy torchvision's resnet50-*.pth there (e.g. from a machine with the hub), "
                                 "or pass --pretrained FILE")
    return found[0]
