"""The protocol of a run, recorded in `run.json` beside its score store: what data (counts and content
hashes per split and generator), which detectors trained how (the DetectorSpec and TrainConfig as
dicts, so any field added to them is recorded without touching this module), seeds and versions.

`fakebench report` prints it at the top of leaderboard.md (see `fakebench.leaderboard.protocol`)."""
from __future__ import annotations

import platform
import sys
from dataclasses import asdict, is_dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import torch

from fakebench.core import distributed, numerics
from fakebench.core.cache import atomic_write_json
from fakebench.core.version import __version__
from fakebench.generators.imagesets import ImageSet

RUN_FILE = "run.json"
PACKAGES = ("numpy", "pillow", "scikit-learn", "diffusers", "datasets")


def versions() -> dict[str, str]:
    """fakebench, python, torch and the libraries that shape pixels or scores."""
    found = {"fakebench": __version__, "python": platform.python_version(), "torch": torch.__version__,
             "platform": platform.platform()}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            pass
    return found


def set_entry(split: str, generator: str, imageset: ImageSet) -> dict[str, Any]:
    """One image set of the manifest: its count, failed count and content hash (sha256s of its images)."""
    return {"split": split, "generator": generator, "set": imageset.name, "label": imageset.label,
            "images": len(imageset), "failed": len(imageset.failed), "content_hash": imageset.content_hash}


def as_dict(obj: Any) -> Any:
    """A dataclass (nested ones too) as a JSON-able dict; other values as they are."""
    return asdict(obj) if is_dataclass(obj) and not isinstance(obj, type) else obj


def detector_entry(label: str, seed: int, checkpoint: str, spec: Any = None, train: Any = None,
                   sidecar: dict | None = None) -> dict[str, Any]:
    """A detector of the run: its spec (recipe, training generator, factory kwargs), training config,
    and, when it was trained, its checkpoint sidecar's training-data hashes and validation metrics."""
    entry: dict[str, Any] = {"label": label, "seed": seed, "checkpoint": checkpoint}
    if spec is not None:
        entry["spec"] = as_dict(spec)
    if train is not None:
        entry["train_config"] = as_dict(train)
    if sidecar:
        entry["train_config"] = sidecar.get("train_config") or entry.get("train_config")
        entry["training_data"] = sidecar.get("data", {})
        entry["validation"] = sidecar.get("validation", {})
        entry["trained_with"] = sidecar.get("versions", {})
        entry["numerics"] = sidecar.get("numerics", {})
    return entry


def run_protocol(kind: str, datasets: list[dict], detectors: list[dict], **settings: Any) -> dict[str, Any]:
    """The whole record: kind of run, command line, versions, settings, detectors, dataset manifest."""
    return {"kind": kind, "argv": list(sys.argv), "versions": versions(), "world_size": distributed.current().world,
            "numerics": numerics.fingerprint(),
            "settings": {k: as_dict(v) for k, v in settings.items()}, "detectors": detectors, "datasets": datasets}


def write_run_json(out_dir: Path, protocol: dict[str, Any]) -> Path:
    path = Path(out_dir) / RUN_FILE
    atomic_write_json(path, protocol)
    return path


def checkpoint_sidecars(paths: list[Path]) -> dict[str, dict]:
    """Checkpoint hash (as detectors report it: 16 hex digits) -> its sidecar, for the given files."""
    import json

    from fakebench.detectors.trainable import sidecar_path

    found = {}
    for path in paths:
        path = Path(path) / "model.safetensors" if Path(path).is_dir() else Path(path)
        sidecar = sidecar_path(path)
        if sidecar.is_file():
            data = json.loads(sidecar.read_text())
            found[data.get("weights_sha256", "")[:16]] = data
    return found
