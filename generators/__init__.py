"""Everything that makes images: generators (generate / reconstruct) and real-image sources.

Importing the package imports no model and no torch: the built-ins are declared by name with their
metadata (`fakebench.generators.catalog`) and built on first use; `Generator` resolves on first use."""
from __future__ import annotations

from typing import Any

from fakebench.generators import catalog as _catalog  # noqa: F401  (declares the built-in generators)
from fakebench.generators.info import GeneratorInfo
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


def __getattr__(name: str) -> Any:
    if name != "Generator":
        raise AttributeError(f"module 'fakebench.generators' has no attribute {name!r}")
    from fakebench.generators.base import Generator  # imports torch

    return Generator
