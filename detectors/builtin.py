"""Built-in detectors."""
from __future__ import annotations

from dataclasses import asdict

from detectors.base import InputPolicy
from detectors.registry import register_detector
from detectors.resnet import ResNetConfig, ScaledResNet
from detectors.trainable import NetworkDetector


@register_detector("resnet50")
def resnet50(width: int = 64, stem_stride: int = 2, min_side: int = 32) -> NetworkDetector:
    """The paper's ResNet-50 (width 64). The mini world uses width 16 to train on a laptop CPU."""
    config = ResNetConfig(depth=50, width=width, stem_stride=stem_stride)
    return NetworkDetector("resnet50", ScaledResNet(config), InputPolicy("native", min_side=min_side),
                           {"arch": "resnet", **asdict(config)})
