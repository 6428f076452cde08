"""Autoencoder round trips: the paper's alignment step (encode, decode, no denoising) for every kind
of latent autoencoder we load (diffusers' KL, VQ and Paella models; TAEF2 through `padded_round_trip`),
one implementation for the mini
world and the real models alike."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from fakebench.core.execution import nhwc


def pad_to_stride(x: torch.Tensor, stride: int) -> torch.Tensor:
    """Pad the bottom/right of N x C x H x W up to multiples of `stride` (the autoencoder's latent
    stride); reflect where the image is big enough, replicate where it is not (e.g. 1 x 1)."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % stride, (-w) % stride
    if not (ph or pw):
        return x
    mode = "reflect" if (ph < h and pw < w) else "replicate"
    return F.pad(x, (0, pw, 0, ph), mode=mode)


def padded_round_trip(x: torch.Tensor, stride: int, code: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """`code` (encode then decode) on `x` padded to the latent stride, in NHWC memory, cropped back to
    `x`'s size: how every autoencoder here takes images whose sides are not multiples of its stride."""
    h, w = x.shape[-2:]
    return code(nhwc(pad_to_stride(x, stride)))[..., :h, :w]


AUTOENCODER_CLASSES = {"kl": "AutoencoderKL", "vq": "VQModel", "paella": "PaellaVQModel"}


def autoencoder_class(kind: str) -> type:
    """The diffusers class of an autoencoder kind (Paella moved under `deprecated` in diffusers 0.3x)."""
    import diffusers

    if kind == "paella":
        try:
            from diffusers.pipelines.deprecated.wuerstchen import PaellaVQModel
        except ImportError:  # older diffusers
            from diffusers.pipelines.wuerstchen import PaellaVQModel
        return PaellaVQModel
    return getattr(diffusers, AUTOENCODER_CLASSES[kind])


def latent_stride(model: torch.nn.Module, kind: str) -> int:
    """Pixels per latent cell: images are padded to a multiple of it before encoding."""
    cfg = model.config
    if kind == "paella":
        return int(cfg.up_down_scale_factor) * 2 ** (int(cfg.levels) - 1)
    return 2 ** (len(cfg.block_out_channels) - 1)


@dataclass
class AutoencoderRoundTrip:
    """An autoencoder and its deterministic round trip: KL posterior mode, VQ latents decoded
    without snapping to the codebook (as the pipelines decode diffusion outputs)."""

    model: torch.nn.Module
    kind: str  # "kl" | "vq" | "paella"
    device: torch.device
    dtype: torch.dtype
    tile_above: int | None = None  # enable tiling for images with a side above this (AutoencoderKL)

    def __post_init__(self) -> None:
        self.stride = latent_stride(self.model, self.kind)
        self.pixels_signed = self.kind != "paella"  # Paella (Wuerstchen stage A) works in [0, 1]

    def _set_tiling(self, side: int) -> None:
        if hasattr(self.model, "use_tiling"):
            if self.tile_above is not None and side > self.tile_above:
                self.model.enable_tiling()
            else:
                self.model.disable_tiling()

    def _code(self, x: torch.Tensor) -> torch.Tensor:
        """Encode and decode a padded batch (already in the model's dtype and NHWC memory)."""
        m = self.model
        if self.kind == "kl":
            return m.decode(m.encode(x).latent_dist.mode()).sample
        return m.decode(m.encode(x).latents, force_not_quantize=True).sample

    @torch.inference_mode()
    def round_trip(self, images: torch.Tensor) -> torch.Tensor:
        """N x 3 x H x W in [0, 1] -> same size: pad to the stride, encode, decode, crop back."""
        x = images.to(self.device, torch.float32)
        if self.pixels_signed:
            x = x * 2 - 1
        self._set_tiling(max(x.shape[-2:]))
        y = padded_round_trip(x, self.stride, lambda padded: self._code(padded.to(self.dtype))).float()
        if self.pixels_signed:
            y = (y + 1) / 2
        return y.clamp(0, 1).cpu()
