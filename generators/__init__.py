"""Everything that makes images: generators (generate / reconstruct) and real-image sources."""
from fakebench.generators import hub as _hub  # noqa: F401  (registers real models; loads no weights)
from fakebench.generators import mini as _mini  # noqa: F401  (registers the built-in mini world)
from fakebench.generators import taef2 as _taef2  # noqa: F401  (registers TAEF2, a real pretrained autoencoder)
from fakebench.generators import taef2ldm as _taef2ldm  # noqa: F401  (registers the TAEF2-latent denoisers)
from fakebench.generators.base import Generator, GeneratorInfo
from fakebench.generators.registry import (
    GENERATORS,
    create_generator,
    list_generators,
    register_generator,
)

__all__ = [
    "GENERATORS",
    "Generator",
    "GeneratorInfo",
    "create_generator",
    "list_generators",
    "register_generator",
]
