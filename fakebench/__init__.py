"""fakebench: a benchmark for detectors of latent-diffusion images.

Shared infrastructure lives here (registries, cache, image I/O, CLI); the domain packages are
`generators`, `detectors`, `benchmark` and `leaderboard`.
"""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("fakebench")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
