"""TAEF2's network, written for fakebench: the tiny autoencoder distilled from FLUX.2's VAE.

The design is Ollin Boer Bohan's TAESD (github.com/madebyollin/taesd, MIT): plain 3x3 convolutions
with ReLU in residual blocks, strided convolutions to go down 8x, nearest-neighbour upsampling to go
back, a tanh clamp on the latent, 32 latent channels. TAEF2 adds, in the three blocks on either side
of the latent, a "global context" branch: a 1x1 expansion, a GroupNorm over the whole feature map
(its statistics are image-wide, so every output pixel sees the whole image) and a 1x1 projection,
added to the block's input. Without that branch the round trip falls from about 31 dB to 17 dB.

Images are in [0, 1] on both ends (not [-1, 1] as in Stable Diffusion's VAE). The module names are
ours; `fakebench.generators.taef2.convert` maps the published state dicts onto them.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from fakebench.generators.taef2.spec import LATENT_CHANNELS, LEVELS

WIDTH = 64  # channels of every hidden feature map
BLOCKS_PER_LEVEL = 3
CONTEXT_EXPANSION = 4  # the global-context branch works at WIDTH * 4 channels
CONTEXT_GROUPS = 4
LATENT_BOUND = 3.0  # the decoder squashes latents into (-3, 3) with tanh


def conv3x3(n_in: int, n_out: int, *, stride: int = 1, bias: bool = True) -> nn.Conv2d:
    return nn.Conv2d(n_in, n_out, kernel_size=3, stride=stride, padding=1, bias=bias)


class GlobalContext(nn.Module):
    """1x1 up to WIDTH*4 channels, GroupNorm over the whole image, ReLU, 1x1 back: a residual term
    that carries image-wide statistics (colour, contrast) that 3x3 convolutions cannot reach."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        hidden = channels * CONTEXT_EXPANSION
        self.expand = nn.Conv2d(channels, hidden, kernel_size=1, bias=False)
        self.norm = nn.GroupNorm(CONTEXT_GROUPS, hidden)
        self.project = nn.Conv2d(hidden, channels, kernel_size=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.project(torch.relu(self.norm(self.expand(x))))


class ResidualBlock(nn.Module):
    """Three 3x3 convolutions (ReLU between) added to the input, then ReLU; optionally preceded by
    the global-context term. Channels in = channels out (TAEF2 never changes width inside a block)."""

    def __init__(self, channels: int, global_context: bool = False) -> None:
        super().__init__()
        self.body = nn.Sequential(conv3x3(channels, channels), nn.ReLU(),
                                  conv3x3(channels, channels), nn.ReLU(),
                                  conv3x3(channels, channels))
        self.context = GlobalContext(channels) if global_context else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.context is not None:
            x = x + self.context(x)
        return torch.relu(self.body(x) + x)


def _blocks(global_context: bool) -> nn.Sequential:
    return nn.Sequential(*(ResidualBlock(WIDTH, global_context) for _ in range(BLOCKS_PER_LEVEL)))


class EncoderLevel(nn.Module):
    """Halve the resolution with a strided convolution, then refine with residual blocks."""

    def __init__(self, global_context: bool) -> None:
        super().__init__()
        self.down = conv3x3(WIDTH, WIDTH, stride=2, bias=False)
        self.blocks = _blocks(global_context)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.down(x))


class DecoderLevel(nn.Module):
    """Refine with residual blocks, then double the resolution (nearest neighbour) and mix with a conv."""

    def __init__(self, global_context: bool) -> None:
        super().__init__()
        self.blocks = _blocks(global_context)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.mix = conv3x3(WIDTH, WIDTH, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mix(self.up(self.blocks(x)))


class TinyEncoder(nn.Module):
    """Image N x 3 x H x W in [0, 1] (H, W multiples of 8) -> latent N x 32 x H/8 x W/8."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = conv3x3(3, WIDTH)
        self.stem_block = ResidualBlock(WIDTH)
        # the level next to the latent carries the global-context branch
        self.levels = nn.ModuleList(EncoderLevel(global_context=i == LEVELS - 1) for i in range(LEVELS))
        self.head = conv3x3(WIDTH, LATENT_CHANNELS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem_block(self.stem(x))
        for level in self.levels:
            x = level(x)
        return self.head(x)


class TinyDecoder(nn.Module):
    """Latent N x 32 x h x w -> image N x 3 x 8h x 8w, roughly in [0, 1] (clamp it yourself)."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = conv3x3(LATENT_CHANNELS, WIDTH)
        # the level next to the latent carries the global-context branch
        self.levels = nn.ModuleList(DecoderLevel(global_context=i == 0) for i in range(LEVELS))
        self.tail_block = ResidualBlock(WIDTH)
        self.head = conv3x3(WIDTH, 3)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = torch.tanh(z / LATENT_BOUND) * LATENT_BOUND
        x = torch.relu(self.stem(z))
        for level in self.levels:
            x = level(x)
        return self.head(self.tail_block(x))


@dataclass(frozen=True)
class Component:
    """One half of the autoencoder as committed: its safetensors file and its module class."""

    name: str  # "encoder" | "decoder"
    file: str
    module: type[nn.Module]


COMPONENTS: tuple[Component, ...] = (
    Component("encoder", "taef2_encoder.safetensors", TinyEncoder),
    Component("decoder", "taef2_decoder.safetensors", TinyDecoder),
)
