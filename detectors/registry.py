"""The detector registry: `register_detector`, `list_detectors`, `create_detector`."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from detectors.base import Detector
from fakebench.core.registry import Registry

DETECTORS: Registry[Detector] = Registry(kind="detector", entry_point_group="fakebench.detectors")


def register_detector(name: str, factory: Callable[..., Detector] | None = None, **kwargs):
    """Register a detector factory: ``@register_detector("my-detector")`` on a function or class."""
    return DETECTORS.register(name, factory, **kwargs)


def list_detectors(pattern: str | Iterable[str] | None = None) -> list[str]:
    return DETECTORS.names(pattern)


def create_detector(name: str, **kwargs) -> Detector:
    return DETECTORS.create(name, **kwargs)


get_detector = create_detector
