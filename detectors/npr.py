"""NPR (Tan et al., "Rethinking the Up-Sampling Operations in CNN-based Generative Network for Generalizable
Deepfake Detection", CVPR 2024): a CNN that sees x minus its nearest-neighbour down-then-up-sampled copy.

A decoder's up-sampling layers leave correlations between the four pixels of each 2 x 2 block; the
residual `x - up(down(x))` removes the block's content (its top-left pixel) and keeps those correlations,
so the network learns the trace instead of the photo. `NPRResidual` is that input as a module (any
network can take it: `resnet50-nodown` has `input="npr"` for the raw-vs-NPR ablation); `NPRResNet` is
the paper's network (official code, `networks/resnet.py`): a ResNet-50 cut after its second stage
(3x3 stride-2 stem, max-pool, layer1, layer2, global pool, one logit), on the residual times 2/3,
with a width option so that it trains on a CPU.
"""
from __future__ import annotations

import torch
from torch import nn
from torchvision.models.resnet import Bottleneck

from fakebench.detectors.resnet import init_resnet_weights

NPR_GAIN = 2.0 / 3.0  # the official code feeds `NPR * 2/3` to the first conv


def npr_residual(x: torch.Tensor) -> torch.Tensor:
    """N x C x H x W (any size) -> same size: x minus the top-left pixel of its 2 x 2 block (nearest
    down-sampling by 2 then nearest up-sampling, as `F.interpolate(..., mode="nearest")` does it).
    Zero wherever a block is constant; an odd last row or column is its own block's top-left, so zero."""
    h, w = x.shape[-2:]
    up = x[..., ::2, ::2].repeat_interleave(2, dim=-2).repeat_interleave(2, dim=-1)[..., :h, :w]
    return x - up


class NPRResidual(nn.Module):
    """`npr_residual` times `gain`, as the first layer of a network (no parameters)."""

    def __init__(self, gain: float = NPR_GAIN) -> None:
        super().__init__()
        self.gain = gain

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return npr_residual(x) * self.gain


class NPRResNet(nn.Module):
    """The paper's NPR network at `width` (64: the official one, 1.44 M parameters)."""

    def __init__(self, width: int = 64) -> None:
        super().__init__()
        self.residual = NPRResidual()
        self.conv1 = nn.Conv2d(3, width, kernel_size=3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.inplanes = width
        self.layer1 = self._make_layer(width, 3)
        self.layer2 = self._make_layer(width * 2, 4, stride=2)
        self.fc = nn.Linear(width * 2 * Bottleneck.expansion, 1)
        init_resnet_weights(self)

    def _make_layer(self, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        down = None
        if stride != 1 or self.inplanes != planes * Bottleneck.expansion:
            down = nn.Sequential(nn.Conv2d(self.inplanes, planes * Bottleneck.expansion, 1, stride=stride, bias=False),
                                 nn.BatchNorm2d(planes * Bottleneck.expansion))
        layers = [Bottleneck(self.inplanes, planes, stride, down)]
        self.inplanes = planes * Bottleneck.expansion
        layers += [Bottleneck(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(self.residual(x)))))
        x = self.layer2(self.layer1(x))
        return self.fc(x.mean(dim=(2, 3))).squeeze(1)
