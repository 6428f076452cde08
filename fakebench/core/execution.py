"""How convolutional models run: channels-last (NHWC) memory, always, and `torch.compile`, on request.

Channels-last is the default for every detector network and autoencoder because it was faster on
both machines we measured (`fakebench bench throughput` prints the comparison): on a 2-core CPU,
ResNet-50 inference 1.4-1.7x, training 1.25-1.4x, mini-sd's autoencoder 1.1-1.3x; on an H200,
ResNet-50 inference 1.2x (cuDNN's fast convolution kernels want NHWC). It can move float results in
their last bits, which is why the cache schema records it (CACHE_SCHEMA 3) rather than a per-run
switch.

`torch.compile` is opt-in (`fakebench score --compile`): it pays back only over many images (on the
2-core CPU ResNet-50 took 38-54 s to compile for a 1.9-2.2x faster forward), every new input
shape can compile again, and it needs a C++ compiler on the CPU."""
from __future__ import annotations

import torch
from torch import nn


def channels_last(module: nn.Module) -> nn.Module:
    """The module with its 4-d parameters and buffers in NHWC memory (in place, returned for chaining)."""
    return module.to(memory_format=torch.channels_last)


def nhwc(x: torch.Tensor) -> torch.Tensor:
    """An N x C x H x W batch in NHWC memory (same values and shape); other ranks pass through."""
    return x.contiguous(memory_format=torch.channels_last) if x.ndim == 4 else x

