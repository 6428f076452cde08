"""ResNet-50 detector (the paper's backbone) with a width option for the CPU-sized mini world.

At width 64 the module is exactly torchvision's resnet50 (same parameter names), so ImageNet
weights load into it; smaller widths scale every stage's channels.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

DEPTHS: dict[int, tuple[type[nn.Module], list[int]]] = {
    18: (BasicBlock, [2, 2, 2, 2]),
    34: (BasicBlock, [3, 4, 6, 3]),
    50: (Bottleneck, [3, 4, 6, 3]),
}


def init_resnet_weights(net: nn.Module) -> None:
    """torchvision's ResNet initialisation (Kaiming-normal convolutions, unit batch norms), shared by every
    ResNet-shaped network of the zoo so they start alike."""
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.constant_(m.weight, 1)
            nn.init.constant_(m.bias, 0)


@dataclass(frozen=True)
class ResNetConfig:
    depth: int = 50
    width: int = 64  # channels of the first stage; 64 is torchvision's (and the paper's) ResNet-50
    stem_stride: int = 2  # 1 removes the stem's early downsampling (Corvi et al.'s variant)
    stem_pool: bool = True


class ScaledResNet(ResNet):
    """torchvision's ResNet with every stage's width scaled by `width / 64` and a 1-logit head."""

    def __init__(self, config: ResNetConfig) -> None:
        block, layers = DEPTHS[config.depth]
        nn.Module.__init__(self)
        w = config.width
        self._norm_layer = nn.BatchNorm2d
        self.inplanes = w
        self.dilation = 1
        self.groups = 1
        self.base_width = 64  # torchvision's Bottleneck uses this only for grouped/wide variants
        self.conv1 = nn.Conv2d(3, w, kernel_size=7, stride=config.stem_stride, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1) if config.stem_pool else nn.Identity()
        self.layer1 = self._make_layer(block, w, layers[0])
        self.layer2 = self._make_layer(block, w * 2, layers[1], stride=2)
        self.layer3 = self._make_layer(block, w * 4, layers[2], stride=2)
        self.layer4 = self._make_layer(block, w * 8, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(w * 8 * block.expansion, 1)
        init_resnet_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x).squeeze(1)
