"""Everything that makes images: generators (generate / reconstruct) and real-image sources."""
from generators import hub as _hub  # noqa: F401  (registers real models; loads no weights)
from generators import mini as _mini  # noqa: F401  (registers the built-in mini world)
from generators.base import Generator, GeneratorInfo
from generators.registry import (
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
