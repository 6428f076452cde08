"""Trainable detectors: the protocol the recipes train through, checkpoints (safetensors + JSON
sidecar, never pickle), and the torch-network detector most of them are."""
from __future__ import annotations

import json
import logging
from abc import abstractmethod
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from fakebench.core.cache import atomic_path, atomic_write_json, file_sha256
from fakebench.core.errors import FakebenchError
from fakebench.core.execution import channels_last, nhwc
from fakebench.detectors.base import Detector, InputPolicy, TorchDetector
from fakebench.detectors.imagenet_files import ImagenetBackbone
from fakebench.detectors.recipes import TrainingData
from fakebench.detectors.training_loop import TrainConfig, fit_network

log = logging.getLogger(__name__)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass
class CheckpointInfo:
    """The JSON sidecar: enough to trace a checkpoint to what made it."""

    detector: str
    config: dict[str, Any]
    recipe: str = ""
    generator: str = ""
    augment: str = ""  # the augmentation preset (its every field is in train_config)
    schedule: str = ""
    reals: str = ""  # where the training reals came from: "corpus", "procedural:N", a folder
    train_config: dict[str, Any] = field(default_factory=dict)
    data: dict[str, str] = field(default_factory=dict)  # set name -> content hash
    validation: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    weights_sha256: str = ""
    kwargs: dict[str, Any] = field(default_factory=dict)  # the factory's arguments, to rebuild it from the file
    training: dict[str, Any] = field(default_factory=dict)  # what the loop did: epochs, best epoch, pairs left out
    numerics: dict[str, Any] = field(default_factory=dict)  # fakebench.core.numerics.fingerprint() of the training


class Trainable(Detector):
    """A detector the recipes (`baseline`, `aligned`, `aligned-sync`) can train: it learns from a
    recipe's sets (resuming from `state_path` when it can) and saves itself as tensors; `train_on`
    returns what training did (JSON-able, for the sidecar). `config` must say everything that shapes
    it; `save` and `load` set `checkpoint_hash`. Subclass it (or return a `NetworkDetector`) to have the
    recipes train yours."""

    config: dict[str, Any]

    @abstractmethod
    def train_on(self, data: TrainingData, cfg: TrainConfig, desc: str = "train",
                 state_path: Path | None = None) -> dict[str, Any]:
        """Learn from `data`. `state_path` is where a detector that trains in epochs keeps its resume
        state (a killed run resumes from the last finished epoch); one that trains in one pass ignores it."""

    @abstractmethod
    def save(self, path: Path, info: CheckpointInfo) -> Path: ...

    @abstractmethod
    def load(self, path: Path) -> CheckpointInfo: ...


def save_checkpoint(path: Path, tensors: dict[str, torch.Tensor], info: CheckpointInfo, name: str) -> str:
    """Write tensors then the sidecar (last, so it marks completion), atomically; returns the sha256."""
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata={"detector": name})
    info.weights_sha256 = file_sha256(path)
    atomic_write_json(sidecar_path(path), asdict(info))
    return info.weights_sha256


def load_checkpoint(path: Path) -> tuple[dict[str, torch.Tensor], CheckpointInfo, str]:
    """Tensors, sidecar and sha256 of a checkpoint, verified against the sidecar's sha256."""
    sidecar = sidecar_path(path)
    if not path.is_file() or not sidecar.is_file():
        raise FakebenchError(f"checkpoint {str(path)!r} or its sidecar is missing",
                             fix="retrain it (delete the folder and rerun)")
    info = CheckpointInfo(**json.loads(sidecar.read_text()))
    digest = file_sha256(path)
    if info.weights_sha256 and digest != info.weights_sha256:
        raise FakebenchError(f"checkpoint {str(path)!r} does not match the sha256 in its sidecar",
                             fix=f"delete {path.parent} to retrain it")
    return load_file(str(path)), info, digest


class NetworkDetector(TorchDetector, Trainable):
    """Wraps a logit network with ImageNet normalisation and a sigmoid for `score`. The network and
    its inputs live in channels-last memory (see `fakebench.core.execution`). `imagenet` declares the
    known ImageNet files its backbone can start from (`--pretrained imagenet`; None: none fit it)."""

    def __init__(self, name: str, network: nn.Module, policy: InputPolicy, config: dict[str, Any],
                 imagenet: ImagenetBackbone | None = None) -> None:
        super().__init__()
        self.name = name
        self.network = channels_last(network)
        self.compiled = False
        self.policy = policy
        self.config = config
        self.imagenet = imagenet
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.checkpoint_hash = "untrained"

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        return (images - self.mean) / self.std

    def logits(self, images: torch.Tensor) -> torch.Tensor:
        return self.network(self.normalize(nhwc(images)))

    def compile_network(self, mode: str | None = None) -> bool:
        """Compile the network's forward in place (`nn.Module.compile`: its state dict is unchanged);
        scores may move in their last bits, so score caches key on `compiled`."""
        log.info("compiling %s with torch.compile (mode %s): the first batch of each new shape is slow",
                 self.name, mode or "default")
        self.network.compile(mode=mode)
        self.compiled = True
        return True

    @torch.inference_mode()
    def score(self, images: torch.Tensor) -> torch.Tensor:
        self.eval()
        # sigmoid in float64: confident detectors keep distinct scores far into the tails (float32 rounds
        # them to exactly 0 or 1), so thresholds calibrated at low FPR stay meaningful
        return torch.sigmoid(self.logits(images.to(self.mean.device)).double()).cpu()

    def train_on(self, data: TrainingData, cfg: TrainConfig, desc: str = "train",
                 state_path: Path | None = None) -> dict[str, Any]:
        """The shared SGD loop of every network detector (fakebench.detectors.training_loop)."""
        return asdict(fit_network(self, data, cfg, desc, state_path))

    def save(self, path: Path, info: CheckpointInfo) -> Path:
        self.checkpoint_hash = save_checkpoint(path, self.network.state_dict(), info, self.name)[:16]
        return path

    def load(self, path: Path) -> CheckpointInfo:
        tensors, info, digest = load_checkpoint(path)
        try:
            self.network.load_state_dict(tensors)
        except RuntimeError as exc:
            raise FakebenchError(f"checkpoint {str(path)!r} does not fit detector {self.name!r}: {exc}".splitlines()[0],
                                 fix="check the detector config it was trained with (see its .json sidecar)") from None
        self.checkpoint_hash = digest[:16]
        return info


def sidecar_path(path: Path) -> Path:
    return path.with_suffix(".json")
