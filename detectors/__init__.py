"""Detectors: a registry of name -> factory, and the training recipes (baseline, aligned, aligned-sync)."""
from fakebench.detectors import builtin as _builtin  # noqa: F401  (registers the built-in detectors)
from fakebench.detectors.base import Detector, InputPolicy, TorchDetector
from fakebench.detectors.registry import (
           DETECTORS,
           create_detector,
           list_detectors,
           register_detector,
)

__all__ = ["DETECTORS", "Detector", "InputPolicy", "TorchDetector", "create_detector", "list_detectors",
           "register_detector"]
