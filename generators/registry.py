"""The generator registry: `register_generator`, `list_generators`, `create_generator`.

It imports no model: the built-ins are declared with their metadata (`fakebench.generators.catalog`) and
the protocol check imports `fakebench.generators.base` (and torch) when a generator is built."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from fakebench.core.registry import Registry

if TYPE_CHECKING:
    from fakebench.generators.base import Generator


def checked(product: Any) -> Generator:
    """The registry's protocol check, `fakebench.generators.base.as_generator`, imported when a generator is built."""
    from fakebench.generators.base import as_generator

    return as_generator(product)


# every generator built through the registry is checked against the protocol (and a duck-typed plugin
# adapted to the `Generator` base) where it enters: see `fakebench.generators.base.as_generator`
GENERATORS: Registry[Generator] = Registry(kind="generator", entry_point_group="fakebench.generators",
                                           check=checked)


def register_generator(name: str, factory: Callable[..., Generator] | None = None, **kwargs):
    """Register a generator factory: ``@register_generator("my-ldm")`` on a function or class."""
    return GENERATORS.register(name, factory, **kwargs)


def list_generators(pattern: str | Iterable[str] | None = None) -> list[str]:
    """Registered generator names, filtered by glob pattern(s) like timm's `list_models`."""
    return GENERATORS.names(pattern)


def create_generator(name: str, **kwargs) -> Generator:
    """The generator registered as `name`, built with `device=...` and its factory's `kwargs`; an unknown
    name lists the known ones."""
    return GENERATORS.create(name, **kwargs)
