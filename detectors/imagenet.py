"""ImageNet initialisation of a network detector: the known file its backbone declares
(`fakebench.detectors.imagenet_files`: committed, or in the local torch cache; never downloaded), or a
weights file the user gives, checked to fit every backbone tensor before any is loaded."""
from __future__ import annotations

import logging
from pathlib import Path

import torch

from fakebench.core.cache import file_sha256
from fakebench.core.errors import FakebenchError
from fakebench.core.safeload import load_tensors
from fakebench.detectors.imagenet_files import IMAGENET_FILES, ImagenetFile, known_file, locate, verify
from fakebench.detectors.trainable import NetworkDetector, Trainable

log = logging.getLogger(__name__)

IMAGENET = "imagenet"  # --pretrained / [train] pretrained: the detector's own known ImageNet file


def init_pretrained(detector: Trainable, source: str) -> str:
    """Initialise a network detector's backbone from ImageNet weights: "imagenet" for the known file its
    backbone declares, or a file (checked against its entry when it is a known one). The head stays fresh.
    Returns the file's sha256 (part of the checkpoint key)."""
    if not isinstance(detector, NetworkDetector) or detector.imagenet is None:
        fits = ", ".join(sorted({f.arch for f in IMAGENET_FILES.values()}))
        raise FakebenchError(f"detector {detector.name!r} has no ImageNet backbone to initialise",
                             fix=f"drop --pretrained, or use a detector whose backbone has ImageNet weights ({fits})")
    backbone = detector.imagenet
    entries = backbone.entries()
    if source == IMAGENET:
        entry, path = locate(entries)
        digest = verify(entry, path)
    else:
        path = Path(source).expanduser()
        known = known_file(path)
        entry = known if known is not None and known.arch == entries[0].arch else entries[0]
        if known is not None:
            digest = verify(known, path)
        elif path.is_file():
            digest = file_sha256(path)  # the user's own weights: no digest to check, the fit is checked below
        else:
            raise FakebenchError(f"pretrained weights {str(path)!r} not found (a file fitting it: {entry.expected()})",
                                 fix=entry.how_to_get())
    tensors = _backbone_tensors(path, load_tensors(path), entry, detector.name, backbone.prefix,
                                detector.network.state_dict())
    detector.network.load_state_dict(tensors, strict=False)
    log.info("initialised %s's backbone from %s (%d tensors; the head fresh)", detector.name, path, len(tensors))
    return digest


def _backbone_tensors(path: Path, tensors: dict[str, torch.Tensor], entry: ImagenetFile, name: str, prefix: str,
                      own: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The file's backbone tensors under the network's names, refused unless they are exactly the backbone:
    every tensor of it there and of its shape (batch-norm step counters may be absent), nothing else."""
    wanted = {k[len(prefix):]: v for k, v in own.items() if k.startswith(prefix)}
    wanted = {k: v for k, v in wanted.items() if not k.startswith(entry.head)}
    given = {k: v for k, v in tensors.items() if not k.startswith(entry.head)}
    missing = [k for k in wanted if k not in given and not k.endswith("num_batches_tracked")]
    shaped = [k for k in wanted if k in given and given[k].shape != wanted[k].shape]
    extra = [k for k in given if k not in wanted]
    if missing or shaped or extra:
        first = (missing or shaped or extra)[0]
        raise FakebenchError(
            f"weights {str(path)!r} do not fit detector {name!r} ({entry.arch}): {len(missing)} backbone tensors "
            f"missing, {len(shaped)} of another shape, {len(extra)} unknown (first: {first!r}); expected "
            f"{entry.expected()}", fix=entry.how_to_get())
    return {prefix + k: v.to(wanted[k].dtype) for k, v in given.items()}
