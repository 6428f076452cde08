"""Folder datasets (`folder:PATH`): real and fake images laid out the ways published sets are.

Understood layouts (recursive, any image format Pillow reads):
- `real/` + `fake/` (also `reals/`, `fakes/`);
- `0_real/` + `1_fake/`, as in Wang et al.'s CNNDetection and the paper's evaluation data, with any
  folders in between (`progan/airplane/0_real/...`);
- per-generator subfolders: `<generator>/real|fake/...`, or `real/` shared by `fake/<generator>/...`;
- GenImage: `<generator>/<train|val>/{nature,ai}/...`;
- a CSV manifest (`path,label[,generator]`; labels as `fakebench.data.labels` reads them:
  0/1 or real/fake, nature/ai, ...; paths relative to the CSV).

A file's label comes from the nearest folder named like a label; its generator from the first folder
below the root that is neither a label nor a split (none: the dataset's own name). Every file is
accounted for: used, or listed in `skipped` with the reason. Images that cannot be decoded stay in
their set and are marked `failed`, so scoring counts them (n_failed) and training skips them. What a
scan learns about a file (sha256, size, whether it decodes) is cached by (path, size, mtime).
"""
from __future__ import annotations

import csv
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from PIL import Image
from tqdm.auto import tqdm

from fakebench.core.cache import (
    artifact_dir,
    atomic_write_json,
    file_sha256,
    read_json,
    stable_hash,
)
from fakebench.core.errors import FakebenchError
from fakebench.core.imageio import load_rgb
from fakebench.data.imagesets import FAKE, REAL, ImageRecord, ImageSet
from fakebench.data.labels import LABEL_NAMES, label_of_name, parse_label

log = logging.getLogger(__name__)

SPLIT_NAMES = frozenset({"train", "val", "valid", "validation", "test"})
PREFIX = "folder:"


def image_suffixes() -> frozenset[str]:
    """Extensions Pillow can open here (so any format it reads is welcome)."""
    return frozenset(ext.lower() for ext in Image.registered_extensions())


NO_SUCH_FILE = "no such file"  # `image_files`' reason for a path named that is not there


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


@dataclass(frozen=True)
class _Entry:
    rel: str  # posix path relative to the dataset root (or absolute, from a manifest)
    label: int
    generator: str


@dataclass
class LabelledDataset:
    """A labelled dataset's images as image sets (a `folder:` layout, a CSV manifest or an `hf:` dataset):
    fakes per generator, reals per generator ("" = shared)."""

    name: str
    root: Path
    reals: dict[str, ImageSet] = field(default_factory=dict)
    fakes: dict[str, ImageSet] = field(default_factory=dict)
    skipped: list[SkippedFile] = field(default_factory=list)

    @property
    def generators(self) -> list[str]:
        return sorted(self.fakes)

    def real_set(self, generator: str) -> ImageSet | None:
        """The reals that go with a generator's fakes: its own, else the shared ones."""
        return self.reals.get(generator) or self.reals.get("")

    def case_sets(self) -> dict[str, tuple[ImageSet | None, ImageSet]]:
        """Each generator's test sets under the name its cases carry: the dataset's name alone when the
        folder holds one generator named after it, else `<dataset>-<generator>`."""
        return {(gen if gen == self.name else f"{self.name}-{gen}"): (self.real_set(gen), self.fakes[gen])
                for gen in self.generators}

    def failed(self) -> list[SkippedFile]:
        """Images that are in a set but cannot be decoded, with why."""
        return [SkippedFile(str(s.path(r)), s.failed[r.image_id]) for s in [*self.reals.values(), *self.fakes.values()]
                for r in s.records if r.image_id in s.failed]


def parse_folder_spec(spec: str) -> Path:
    path = Path(spec[len(PREFIX):] if spec.startswith(PREFIX) else spec).expanduser()
    if not path.exists():
        raise FakebenchError(f"folder dataset {str(path)!r} does not exist", fix="check the path after 'folder:'")
    return path.resolve()


def _walk(root: Path) -> list[Path]:
    """Every file below `root`, in a fixed order (sorted at each level), links followed once."""
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames.sort()
        files += [Path(dirpath) / f for f in sorted(filenames)]
    return files


def _classify(rel: PurePosixPath, dataset: str) -> tuple[int | None, str]:
    parts = [p.lower() for p in rel.parts[:-1]]
    labels = [label for label in map(label_of_name, parts) if label is not None]
    label = labels[-1] if labels else None  # the nearest label folder wins
    names = [orig for orig, p in zip(rel.parts[:-1], parts) if p not in LABEL_NAMES | SPLIT_NAMES]
    generator = names[0] if names else ""
    return label, generator


