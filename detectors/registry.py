"""The detector registry: `register_detector`, `list_detectors`, `create_detector`."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from fakebench.core.registry import Registry
from fakebench.detectors.base import Detector, as_detector

# every detector built through the registry is checked against the protocol (and a duck-typed plugin
# adapted to the `Detector` base) where it enters: see `fakebench.detectors.base.as_detector`
DETECTORS: Registry[Detector] = Registry(kind="detector", entry_point_group="fakebench.detectors",
                                         check=as_detector)


def register_detector(name: str, factory: Callable[..., Detector] | None = None, **kwargs):
    """Register a detector factory: ``@register_detector("my-detector")`` on a function or class."""
    return DETECTORS.register(name, factory, **kwargs)


def list_detectors(pattern: str | Iterable[str] | None = None) -> list[str]:
    """Registered detector names (built-ins and installed plugins), sorted; `pattern`: glob(s) like "*-cnn"."""
    return DETECTORS.names(pattern)


def create_detector(name: str, **kwargs) -> Detector:
    """The detector registered as `name`, built with its factory's `kwargs`; an unknown name lists the known."""
    return DETECTORS.create(name, **kwargs)


