"""fakebench: a benchmark for detectors of latent-diffusion images.

Everything is imported under this one root: `fakebench.core` (base: errors, cache, image I/O,
registries, seeds, devices, distributed helpers), `fakebench.generators` and `fakebench.detectors`
(models), `fakebench.benchmark` and `fakebench.leaderboard` (evaluation), and the application
(`fakebench.cli`, `fakebench.jobs`, `fakebench.predict`, `fakebench.pytest_plugin`); see
docs/explanation/architecture.md.

The public surface that plugins use is re-exported here, the way `timm.create_model` is:
`from fakebench import register_detector, InputPolicy`. The names resolve lazily (PEP 562), so
importing a base module never loads the models or the application.
"""
from __future__ import annotations

import importlib
from typing import Any

from fakebench.core.version import __version__

# public name -> the module that defines it
PUBLIC: dict[str, str] = {
    "Detector": "fakebench.detectors.base",
    "TorchDetector": "fakebench.detectors.base",
    "InputPolicy": "fakebench.detectors.base",
    "NetworkDetector": "fakebench.detectors.trainable",
    "Trainable": "fakebench.detectors.trainable",
    "register_detector": "fakebench.detectors.registry",
    "create_detector": "fakebench.detectors.registry",
    "list_detectors": "fakebench.detectors.registry",
    "Generator": "fakebench.generators.base",
    "GeneratorInfo": "fakebench.generators.info",
    "register_generator": "fakebench.generators.registry",
    "create_generator": "fakebench.generators.registry",
    "list_generators": "fakebench.generators.registry",
    "register_perturbation": "fakebench.evaluation.perturbations",
    "FakebenchError": "fakebench.core.errors",
}

__all__ = ["__version__", *PUBLIC]


def __getattr__(name: str) -> Any:
    if name not in PUBLIC:
        raise AttributeError(f"module 'fakebench' has no attribute {name!r}")
    module = PUBLIC[name]
    # the registries fill when their package is imported (built-ins and entry points)
    importlib.import_module(".".join(module.split(".")[:2]))
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
