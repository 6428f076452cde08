"""One provenance record: what made an output (kind of run, command line, versions, processes) plus
the run's own sections, in one schema for every `run.json` (and `reconstruct.json`) fakebench writes.

`provenance(kind, **sections)` builds it and `write_run_json` writes it; `read_run_json` reads it back
(`fakebench report` takes the claims' roles from it). To record one more fact in every run, add one
entry to `RECORDED`: a name and the function that reads it."""
from __future__ import annotations

import platform
import sys
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from fakebench.core import distributed, numerics
from fakebench.core.cache import atomic_write_json, read_json
from fakebench.core.version import __version__

RUN_FILE = "run.json"  # beside a score store, a checkpoint or a job's outputs
PACKAGES = ("numpy", "pillow", "scikit-learn", "diffusers", "datasets")  # libraries that shape pixels or scores


def versions() -> dict[str, str]:
    """fakebench, python, torch, the platform and the libraries that shape pixels or scores (torch is
    imported here, at write time: reading a record back, as `fakebench report` does, needs no torch)."""
    import torch

    found = {"fakebench": __version__, "python": platform.python_version(), "torch": torch.__version__,
             "platform": platform.platform()}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            pass
    return found


# Every record's header after `kind`: name -> the function that reads it at write time.
RECORDED: dict[str, Callable[[], Any]] = {
    "argv": lambda: list(sys.argv),
    "versions": versions,
    "world_size": lambda: distributed.current().world_size,
    "numerics": numerics.fingerprint,  # CPU, ISA in use, threads, library versions, pinned or not
}


def as_dict(obj: Any) -> Any:
    """A dataclass (nested ones too) as a JSON-able dict; other values as they are."""
    return asdict(obj) if is_dataclass(obj) and not isinstance(obj, type) else obj


def provenance(kind: str, **sections: Any) -> dict[str, Any]:
    """The record: `kind` of run, the `RECORDED` header, then the run's sections (dataclasses as dicts)."""
    return {"kind": kind, **{name: read() for name, read in RECORDED.items()},
            **{name: as_dict(value) for name, value in sections.items()}}


def write_run_json(out_dir: Path, record: dict[str, Any], name: str = RUN_FILE) -> Path:
    """Write a `provenance` record atomically into `out_dir`; returns its path."""
    path = Path(out_dir) / name
    atomic_write_json(path, record)
    return path


def read_run_json(folder: Path) -> dict[str, Any] | None:
    """The run.json in `folder`, if there is one."""
    path = Path(folder) / RUN_FILE
    return read_json(path) if path.is_file() else None
