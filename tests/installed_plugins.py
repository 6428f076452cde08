"""Installing a plugin package the way `pip install` leaves it: a .dist-info folder (METADATA and
entry_points.txt) on the path, next to its source. No network, no edit to fakebench."""
from __future__ import annotations

from pathlib import Path


def install_dist(site: Path, dist: str, version: str, entry_points: dict[str, dict[str, str]]) -> None:
    """Write `dist`'s .dist-info into `site` declaring `entry_points` ({group: {name: "module:attr"}})."""
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    lines = []
    for group, eps in entry_points.items():
        lines += [f"[{group}]"] + [f"{name} = {target}" for name, target in eps.items()] + [""]
    (info / "entry_points.txt").write_text("\n".join(lines))


def activate(monkeypatch, *folders: Path) -> None:
    """Put `folders` first on sys.path and make the detector and generator registries read entry points
    afresh (what a new process would see), restoring both when the test ends."""
    from fakebench.detectors.registry import DETECTORS
    from fakebench.generators.registry import GENERATORS

    for folder in reversed(folders):
        monkeypatch.syspath_prepend(str(folder))
    for registry in (DETECTORS, GENERATORS):
        monkeypatch.setattr(registry, "_entry_points_loaded", False)
        monkeypatch.setattr(registry, "_factories", dict(registry._factories))
        monkeypatch.setattr(registry, "_distributions", dict(registry._distributions))
        monkeypatch.setattr(registry, "failures", [])
