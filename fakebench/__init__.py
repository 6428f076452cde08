"""fakebench: a benchmark for detectors of latent-diffusion images.

`fakebench.core` is the base layer every package imports (errors, cache, image I/O, registries, seeds,
devices, distributed helpers); `fakebench.cli`, `fakebench.jobs` and `fakebench.pytest_plugin` are the
application on top of `generators`, `detectors`, `benchmark` and `leaderboard` (see DESIGN.md, "Layers").
This file imports nothing of either, so importing a base module never loads the application.
"""
from fakebench.core.version import __version__

__all__ = ["__version__"]
