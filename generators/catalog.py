"""The built-in generators by name, with the `GeneratorInfo` `fakebench list generators` shows, declared
without importing them: naming or listing a generator loads no model and no torch. Each family's
metadata comes from its specs (the mini world's, the TAEF2-latent denoisers', the real models'); its
factories are imported when one of its generators is first built. tests/test_generator_catalog.py builds
each one and checks that what is declared here is what it builds."""
from __future__ import annotations

from fakebench.generators.hub_models import HUB_MODELS
from fakebench.generators.mini.architectures import MINI_SPECS, mini_info
from fakebench.generators.registry import GENERATORS
from fakebench.generators.taef2.spec import INFO as TAEF2_INFO
from fakebench.generators.taef2ldm.architectures import SPECS as DENOISER_SPECS
from fakebench.generators.taef2ldm.architectures import denoiser_info

HUB = "fakebench.generators.hub:FACTORIES"
MINI = "fakebench.generators.mini.generator:FACTORIES"
TAEF2 = "fakebench.generators.taef2.generator:TAEF2Generator"
DENOISERS = "fakebench.generators.taef2ldm.generator:FACTORIES"

for _spec in HUB_MODELS:
    GENERATORS.declare(_spec.name, HUB, _spec.info(), by_name=True)
for _mini in MINI_SPECS:
    GENERATORS.declare(_mini.name, MINI, mini_info(_mini), by_name=True)
GENERATORS.declare("taef2", TAEF2, TAEF2_INFO)
for _denoiser in DENOISER_SPECS:
    GENERATORS.declare(_denoiser.name, DENOISERS, denoiser_info(_denoiser), by_name=True)
