"""MobileNetV2 detector network: torchvision's architecture (same parameter names, so its ImageNet file
loads into it) with a 1-logit head and a stem-stride option, like the ResNet's."""
from __future__ import annotations

import torch
from torch import nn
from torchvision.models.mobilenetv2 import MobileNetV2

IMAGENET_MEAN = (0.485, 0.456, 0.406)  # torchvision's ImageNet preprocessing
IMAGENET_STD = (0.229, 0.224, 0.225)


class MobileNetV2Logit(MobileNetV2):
    """torchvision's MobileNetV2 (width 1.0, 2.2 M parameters with this head) giving one logit per image.
    `stem_stride=1` keeps the first convolution at full resolution, as `resnet50-nodown` does, so the
    early layers see every pixel of a high-frequency trace (at 4x the stem's compute)."""

    def __init__(self, stem_stride: int = 2) -> None:
        super().__init__(num_classes=1)
        stem = self.features[0][0]
        assert isinstance(stem, nn.Conv2d)  # torchvision's stem: Conv2dNormActivation(conv, norm, ReLU6)
        stem.stride = (stem_stride, stem_stride)
        # ImageNet's per-channel statistics, as torchvision's weights were trained on them (not in the state
        # dict: nothing learns them, and checkpoints and ImageNet files need not hold them)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """N x 3 x H x W in [0, 1] -> N logits, the input normalised as ImageNet training normalised it."""
        return super().forward((x - self.mean) / self.std).squeeze(1)
