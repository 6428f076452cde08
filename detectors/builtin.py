"""Built-in detectors: the zoo every recipe can train.

- `resnet50`: the paper's backbone (torchvision's ResNet-50 at width 64).
- `resnet50-nodown`: the same without the stem's stride (Gragnaniello et al. 2021, Corvi et al. 2023,
  and the paper's code): early layers see every pixel, where generator artifacts live.
- `mobilenetv2`, `mobilenetv2-nodown`: torchvision's MobileNetV2 with and without the stem's stride,
  whose ImageNet weights ship with fakebench (fakebench.detectors.imagenet_files).
- `small-cnn`: a four-stage CNN for fast runs.
- `freq-lr`: spectral features + logistic regression (see fakebench.detectors.frequency), no deep learning.
- `npr`: Tan et al.'s CNN on nearest-neighbour up-sampling residuals (see fakebench.detectors.npr).
- `aeroblade`, `rt-ratio`: training-free reconstruction scores through a generator's autoencoder (see
  fakebench.detectors.reconstruction).

The ResNets take `input="npr"` to see the NPR residual instead of raw pixels (the ablation "raw vs NPR
input"); `resnet50` vs `resnet50-nodown` is the ablation "stem stride vs no stride".

`fakebench.detectors.catalog` registers them by name, with what `fakebench list detectors` shows of
them, and imports this module (and torch) only when one is built; the logistic regression (scikit-learn)
the ResNets and NPR (torchvision, which imports scikit-learn through torch._dynamo) and the reconstruction
detectors (a generator) are imported by their own factories, so building `small-cnn` imports none of them.
"""
from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from torch import nn

from fakebench.core.errors import FakebenchError
from fakebench.detectors.base import InputPolicy
from fakebench.detectors.trainable import NetworkDetector

if TYPE_CHECKING:
    from fakebench.detectors.frequency import FrequencyDetector
    from fakebench.detectors.reconstruction import ReconstructionDetector
    from fakebench.detectors.resnet import ResNetConfig

INPUTS = ("raw", "npr")


def _jpeg_input(min_side: int, jpeg: int | None) -> tuple[InputPolicy, dict[str, object]]:
    """The native input policy, re-encoding every image as a JPEG of quality `jpeg` when given
    (`InputPolicy.prepare`), and what the detector's config records of it: nothing without it, so the
    checkpoints of detectors without it keep their cache keys."""
    return InputPolicy("native", min_side=min_side, jpeg=jpeg), ({} if jpeg is None else {"jpeg": jpeg})


def _network(name: str, network: nn.Module, config: dict[str, object], min_side: int, input: str,
             jpeg: int | None, imagenet: str = "") -> NetworkDetector:
    """A detector of `network` on raw pixels or on the NPR residual (`input`); the config names the input
    only when it is not raw, so raw checkpoints keep their cache keys. `imagenet`: the torchvision
    architecture whose known ImageNet files fit `network` ("": none)."""
    if input not in INPUTS:
        raise FakebenchError(f"detector {name!r} has no input {input!r}; inputs: {', '.join(INPUTS)}",
                             fix=f"use input={' or input='.join(repr(i) for i in INPUTS)}")
    from fakebench.detectors.imagenet_files import ImagenetBackbone
    from fakebench.detectors.npr import NPRResidual

    policy, extra = _jpeg_input(min_side, jpeg)
    prefix = ""
    if input == "npr":
        network, extra, prefix = nn.Sequential(NPRResidual(), network), {"input": input, **extra}, "1."
    backbone = ImagenetBackbone.of(imagenet, prefix) if imagenet else None
    return NetworkDetector(name, network, policy, {**config, **extra}, backbone)


def _resnet(name: str, config: ResNetConfig, min_side: int, input: str, jpeg: int | None) -> NetworkDetector:
    """A ScaledResNet detector; at width 64 it is torchvision's ResNet-50, so its ImageNet files fit."""
    from fakebench.detectors.resnet import ScaledResNet

    return _network(name, ScaledResNet(config), {"arch": "resnet", **asdict(config)}, min_side, input, jpeg,
                    "resnet50" if (config.depth, config.width) == (50, 64) else "")


def resnet50(width: int = 64, stem_stride: int = 2, min_side: int = 32, input: str = "raw",
             jpeg: int | None = None) -> NetworkDetector:
    """The paper's ResNet-50 (width 64). The mini world uses width 16 to train on a laptop CPU. `jpeg`: see
    `InputPolicy`."""
    from fakebench.detectors.resnet import ResNetConfig

    return _resnet("resnet50", ResNetConfig(depth=50, width=width, stem_stride=stem_stride), min_side, input, jpeg)


