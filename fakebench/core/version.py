"""The installed fakebench version: part of every cache key and every report's provenance."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("fakebench")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
