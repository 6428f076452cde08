"""A detector backed by a torch network: scoring, checkpoints (safetensors + JSON sidecar)."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from detectors.base import InputPolicy
from fakebench.cache import atomic_path, atomic_write_json, file_sha256
from fakebench.errors import FakebenchError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass
class CheckpointInfo:
    """The JSON sidecar: enough to trace a checkpoint to what made it."""

    detector: str
    config: dict[str, Any]
    recipe: str = ""
    generator: str = ""
    train_config: dict[str, Any] = field(default_factory=dict)
    data: dict[str, str] = field(default_factory=dict)  # set name -> content hash
    validation: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    weights_sha256: str = ""


class NetworkDetector(nn.Module):
    """Wraps a logit network with ImageNet normalisation and a sigmoid for `score`."""

    def __init__(self, name: str, network: nn.Module, policy: InputPolicy, config: dict[str, Any]) -> None:
        super().__init__()
        self.name = name
        self.network = network
        self.policy = policy
        self.config = config
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.checkpoint_hash = "untrained"

    def logits(self, images: torch.Tensor) -> torch.Tensor:
        return self.network((images - self.mean) / self.std)

    @torch.inference_mode()
    def score(self, images: torch.Tensor) -> torch.Tensor:
        self.eval()
        return torch.sigmoid(self.logits(images.to(self.mean.device))).float().cpu()

    def save(self, path: Path, info: CheckpointInfo) -> Path:
        """Write weights and sidecar atomically; the sidecar (written last) marks completion."""
        state = {k: v.detach().cpu().contiguous() for k, v in self.network.state_dict().items()}
        with atomic_path(path) as tmp:
            save_file(state, str(tmp), metadata={"detector": self.name})
        info.weights_sha256 = file_sha256(path)
        atomic_write_json(sidecar_path(path), asdict(info))
        self.checkpoint_hash = info.weights_sha256[:16]
        return path

    def load(self, path: Path) -> CheckpointInfo:
        sidecar = sidecar_path(path)
        if not path.is_file() or not sidecar.is_file():
            raise FakebenchError(f"checkpoint {str(path)!r} or its sidecar is missing",
                                 fix="retrain it (delete the folder and rerun)")
        info = CheckpointInfo(**json.loads(sidecar.read_text()))
        digest = file_sha256(path)
        if info.weights_sha256 and digest != info.weights_sha256:
            raise FakebenchError(f"checkpoint {str(path)!r} does not match the sha256 in its sidecar",
                                 fix=f"delete {path.parent} to retrain it")
        try:
            self.network.load_state_dict(load_file(str(path)))
        except RuntimeError as exc:
            raise FakebenchError(f"checkpoint {str(path)!r} does not fit detector {self.name!r}: {exc}".splitlines()[0],
                                 fix="check the detector config it was trained with (see its .json sidecar)") from None
        self.checkpoint_hash = digest[:16]
        return info


def sidecar_path(path: Path) -> Path:
    return path.with_suffix(".json")
