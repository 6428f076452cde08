"""The `taef2` generator: a real pretrained decoder for aligned fakes, reconstruction only.

TAEF2 has no denoiser, so it cannot generate; its round trip is what the paper's recipe needs:
images whose only difference from the reals is a real decoder's trace (about 31 dB PSNR on the
held-out photos at 128 px, see `fakebench.generators.taef2.quality`)."""
from __future__ import annotations

import torch

from fakebench.core.cache import stable_hash
from fakebench.core.devices import DTYPE_NAMES, resolve_device, resolve_dtype
from fakebench.core.execution import channels_last
from fakebench.generators.autoencoders import padded_round_trip
from fakebench.generators.base import Generator
from fakebench.generators.taef2.architecture import COMPONENTS
from fakebench.generators.taef2.spec import INFO, STRIDE
from fakebench.generators.taef2.weights import WEIGHTS_DIR, load_component, verify


class TAEF2Generator(Generator):
    """TAEF2's encoder and decoder (committed weights, verified on construction), channels-last.

    `dtype` is fp32 by default; bf16 (CPU or GPU) and fp16 (GPU) are faster and give other bits, so
    they are part of the reconstruction fingerprint."""

    info = INFO

    def __init__(self, device: str | torch.device = "cpu", dtype: str = "fp32") -> None:
        self.device = resolve_device(device)
        self.dtype = resolve_dtype(dtype, self.device)
        self._weights = verify(WEIGHTS_DIR)
        encoder, decoder = (load_component(c) for c in COMPONENTS)
        self.encoder = channels_last(encoder.to(self.device, self.dtype))
        self.decoder = channels_last(decoder.to(self.device, self.dtype))

    @property
    def fingerprint(self) -> str:
        # salted with the cache schema by stable_hash: how the network runs can move its output bits
        return stable_hash("taef2", self._weights, DTYPE_NAMES[self.dtype])

    @torch.inference_mode()
    def reconstruct(self, images: torch.Tensor) -> torch.Tensor:
        """N x 3 x H x W in [0, 1] -> the same size in [0, 1]; padded to the 8-px stride and cropped back."""
        x = images.to(self.device, torch.float32)
        y = padded_round_trip(x, STRIDE, lambda p: self.decoder(self.encoder(p.to(self.dtype))))
        return y.float().clamp(0, 1).cpu()
