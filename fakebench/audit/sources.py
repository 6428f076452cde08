"""What `fakebench audit` can audit: any labelled set the project reads, as a list of labelled files
(and, where the source knows them, real/fake pairs), nothing opened yet.

- `folder:PATH` (or a bare folder): every layout `--data folder:` knows (fakebench.data.folders);
- `hf:...`: a Hugging Face dataset, as `--data hf:` reads it (fakebench.data.hf_datasets);
- `recon:PATH` (or a bare folder holding `reconstruct.json`): a `fakebench reconstruct` output beside
  the reals it was made from (named in its reconstruct.json), paired file by file.

The benchmark's own training sets (`mini:NAME`) are resolved above this package, by
`fakebench.benchmark.training_audit`."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from fakebench.core.errors import FakebenchError
from fakebench.data.folders import SkippedFile, labelled_files, list_images
from fakebench.data.imagesets import FAKE, REAL, RECON_SUFFIX, ImageSet
from fakebench.data.labels import LABEL_NAMES

if TYPE_CHECKING:  # a header audit of files loads no model: the recipes (and torch) only type a training set
    from fakebench.detectors.recipes import TrainingData

RECON_RECORD = "reconstruct.json"  # what `fakebench reconstruct` writes beside its outputs
SOURCE_FORMS = "folder:PATH, hf:NAME[:SPLIT] or hf:PATH, recon:PATH (a fakebench reconstruct output)"


@dataclass(frozen=True, slots=True)
class AuditFile:
    path: Path
    label: int
    where: str  # how reports name it: a path relative to the source, or a dataset row


@dataclass
class AuditSource:
    """A labelled set as files; `pairs` (indices into `files`: real, fake) when the source knows them."""

    name: str
    files: list[AuditFile]
    skipped: list[SkippedFile] = field(default_factory=list)  # left out by the source itself, with why
    pairs: list[tuple[int, int]] | None = None
    note: str = ""  # what the source is, for the reports
    pairs_known: bool = False  # True: pairs are the source's own (audited always); False: guessed by name


def sets_source(name: str, sets: list[ImageSet], note: str = "", pairs_by_id: bool = False) -> AuditSource:
    """Image sets as an audit source (failed records included: the audit reports them); with
    `pairs_by_id`, each real pairs with the fake whose image id is its own plus `-recon` (the aligned
    recipes' reconstructions)."""
    files, index = [], {}
    for s in sets:
        for r in s.records:
            index[s.label, r.image_id] = len(files)
            files.append(AuditFile(s.path(r), s.label, f"{s.name}/{r.file}"))
    pairs = [(i, index[FAKE, rid + RECON_SUFFIX]) for (label, rid), i in index.items()
             if label == REAL and (FAKE, rid + RECON_SUFFIX) in index] if pairs_by_id else []
    return AuditSource(name, files, pairs=pairs or None, note=note, pairs_known=bool(pairs))


def training_source(name: str, data: TrainingData, note: str = "") -> AuditSource:
    """A recipe's training sets (reals and fakes, not validation) as an audit source."""
    return sets_source(name, [data.real, data.fake], note, pairs_by_id=True)


def _pair_key(rel: PurePosixPath) -> str:
    """A file's place without its label folder and suffix: real/a/b.jpg and fake/a/b.png meet."""
    parts = [p for p in rel.parts[:-1] if p.lower() not in LABEL_NAMES]
    return "/".join([*parts, rel.stem])


def _folder(spec: str) -> AuditSource:
    listed = labelled_files(spec)
    files = []
    keys: dict[tuple[int, str], int] = {}
    for e in listed.entries:
        rel = PurePosixPath(e.rel)
        path = Path(e.rel) if Path(e.rel).is_absolute() else listed.root / e.rel
        keys.setdefault((e.label, _pair_key(rel)), len(files))
        files.append(AuditFile(path, e.label, e.rel))
    pairs = [(i, keys[FAKE, key]) for (label, key), i in keys.items() if label == REAL and (FAKE, key) in keys]
    return AuditSource(spec, files, listed.skipped, pairs or None, f"folder dataset {listed.root}")


def _hf(spec: str) -> AuditSource:
    from fakebench.data.hf_datasets import load_hf_dataset

    ds = load_hf_dataset(spec)
    source = sets_source(spec, [*ds.reals.values(), *ds.fakes.values()], f"Hugging Face dataset {ds.root}")
    source.skipped = ds.skipped
    return source


def _recon(spec: str, path: Path) -> AuditSource:
    record = path / RECON_RECORD
    if not record.is_file():
        raise FakebenchError(f"{str(path)!r} has no {RECON_RECORD}, so its reals are unknown",
                             fix="pass the --output folder of fakebench reconstruct, or a folder with real/ + fake/")
    reals_root = Path(json.loads(record.read_text())["input"])
    if not reals_root.is_dir():
        raise FakebenchError(f"the reals {str(reals_root)!r} that {str(path)!r} was reconstructed from are gone",
                             fix="restore them, or audit folder:PATH with real/ and fake/")
    reals, skipped = list_images(reals_root)
    fakes, more = list_images(path)
    files = [AuditFile(p, REAL, f"real/{p.relative_to(reals_root).as_posix()}") for p in reals]
    fake_at = {p: len(files) + i for i, p in enumerate(fakes)}
    files += [AuditFile(p, FAKE, f"recon/{p.relative_to(path).as_posix()}") for p in fakes]
    pairs = []
    for i, p in enumerate(reals):  # `fakebench reconstruct` writes a/b.jpg as a/b.png (or a/b.jpg.png on a clash)
        rel = p.relative_to(reals_root)
        for candidate in (path / rel.with_suffix(".png"), path / f"{rel}.png"):
            if candidate in fake_at:
                pairs.append((i, fake_at[candidate]))
                break
    return AuditSource(spec, files, skipped + more, pairs or None,
                       f"reconstructions in {path} of the reals in {reals_root}", pairs_known=True)


def resolve_source(spec: str, forms: str = SOURCE_FORMS) -> AuditSource:
    """The labelled files a SOURCE names; a source that does not exist is one line naming it and the fix
    (`forms`: the sources the caller accepts, for that line)."""
    if spec.startswith("hf:"):
        return _hf(spec)
    if spec.startswith("recon:"):
        path = Path(spec[len("recon:"):]).expanduser()
        if not path.is_dir():
            raise FakebenchError(f"reconstruction folder {str(path)!r} does not exist",
                                 fix="pass the --output folder of fakebench reconstruct")
        return _recon(spec, path.resolve())
    bare = Path(spec).expanduser()
    if not spec.startswith("folder:") and not bare.exists():
        raise FakebenchError(f"audit source {spec!r} does not exist", fix=f"pass one of {forms}")
    if not spec.startswith("folder:") and (bare / RECON_RECORD).is_file():
        return _recon(spec, bare.resolve())
    return _folder(spec)
