"""A packaged-photos manifest for tests: the CSV `fakebench.data.photos` reads, written from rows."""
from __future__ import annotations

import csv
from dataclasses import fields
from pathlib import Path

from fakebench.data.photos import PackagedPhoto


def write_manifest(path: Path, photos: list[PackagedPhoto]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([f.name for f in fields(PackagedPhoto)])
        writer.writerows([[getattr(p, f.name) for f in fields(PackagedPhoto)] for p in photos])
    return path