def _label(value: str, where: str) -> int:
    try:
        return parse_label(value)
    except ValueError as exc:
        raise FakebenchError(f"{where}: {exc}", fix="fix the manifest row") from None


def _manifest_entries(csv_path: Path, dataset: str, skipped: list[SkippedFile]) -> list[_Entry]:
    entries = []
    with open(csv_path, newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"path", "label"} - set(reader.fieldnames or [])
        if missing:
            raise FakebenchError(f"manifest {str(csv_path)!r} lacks column(s) {', '.join(sorted(missing))}",
                                 fix="give it a header row: path,label[,generator]")
        for n, row in enumerate(reader, start=2):
            where = f"{csv_path}:{n}"
            path = Path(row["path"])
            full = path if path.is_absolute() else csv_path.parent / path
            if not full.is_file():
                skipped.append(SkippedFile(str(full), f"manifest row {n} points to no file"))
                continue
            try:
                label = _label(row["label"], where)
            except FakebenchError as exc:
                skipped.append(SkippedFile(str(full), str(exc)))
                continue
            rel = path.as_posix() if not path.is_absolute() else str(path)
            entries.append(_Entry(rel, label, (row.get("generator") or "").strip()))
    return entries


def _folder_entries(root: Path, dataset: str, skipped: list[SkippedFile]) -> list[_Entry]:
    suffixes = image_suffixes()
    entries = []
    for path in _walk(root):
        rel = PurePosixPath(path.relative_to(root).as_posix())
        if path.suffix.lower() not in suffixes:
            skipped.append(SkippedFile(str(path), "not an image file (extension)"))
            continue
        label, generator = _classify(rel, dataset)
        if label is None:
            skipped.append(SkippedFile(str(path), "not under a label folder (real/fake, 0_real/1_fake or nature/ai)"))
            continue
        entries.append(_Entry(str(rel), label, generator))
    return entries


class _InfoCache:
    """sha256, size and decode outcome per file, keyed by (size, mtime): a rescan reads nothing new."""

    def __init__(self, root: Path) -> None:
        self.path = artifact_dir("folders", stable_hash("folder-info", str(root))) / "files.json"
        self.data: dict[str, list] = read_json(self.path) if self.path.is_file() else {}
        self.dirty = False

    def get(self, path: Path) -> tuple[str, int, int, str]:
        st = path.stat()
        key = str(path)
        hit = self.data.get(key)
        if hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            return hit[2], hit[3], hit[4], hit[5]
        reason, w, h = "", 0, 0
        try:
            w, h = load_rgb(path).size
        except FakebenchError as exc:
            reason = str(exc)
        sha = file_sha256(path)
        self.data[key] = [st.st_size, st.st_mtime_ns, sha, w, h, reason]
        self.dirty = True
        return sha, w, h, reason

    def save(self) -> None:
        if self.dirty:
            atomic_write_json(self.path, self.data)


def _image_set(name: str, root: Path, label: int, entries: list[_Entry], info: _InfoCache) -> ImageSet:
    records, failed = [], {}
    for e in entries:
        sha, w, h, reason = info.get(root / e.rel)
        records.append(ImageRecord(e.rel, e.rel, sha, w, h))
        if reason:
            failed[e.rel] = reason
    key = stable_hash("folder", str(root), label, [(r.image_id, r.sha256) for r in records])
    return ImageSet(name, key, label, root, records, failed)


@dataclass(frozen=True)
class LabelledFiles:
    """A folder dataset's files and labels as its layout gives them, nothing opened yet."""

    name: str
    root: Path
    entries: list[_Entry]  # rel: relative to root (or absolute, from a manifest)
    skipped: list[SkippedFile]


def labelled_files(spec: str | Path, name: str | None = None) -> LabelledFiles:
    """The labelled files of `folder:PATH` (a folder or a CSV manifest), without opening one: what a
    scan (load_folder_dataset) or a header-only audit starts from."""
    path = parse_folder_spec(str(spec))
    root = path.parent if path.is_file() else path
    dataset = name or (path.stem if path.is_file() else path.name)
    skipped: list[SkippedFile] = []
    if path.is_file():
        if path.suffix.lower() != ".csv":
            raise FakebenchError(f"{str(path)!r} is a file but not a CSV manifest",
                                 fix="pass a folder, or a CSV with columns path,label[,generator]")
        entries = _manifest_entries(path, dataset, skipped)
    else:
        entries = _folder_entries(root, dataset, skipped)
    if not entries:
        raise FakebenchError(f"folder dataset {str(path)!r} holds no labelled images"
                             + (f" ({len(skipped)} files left out, e.g. {skipped[0].path}: {skipped[0].reason})"
                                if skipped else ""),
                             fix="put images under real/ and fake/ (or 0_real/1_fake, nature/ai), "
                                 "or pass a CSV manifest")
    return LabelledFiles(dataset, root, entries, skipped)


