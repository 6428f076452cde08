"""What a detector is: images in, probability of "fake" out, with a declared input policy; the check
that adapts a plugin's detector to that contract where it enters the registry."""
from __future__ import annotations

import dataclasses
import itertools
from abc import ABC, abstractmethod
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from fakebench.core.errors import FakebenchError, ProtocolError
from fakebench.core.imageio import decode, encode
from fakebench.detectors.score_contract import PROBABILITY, SCORE_KINDS


@dataclass(frozen=True)
class InputPolicy:
    """How a detector wants its images. `native` keeps every pixel (images of one size are batched
    together); images whose short side is below `min_side` are upscaled to it (bicubic), because a
    deep network cannot see below its total stride. `jpeg` (a quality) re-encodes every decoded image
    as a JPEG first (`prepare`), so that reals stored as JPEG and fakes stored as PNG reach the network
    in one format: it cannot read the file's format, the cue Grommelt et al. ("Fake or JPEG? Revealing
    Common Biases in Generated Image Detection Datasets", 2024) found detectors learn."""

    mode: str = "native"  # "native" | "center_crop" | "resize"
    size: int | None = None  # crop or resize side for the other modes
    min_side: int = 32
    jpeg: int | None = None  # re-encode every image as a JPEG of this quality (1-100) before anything else

    def __post_init__(self) -> None:
        if self.mode not in ("native", "center_crop", "resize"):
            raise ValueError(f"unknown input policy mode {self.mode!r}")
        if self.mode != "native" and not self.size:
            raise ValueError(f"input policy {self.mode!r} needs a size")
        if self.jpeg is not None and (isinstance(self.jpeg, bool) or not isinstance(self.jpeg, int)
                                      or not 1 <= self.jpeg <= 100):
            raise FakebenchError(f"input JPEG quality {self.jpeg!r} is not a quality",
                                 fix="give jpeg= an integer from 1 to 100, or leave it out for none")

    def for_key(self) -> dict[str, object]:
        """The fields as score cache keys hash them: `jpeg` only when set, so the keys of every policy
        without it stayed what they were before it existed."""
        fields = dataclasses.asdict(self)
        return fields if self.jpeg is not None else {k: v for k, v in fields.items() if k != "jpeg"}

    def prepare(self, image: Image.Image) -> Image.Image:
        """A decoded image as the detector takes it, before it becomes a tensor: with `jpeg`, encoded as a
        JPEG of that quality and decoded (as the `jpeg` perturbations and augmentations encode). Runs
        where images are decoded: after the benchmark's perturbation when scoring, before the
        augmentation when training, so that both see the same kind of image."""
        return image if self.jpeg is None else decode(encode(image, "JPEG", self.jpeg))

    def apply(self, x: torch.Tensor) -> torch.Tensor:
        """Apply to one image 3 x H x W, or a batch N x 3 x H x W of one size, in [0, 1]."""
        if x.ndim == 3:
            return self.apply(x[None])[0]
        h, w = x.shape[-2:]
        short = min(h, w)
        if self.mode == "native" and short < self.min_side:
            scale = self.min_side / short
            size = (max(self.min_side, round(h * scale)), max(self.min_side, round(w * scale)))
            return F.interpolate(x, size=size, mode="bicubic", align_corners=False).clamp(0, 1)
        if self.mode == "resize":
            return F.interpolate(x, size=(self.size, self.size), mode="bilinear", antialias=True,
                                 align_corners=False).clamp(0, 1)
        if self.mode == "center_crop":
            s = self.size
            if short < s:  # reflect-pad small images up to the crop
                ph, pw = max(0, s - h), max(0, s - w)
                x = F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2), mode="replicate")
                h, w = x.shape[-2:]
            top, left = (h - s) // 2, (w - s) // 2
            return x[..., top : top + s, left : left + s]
        return x


