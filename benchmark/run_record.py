"""The benchmark's sections of a run's `run.json` (the record itself is `fakebench.core.provenance`):
what data (counts and content hashes per split and generator) and which detectors trained how (the
DetectorSpec and TrainConfig as dicts, so any field added to them is recorded without touching this
module).

`fakebench report` prints it at the top of leaderboard.md (see `fakebench.leaderboard.run_record`)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from fakebench.core.provenance import as_dict
from fakebench.data.imagesets import ImageSet


def set_entry(split: str, generator: str, imageset: ImageSet) -> dict[str, Any]:
    """One image set of the manifest: its count, failed count and content hash (sha256s of its images)."""
    return {"split": split, "generator": generator, "set": imageset.name, "label": imageset.label,
            "images": len(imageset), "failed": len(imageset.failed), "content_hash": imageset.content_hash}


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