def load_folder_dataset(spec: str | Path, name: str | None = None) -> LabelledDataset:
    """Scan `folder:PATH` (a folder or a CSV manifest) into image sets, every file accounted for."""
    listed = labelled_files(spec, name)
    dataset, root, entries, skipped = listed.name, listed.root, listed.entries, listed.skipped
    info = _InfoCache(root)
    groups: dict[tuple[int, str], list[_Entry]] = {}
    for e in tqdm(entries, desc=f"scan {dataset}", unit="file", leave=False, delay=0.5):
        info.get(root / e.rel)
        groups.setdefault((e.label, e.generator), []).append(e)
    info.save()
    out = LabelledDataset(dataset, root, skipped=skipped)
    for (label, generator), group in sorted(groups.items()):
        gen_name = generator or (dataset if label == FAKE else "")
        target = out.fakes if label == FAKE else out.reals
        kind = "fake" if label == FAKE else "real"
        target[gen_name] = _image_set(f"{dataset}-{gen_name or 'shared'}-{kind}", root, label, group, info)
    for gen in out.generators:
        if out.real_set(gen) is None:
            log.warning("folder dataset %s: generator %r has fakes but no reals (none shared either)", dataset, gen)
    if out.skipped:
        log.warning("folder dataset %s: %d file(s) left out (see the skipped report)", dataset, len(out.skipped))
    return out


def list_images(root: Path) -> tuple[list[Path], list[SkippedFile]]:
    """The image files below a plain folder (by extension, in a fixed order), nothing opened; the
    other files are returned as skipped."""
    if not root.is_dir():
        raise FakebenchError(f"{str(root)!r} is not a folder", fix="pass a folder of images")
    suffixes = image_suffixes()
    files, skipped = [], []
    for p in _walk(root):
        if p.suffix.lower() in suffixes:
            files.append(p)
        else:
            skipped.append(SkippedFile(str(p), "not an image file (extension)"))
    return files, skipped


def image_folder(path: str | Path, label: int = REAL, name: str | None = None) -> tuple[ImageSet, list[SkippedFile]]:
    """Every image below a plain folder (no label folders needed) as one set, e.g. the reals to
    reconstruct or train on; non-image files are returned as skipped."""
    root = parse_folder_spec(str(path))
    files, skipped = list_images(root)
    entries = [_Entry(p.relative_to(root).as_posix(), label, "") for p in files]
    if not entries:
        suffixes = image_suffixes()
        looked_for = ", ".join(sorted(suffixes)[:8])
        raise FakebenchError(f"folder {str(root)!r} holds no images (looked for {looked_for}, ...)",
                             fix="point it at a folder of images")
    info = _InfoCache(root)
    imageset = _image_set(name or root.name, root, label, list(tqdm(entries, desc=f"scan {root.name}", unit="file",
                                                                    leave=False, delay=0.5)), info)
    info.save()
    return imageset, skipped


def image_files(paths: list[str | Path], name: str = "images") -> tuple[ImageSet, list[SkippedFile]]:
    """Image files named one by one (e.g. on a command line) as one set of the readable ones, each
    file's id its path as given; files that are missing (reason NO_SUCH_FILE) or cannot be decoded are
    returned as skipped, with why and without a fix: the caller, who knows where the paths came from,
    says what to do."""
    records, skipped, seen = [], [], set()
    for given in paths:
        path = Path(given).expanduser().resolve()
        if str(path) in seen:
            continue
        seen.add(str(path))
        if not path.exists():
            skipped.append(SkippedFile(str(given), NO_SUCH_FILE))
            continue
        try:
            w, h = load_rgb(path).size
        except FakebenchError as exc:
            skipped.append(SkippedFile(str(given), exc.message))
            continue
        records.append(ImageRecord(str(given), str(path), file_sha256(path), w, h))
    key = stable_hash("files", [(r.file, r.sha256) for r in records])
    return ImageSet(name, key, REAL, Path("/"), records), skipped


def write_skipped_report(path: Path, skipped: list[SkippedFile]) -> Path:
    """`skipped.csv`: every file a run left out or could not use, and why (written even when empty)."""
    import pandas as pd

    from fakebench.core.cache import atomic_path

    with atomic_path(path) as tmp:
        frame = pd.DataFrame({"path": [s.path for s in skipped], "reason": [s.reason for s in skipped]})
        frame.to_csv(tmp, index=False)
    return path
