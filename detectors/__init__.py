"""Detectors: a registry of name -> factory, and the training recipes (baseline, aligned, aligned-sync).

Importing the package imports no model and no torch: the built-ins are declared by name
(`fakebench.detectors.catalog`) and built on first use; the protocol's classes resolve on first use."""
from __future__ import annotations

from typing import Any

from fakebench.detectors import catalog as _catalog  # noqa: F401  (declares the built-in detectors)
from fakebench.detectors.registry import (
    DETECTORS,
    create_detector,
    list_detectors,
    register_detector,
)

BASE_NAMES = ("Detector", "InputPolicy", "TorchDetector")  # in fakebench.detectors.base, which imports torch

__all__ = ["DETECTORS", *BASE_NAMES, "create_detector", "list_detectors", "register_detector"]


def __getattr__(name: str) -> Any:
    if name not in BASE_NAMES:
        raise AttributeError(f"module 'fakebench.detectors' has no attribute {name!r}")
    from fakebench.detectors import base

    return getattr(base, name)