def resnet50_nodown(width: int = 64, min_side: int = 16, input: str = "raw", jpeg: int | None = None
                    ) -> NetworkDetector:
    """ResNet-50 without the stem's downsampling (stride-1 first conv), as Corvi et al. train it; `width`
    scales it for a CPU (16: 1/16 of the compute). `jpeg`: see `InputPolicy`."""
    from fakebench.detectors.resnet import ResNetConfig

    return _resnet("resnet50-nodown", ResNetConfig(depth=50, width=width, stem_stride=1), min_side, input, jpeg)


def mobilenetv2(stem_stride: int = 2, min_side: int = 32, input: str = "raw", jpeg: int | None = None
                ) -> NetworkDetector:
    """torchvision's MobileNetV2 with a 1-logit head (2.2 M parameters; 0.3 GFLOPs at 224 px, the ResNet-50 4.1);
    its ImageNet weights are committed, so `--pretrained imagenet` needs no network. `input`: "raw" or "npr",
    as the ResNets; `jpeg`: see `InputPolicy`."""
    from fakebench.detectors.mobilenet import MobileNetV2Logit

    return _network("mobilenetv2", MobileNetV2Logit(stem_stride), {"arch": "mobilenetv2", "stem_stride": stem_stride},
                    min_side, input, jpeg, "mobilenet_v2")


def mobilenetv2_nodown(min_side: int = 16, input: str = "raw", jpeg: int | None = None) -> NetworkDetector:
    """MobileNetV2 without the stem's downsampling (stride-1 first conv), as `resnet50-nodown`; the same
    ImageNet weights fit it. `input`, `jpeg`: as `mobilenetv2`."""
    from fakebench.detectors.mobilenet import MobileNetV2Logit

    return _network("mobilenetv2-nodown", MobileNetV2Logit(stem_stride=1), {"arch": "mobilenetv2", "stem_stride": 1},
                    min_side, input, jpeg, "mobilenet_v2")


class SmallCNN(nn.Module):
    """Four conv-BN-ReLU stages, each halving the resolution, then global average pooling."""

    def __init__(self, channels: tuple[int, ...] = (16, 32, 64, 64)) -> None:
        super().__init__()
        layers, c_in = [], 3
        for c in channels:
            layers += [nn.Conv2d(c_in, c, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
            c_in = c
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(c_in, 1)

    def forward(self, x):
        return self.head(self.features(x).mean(dim=(2, 3))).squeeze(1)


def small_cnn(channels: tuple[int, ...] = (16, 32, 64, 64), min_side: int = 16) -> NetworkDetector:
    """A four-stage CNN (about 0.07 M parameters): trains in seconds, for fast runs."""
    return NetworkDetector("small-cnn", SmallCNN(tuple(channels)), InputPolicy("native", min_side=min_side),
                           {"arch": "small-cnn", "channels": list(channels)})


def freq_lr(c: float = 1.0) -> FrequencyDetector:
    """Spectral + block-DCT features and a logistic regression: what a non-deep detector gets."""
    from fakebench.detectors.frequency import FrequencyDetector

    return FrequencyDetector(c=c)


def npr(width: int = 64, min_side: int = 16, jpeg: int | None = None) -> NetworkDetector:
    """Tan et al.'s NPR network (width 64: the paper's, 1.44 M parameters; 16: 0.09 M, for a CPU), trained
    by any recipe like the ResNets. `jpeg`: re-encode every input as a JPEG of that quality (`InputPolicy`)."""
    policy, extra = _jpeg_input(min_side, jpeg)
    from fakebench.detectors.npr import NPRResNet

    return NetworkDetector("npr", NPRResNet(width), policy, {"arch": "npr", "width": width, **extra})


def aeroblade(generator: str = "taef2") -> ReconstructionDetector:
    """Ricker et al.'s AEROBLADE with L2: the closer an image to its round trip through `generator`'s
    autoencoder, the likelier that autoencoder decoded it. Training-free."""
    from fakebench.detectors.reconstruction import ReconstructionDetector

    return ReconstructionDetector("aeroblade", generator)


def rt_ratio(generator: str = "taef2") -> ReconstructionDetector:
    """The content-normalised reconstruction score -log(|x - RT(x)|^2 / |RT(x) - RT(RT(x))|^2). Training-free."""
    from fakebench.detectors.reconstruction import ReconstructionDetector

    return ReconstructionDetector("rt-ratio", generator)
