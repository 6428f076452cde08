"""Detectors: a registry of name -> factory, and the training recipes (baseline, aligned, aligned-sync)."""
from detectors import builtin as _builtin  # noqa: F401  (registers the built-in detectors)
from detectors.base import Detector, InputPolicy
from detectors.registry import (
           DETECTORS,
           create_detector,
           list_detectors,
           register_detector,
)

__all__ = ["DETECTORS", "Detector", "InputPolicy", "create_detector", "list_detectors",
           "register_detector"]
