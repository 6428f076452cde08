"""TAEF2, the MIT tiny autoencoder distilled from FLUX.2's VAE, as the built-in `taef2` generator
(reconstruction only), with its weights committed as safetensors beside their licence and manifest."""
from __future__ import annotations

from fakebench.generators.registry import register_generator
from fakebench.generators.taef2.generator import TAEF2Generator

register_generator("taef2", TAEF2Generator)

__all__ = ["TAEF2Generator"]
