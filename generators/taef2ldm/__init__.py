"""Two small denoisers in TAEF2's latent space, `taef2-sd` and `taef2-playground`: generated fakes
that carry a real decoder's trace (TAEF2's) plus their own denoiser's, for the faithful CPU world."""
from __future__ import annotations

from functools import partial

from fakebench.generators.registry import register_generator
from fakebench.generators.taef2ldm.architectures import SPECS, DenoiserSpec


def build_denoiser_generator(spec: DenoiserSpec, **kwargs):
    """Imported here so that listing generators loads neither diffusers nor any weights."""
    from fakebench.generators.taef2ldm.generator import TAEF2DiffusionGenerator

    return TAEF2DiffusionGenerator(spec, **kwargs)


for _spec in SPECS:
    register_generator(_spec.name, partial(build_denoiser_generator, _spec))
