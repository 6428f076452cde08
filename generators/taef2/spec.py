"""TAEF2 without its network: the shape of its latents and what a listing shows of it, for code that
reads them without torch (`fakebench.generators.catalog`, the TAEF2-latent denoisers' specs)."""
from __future__ import annotations

from fakebench.generators.info import GeneratorInfo

LATENT_CHANNELS = 32
LEVELS = 3  # strided convolutions: 2**3 = 8x spatial compression
STRIDE = 2 ** LEVELS

INFO = GeneratorInfo(
    name="taef2",
    family="tiny-autoencoder",
    autoencoder="taef2",
    denoiser="none (reconstruction only)",
    resolution=256,  # any size works; the side the taef2 world's crops reach
    license="MIT (Ollin Boer Bohan, github.com/madebyollin/taesd)",
    release_date="2025-12",
    world="taef2",
)
