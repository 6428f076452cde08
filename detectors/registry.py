"""The detector registry: `register_detector`, `list_detectors`, `create_detector`.

It imports no model: the built-ins are declared with their metadata (`fakebench.detectors.catalog`) and
the protocol check imports `fakebench.detectors.base` (and torch) when a detector is built."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from fakebench.core.registry import Registry

if TYPE_CHECKING:
    from fakebench.detectors.base import Detector


def checked(product: Any) -> Detector:
    """The registry's protocol check, `fakebench.detectors.base.as_detector`, imported when a detector is built."""
    from fakebench.detectors.base import as_detector

    return as_detector(product)


# every detector built through the registry is checked against the protocol (and a duck-typed plugin
# adapted to the `Detector` base) where it enters: see `fakebench.detectors.base.as_detector`
DETECTORS: Registry[Detector] = Registry(kind="detector", entry_point_group="fakebench.detectors", check=checked)


def register_detector(name: str, factory: Callable[..., Detector] | None = None, **kwargs):
    """Register a detector factory: ``@register_detector("my-detector")`` on a function or class."""
    return DETECTORS.register(name, factory, **kwargs)


def list_detectors(pattern: str | Iterable[str] | None = None) -> list[str]:
    """Registered detector names (built-ins and installed plugins), sorted; `pattern`: glob(s) like "*-cnn"."""
    return DETECTORS.names(pattern)


def create_detector(name: str, **kwargs) -> Detector:
    """The detector registered as `name`, built with its factory's `kwargs`; an unknown name lists the known."""
    return DETECTORS.create(name, **kwargs)