class Detector(ABC):
    """The detector contract: images in, probability of "fake" out, with a declared input policy.

    Subclass it (or `TorchDetector` for a torch module, or `fakebench.detectors.trainable.Trainable` to be trained
    by the recipes) and register a factory with `register_detector`. A plugin object that only has
    `name`, `policy` and `score` is wrapped into `PluginDetector` where it enters the registry
    (`as_detector`), so every caller sees this contract and never has to guess."""

    name: str
    policy: InputPolicy
    checkpoint_hash: str = ""  # names the weights; scores are cached only when it is set
    compiled: bool = False  # whether `compile_network` compiled it (scores may move in their last bits)
    # what `score` returns: "probability" (in [0, 1]) or "logit" (any finite real, mapped through the
    # sigmoid once where scores enter the project: fakebench.detectors.score_contract)
    score_kind: str = PROBABILITY

    @abstractmethod
    def score(self, images: torch.Tensor) -> torch.Tensor:
        """N x 3 x H x W in [0, 1] (already through `policy`) -> N probabilities of "fake" (a 1-D float
        tensor), or N logits when `score_kind` is "logit"."""

    def to(self, device: str | torch.device) -> Detector:
        """Move to `device`; a detector without torch weights stays where it is (CPU)."""
        return self

    @property
    def device(self) -> torch.device | None:
        """Where the images for `score` go: its weights' device, or None for CPU tensors."""
        return None

    def compile_network(self, mode: str | None = None) -> bool:
        """Compile its torch network in place; False when it has none to compile."""
        return False

    def parameter_count(self) -> int | None:
        """Learned parameters, for listings; None when it has no torch weights."""
        return None


def module_device(module: nn.Module) -> torch.device | None:
    """The device of a module's first parameter (or buffer); None when it has neither."""
    tensor = next(itertools.chain(module.parameters(), module.buffers()), None)
    return tensor.device if tensor is not None else None


class TorchDetector(nn.Module, Detector):
    """A detector that is a torch module: `to` is nn.Module's, `device` is where its weights are."""

    @property
    def device(self) -> torch.device | None:
        return module_device(self)

    def parameter_count(self) -> int | None:
        return sum(p.numel() for p in self.parameters())


class PluginDetector(Detector):
    """A plugin object that has the detector protocol (`name`, `policy`, `score`) without subclassing
    `Detector`, adapted to it: `score` is its own; `to(device)` calls its `to` when it has one (a torch
    module) and remembers the device for the images; `checkpoint_hash` and `score_kind` are its own
    when it sets them."""

    def __init__(self, plugin: object) -> None:
        self.plugin = plugin
        self.name = plugin.name
        self.policy = plugin.policy
        self.score_kind = getattr(plugin, "score_kind", PROBABILITY)
        self._device: torch.device | None = None

    @property
    def checkpoint_hash(self) -> str:
        return getattr(self.plugin, "checkpoint_hash", "") or ""

    def score(self, images: torch.Tensor) -> torch.Tensor:
        return self.plugin.score(images)

    def to(self, device: str | torch.device) -> PluginDetector:
        move = getattr(self.plugin, "to", None)
        if callable(move):
            self.plugin = move(device) or self.plugin
            self._device = torch.device(device)
        return self

    @property
    def device(self) -> torch.device | None:
        return self._device


DETECTOR_PROTOCOL = ("a detector needs name (str), policy (detectors.InputPolicy) and score(images) -> probabilities "
                     "(or logits, with score_kind = 'logit')")


def as_detector(product: object) -> Detector:
    """The check where a detector enters the registry: a `Detector` as it is, a duck-typed plugin object
    wrapped into `PluginDetector`, anything lacking the protocol refused with what it lacks."""
    missing = []
    name = getattr(product, "name", None)
    if not isinstance(name, str) or not name:
        missing.append("name (a str)" if name is None else f"name as a str (it is {type(name).__name__})")
    policy = getattr(product, "policy", None)
    if not isinstance(policy, InputPolicy):
        missing.append("policy (a detectors.InputPolicy)" if policy is None
                       else f"policy as a detectors.InputPolicy (it is {type(policy).__name__})")
    if not callable(getattr(product, "score", None)):
        missing.append("score(images)")
    kind = getattr(product, "score_kind", PROBABILITY)
    if kind not in SCORE_KINDS:
        missing.append(f"score_kind as one of {', '.join(map(repr, SCORE_KINDS))} (it is {kind!r})")
    if missing:
        raise ProtocolError(f"lacks {', '.join(missing)}", fix=DETECTOR_PROTOCOL)
    return product if isinstance(product, Detector) else PluginDetector(product)
