"""Built-in detectors: the zoo every recipe can train.

- `resnet50`: the paper's backbone (torchvision's ResNet-50 at width 64).
- `resnet50-nodown`: the same without the stem's stride (Gragnaniello et al. 2021, Corvi et al. 2023,
  and the paper's code): early layers see every pixel, where generator artifacts live.
- `small-cnn`: a four-stage CNN for fast runs.
- `freq-lr`: spectral features + logistic regression (see fakebench.detectors.frequency), no deep learning.
"""
from __future__ import annotations

from dataclasses import asdict

from torch import nn

from fakebench.detectors.base import InputPolicy
from fakebench.detectors.frequency import FrequencyDetector
from fakebench.detectors.registry import register_detector
from fakebench.detectors.resnet import ResNetConfig, ScaledResNet
from fakebench.detectors.trainable import NetworkDetector


@register_detector("resnet50")
def resnet50(width: int = 64, stem_stride: int = 2, min_side: int = 32) -> NetworkDetector:
    """The paper's ResNet-50 (width 64). The mini world uses width 16 to train on a laptop CPU."""
    config = ResNetConfig(depth=50, width=width, stem_stride=stem_stride)
    return NetworkDetector("resnet50", ScaledResNet(config), InputPolicy("native", min_side=min_side),
                           {"arch": "resnet", **asdict(config)})


@register_detector("resnet50-nodown")
def resnet50_nodown(width: int = 64, min_side: int = 16) -> NetworkDetector:
    """ResNet-50 without the stem's downsampling (stride-1 first conv), as Corvi et al. train it."""
    config = ResNetConfig(depth=50, width=width, stem_stride=1)
    return NetworkDetector("resnet50-nodown", ScaledResNet(config), InputPolicy("native", min_side=min_side),
                           {"arch": "resnet", **asdict(config)})


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


@register_detector("small-cnn")
def small_cnn(channels: tuple[int, ...] = (16, 32, 64, 64), min_side: int = 16) -> NetworkDetector:
    """A four-stage CNN (about 0.07 M parameters): trains in seconds, for fast runs."""
    return NetworkDetector("small-cnn", SmallCNN(tuple(channels)), InputPolicy("native", min_side=min_side),
                           {"arch": "small-cnn", "channels": list(channels)})


@register_detector("freq-lr")
def freq_lr(c: float = 1.0) -> FrequencyDetector:
    """Spectral + block-DCT features and a logistic regression: what a non-deep detector gets."""
    return FrequencyDetector(c=c)
