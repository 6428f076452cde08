"""Hugging Face datasets (`hf:OWNER/NAME[:SPLIT]`, `hf:PATH[:SPLIT]`) as image sets, offline.

`hf:OWNER/NAME` reads a dataset repository from the local Hugging Face hub cache (put there by
`hf download --repo-type dataset OWNER/NAME`), streamed from its files; failing that, a copy that an
earlier `datasets.load_dataset` prepared in the datasets cache. It never downloads. `hf:PATH` reads a
folder written by `Dataset.save_to_disk` / `DatasetDict.save_to_disk`.

Columns are named in a query: `hf:NAME?image=img&label=is_fake&generator=model` (defaults `image`,
`label`, `generator`; the generator column is optional). Labels are read as folders and manifests
read them (`fakebench.data.labels`: 0/1, booleans, real/fake, nature/ai, ... in any case); a
`ClassLabel` column is read through its names, so `names=["fake", "real"]` is understood.
Rows are read in Arrow batches, never all at once: each image's bytes, as
stored, go to the content-addressed cache (`$FAKEBENCH_HOME/hfimages/<sha256>`), so memory stays flat
in the dataset's size and scoring reads files exactly as for `folder:`. A rescan of the same dataset
(same fingerprint or hub commit, same columns) reads the scan from cache. Rows whose image cannot be
decoded stay in their set, marked failed with the reason; rows without an image or with an unknown
label are listed as skipped.

`datasets` is an optional dependency (`pip install 'fakebench[hf]'`), imported only here and only
when an `hf:` source is used.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from tqdm.auto import tqdm

from fakebench.core.cache import (
    artifact_dir,
    atomic_write_bytes,
    atomic_write_json,
    bytes_sha256,
    read_json,
    stable_hash,
)
from fakebench.core.errors import FakebenchError
from fakebench.core.imageio import load_rgb
from fakebench.data.folders import LabelledDataset, SkippedFile
from fakebench.data.hf_cache import hf_cache_dir
from fakebench.data.imagesets import FAKE, ImageRecord, ImageSet
from fakebench.data.labels import parse_label

log = logging.getLogger(__name__)

PREFIX = "hf:"
COLUMN_ROLES = ("image", "label", "generator")
BATCH_ROWS = 256  # rows held at once while scanning
SCAN_FORMAT = 1  # bump when what a scan records changes
INSTALL = "pip install 'fakebench[hf]'  (or: pip install 'datasets>=2.19')"


@dataclass(frozen=True)
class HFSpec:
    """A parsed `hf:` spec: a local folder or a hub repository id, an optional split, column names."""

    text: str
    path: Path | None  # a save_to_disk folder
    repo_id: str  # OWNER/NAME when not a folder
    split: str
    image: str = "image"
    label: str = "label"
    generator: str = "generator"
    generator_given: bool = False  # named in the query: then it must exist

    @property
    def name(self) -> str:
        base = self.path.name if self.path is not None else self.repo_id.replace("/", "-")
        return base + (f"-{self.split}" if self.split else "")

    @property
    def download_command(self) -> str:
        return f"hf download --repo-type dataset {self.repo_id}"


def parse_hf_spec(spec: str) -> HFSpec:
    """`hf:OWNER/NAME[:SPLIT][?image=..&label=..&generator=..]` or `hf:PATH[:SPLIT][?...]`."""
    text = str(spec)
    body = text[len(PREFIX):] if text.startswith(PREFIX) else text
    body, _, query = body.partition("?")
    columns: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key not in COLUMN_ROLES or not value:
            raise FakebenchError(f"{text!r}: unknown or empty query key {key!r}",
                                 fix="name columns as ?image=COLUMN&label=COLUMN&generator=COLUMN")
        columns[key] = value
    if not body:
        raise FakebenchError(f"{text!r} names no dataset", fix="e.g. hf:OWNER/NAME:test or hf:/path/to/saved")
    path, split = _local_path(body)
    repo_id = ""
    if path is None:
        repo_id, _, split = body.partition(":")
        if repo_id.count("/") != 1 or repo_id.startswith((".", "/", "~")) or not all(repo_id.split("/")):
            raise FakebenchError(f"{text!r}: no folder {repo_id!r} here, and not a hub id OWNER/NAME",
                                 fix="pass a save_to_disk folder or OWNER/NAME[:SPLIT]")
    return HFSpec(text, path, repo_id, split, **columns, generator_given="generator" in columns)


def _local_path(body: str) -> tuple[Path | None, str]:
    """The folder a spec names (the whole body, or the part before its last ':'), and the split."""
    whole = Path(body).expanduser()
    if whole.exists():
        return whole.resolve(), ""
    head, sep, split = body.rpartition(":")
    if sep and head and Path(head).expanduser().exists():
        return Path(head).expanduser().resolve(), split
    return None, ""


def _datasets():
    """The `datasets` module, imported offline; a missing install is one line with the pip command."""
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import datasets
    except ImportError:
        raise FakebenchError("hf: data sources need the `datasets` library, which is not installed",
                             fix=INSTALL) from None
    datasets.config.HF_HUB_OFFLINE = True  # also when something imported it before, online
    datasets.config.HF_DATASETS_OFFLINE = True
    datasets.disable_progress_bars()
    return datasets


# --- opening ------------------------------------------------------------------------------------------


@dataclass
class _Opened:
    """One split, ready to stream: Arrow batches of the needed columns, its features and a fingerprint."""

    table: Any  # datasets.Dataset or IterableDataset
    features: Any
    columns: list[str]
    fingerprint: str
    rows: int | None  # known for a Dataset, None when streamed
    where: str  # for messages


def _pick_split(spec: HFSpec, splits: list[str], where: str) -> str:
    if spec.split:
        if spec.split not in splits:
            raise FakebenchError(f"{where} has no split {spec.split!r}; its splits: {', '.join(splits)}",
                                 fix=f"use {PREFIX}{spec.repo_id or spec.path}:SPLIT with one of them")
        return spec.split
    if len(splits) == 1:
        return splits[0]
    if "test" in splits:
        return "test"
    raise FakebenchError(f"{where} has splits {', '.join(splits)}; which one?",
                         fix=f"name it: {PREFIX}{spec.repo_id or spec.path}:{splits[0]}")


def _open_saved(spec: HFSpec, ds_lib) -> _Opened:
    where = f"dataset folder {str(spec.path)!r}"
    try:
        loaded = ds_lib.load_from_disk(str(spec.path))
    except (FileNotFoundError, ValueError) as exc:
        raise FakebenchError(f"{where} is not a datasets save_to_disk folder ({str(exc).splitlines()[0]})",
                             fix="write it with Dataset.save_to_disk, or use folder:PATH for image folders") from None
    if isinstance(loaded, ds_lib.DatasetDict):
        split = _pick_split(spec, list(loaded), where)
        ds = loaded[split]
    else:
        if spec.split:
            raise FakebenchError(f"{where} holds one Dataset, without splits", fix=f"drop ':{spec.split}'")
        split, ds = "", loaded
    return _Opened(ds, ds.features, list(ds.column_names), stable_hash("hf-saved", ds._fingerprint, split),
                   ds.num_rows, where + (f" split {split!r}" if split else ""))


def _hub_snapshot(repo_id: str) -> Path | None:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(repo_id, repo_type="dataset", local_files_only=True,
                                      cache_dir=hf_cache_dir("hub")))
    except (LocalEntryNotFoundError, FileNotFoundError, OSError):
        return None


def _open_hub(spec: HFSpec, ds_lib) -> _Opened:
    where = f"hub dataset {spec.repo_id!r}"
    snapshot = _hub_snapshot(spec.repo_id)
    if snapshot is not None:
        try:
            loaded = ds_lib.load_dataset(str(snapshot), streaming=True)
        except Exception as exc:  # noqa: BLE001 - a repo datasets cannot read (scripts, no data files)
            raise FakebenchError(f"{where} is in the hub cache ({snapshot}) but datasets cannot read it: "
                                 f"{str(exc).splitlines()[0]}", fix="check the repository's files") from None
        split = _pick_split(spec, list(loaded), where)
        ids = loaded[split]
        features = ids.features
        columns = list(features) if features is not None else list(ids.column_names or [])
        return _Opened(ids, features, columns, stable_hash("hf-hub", spec.repo_id, snapshot.name, split), None,
                       f"{where} split {split!r}")
    try:  # a copy prepared earlier by datasets.load_dataset (datasets cache), reused, never downloaded
        loaded = ds_lib.load_dataset(spec.repo_id, download_mode="reuse_dataset_if_exists",
                                     cache_dir=str(hf_cache_dir("datasets")))
    except Exception:  # noqa: BLE001 - offline misses surface as ConnectionError, FileNotFoundError, ...
        raise FakebenchError(f"{where} is not in the local Hugging Face cache (and fakebench never downloads)",
                             fix=spec.download_command) from None
    split = _pick_split(spec, list(loaded), where)
    ds = loaded[split]
    return _Opened(ds, ds.features, list(ds.column_names), stable_hash("hf-prepared", ds._fingerprint, split),
                   ds.num_rows, f"{where} split {split!r}")


def _check_columns(spec: HFSpec, opened: _Opened) -> list[str]:
    """The columns a scan reads; a missing one is one line listing the columns there are."""
    needed = [spec.image, spec.label]
    missing = [c for c in needed if c not in opened.columns]
    if spec.generator_given and spec.generator not in opened.columns:
        missing.append(spec.generator)
    if missing:
        raise FakebenchError(f"{opened.where} has no column {', '.join(repr(m) for m in missing)}; its columns: "
                             f"{', '.join(opened.columns)}",
                             fix=f"map yours: {PREFIX}{spec.repo_id or spec.path}"
                                 f"{':' + spec.split if spec.split else ''}?image=COLUMN&label=COLUMN"
                                 "[&generator=COLUMN]")
    return needed + ([spec.generator] if spec.generator in opened.columns else [])


# --- rows ---------------------------------------------------------------------------------------------


def _label_names(features: Any, column: str) -> list[str] | None:
    feature = features.get(column) if features is not None else None
    names = getattr(feature, "names", None)  # datasets.ClassLabel
    return list(names) if names else None


def _column_label(value: Any, names: list[str] | None) -> int:
    """A label cell: a ClassLabel index through its names, then the one vocabulary (generators.labels)."""
    if names is not None and isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(names):
        value = names[value]
    return parse_label(value)


def _image_bytes(value: Any, base: Path | None) -> bytes:
    """The stored bytes of an Image cell ({bytes, path}), a binary cell, or a file path cell."""
    if isinstance(value, dict):
        if value.get("bytes"):
            return value["bytes"]
        value = value.get("path")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str) and value:
        path = Path(value)
        if not path.is_absolute() and base is not None:
            path = base / path
        return path.read_bytes()
    raise ValueError("the row has no image")


def _rows(opened: _Opened, columns: list[str]) -> Iterator[dict[str, Any]]:
    """Rows of the needed columns, decoded by nothing (Arrow storage), one batch held at a time."""
    table = opened.table.select_columns(columns).with_format("arrow")
    for batch in table.iter(batch_size=BATCH_ROWS):
        yield from batch.to_pylist()


@dataclass(frozen=True)
class _Row:
    image_id: str
    label: int
    generator: str
    record: ImageRecord
    failed: str


def _scan(spec: HFSpec, opened: _Opened, columns: list[str], images: Path) -> tuple[list[_Row], list[SkippedFile]]:
    names = _label_names(opened.features, spec.label)
    base = spec.path
    rows: list[_Row] = []
    skipped: list[SkippedFile] = []
    for index, row in enumerate(tqdm(_rows(opened, columns), total=opened.rows, desc=f"scan {spec.name}",
                                     unit="row", leave=False, delay=0.5)):
        where = f"{spec.text} row {index}"
        try:
            label = _column_label(row[spec.label], names)
            data = _image_bytes(row[spec.image], base)
        except (ValueError, OSError) as exc:
            skipped.append(SkippedFile(where, str(exc)))
            continue
        sha = bytes_sha256(data)
        file = f"{sha[:2]}/{sha}"
        if not (images / file).is_file():
            atomic_write_bytes(images / file, data)
        failed, (w, h) = "", (0, 0)
        try:
            w, h = load_rgb(images / file).size
        except FakebenchError as exc:
            failed = f"{where}: {exc}"
        generator = row.get(spec.generator)
        image_id = f"row{index:08d}"
        rows.append(_Row(image_id, label, "" if generator is None else str(generator).strip(),
                         ImageRecord(image_id, file, sha, w, h), failed))
    return rows, skipped


def _sets(spec: HFSpec, rows: list[_Row], images: Path, key: str) -> tuple[dict[str, ImageSet], dict[str, ImageSet]]:
    """Fakes per generator (none named: the dataset's name); reals with their generator's fakes when
    they name one that has fakes, else shared ("")."""
    fake_gens = {r.generator or spec.name for r in rows if r.label == FAKE}
    groups: dict[tuple[int, str], list[_Row]] = {}
    for r in rows:
        gen = (r.generator or spec.name) if r.label == FAKE else (r.generator if r.generator in fake_gens else "")
        groups.setdefault((r.label, gen), []).append(r)
    reals: dict[str, ImageSet] = {}
    fakes: dict[str, ImageSet] = {}
    for (label, gen), group in sorted(groups.items()):
        kind = "fake" if label == FAKE else "real"
        records = [r.record for r in group]
        imageset = ImageSet(f"{spec.name}-{gen or 'shared'}-{kind}",
                            stable_hash("hf", key, label, gen, [(r.image_id, r.sha256) for r in records]), label,
                            images, records, {r.image_id: r.failed for r in group if r.failed})
        (fakes if label == FAKE else reals)[gen] = imageset
    return reals, fakes


def load_hf_dataset(spec: str, name: str | None = None) -> LabelledDataset:
    """Scan an `hf:` source into image sets (the shape `folder:` gives), every row accounted for."""
    parsed = parse_hf_spec(spec)
    ds_lib = _datasets()
    opened = _open_saved(parsed, ds_lib) if parsed.path is not None else _open_hub(parsed, ds_lib)
    columns = _check_columns(parsed, opened)
    images = artifact_dir("hfimages", "sha256")
    key = stable_hash("hf-scan", SCAN_FORMAT, opened.fingerprint, columns, parsed.image, parsed.label,
                      parsed.generator)
    scan_path = artifact_dir("hfscans", key) / "scan.json"
    data = read_json(scan_path) if scan_path.is_file() else None
    if data is not None and all((images / r[3]).is_file() for r in data["rows"]):  # cache files may be pruned
        rows = [_Row(i, label, gen, ImageRecord(i, file, sha, w, h), failed)
                for i, label, gen, file, sha, w, h, failed in data["rows"]]
        skipped = [SkippedFile(p, why) for p, why in data["skipped"]]
    else:
        rows, skipped = _scan(parsed, opened, columns, images)
        atomic_write_json(scan_path, {"spec": parsed.text, "rows": [
            [r.image_id, r.label, r.generator, r.record.file, r.record.sha256, r.record.width, r.record.height,
             r.failed] for r in rows], "skipped": [[s.path, s.reason] for s in skipped]})
    if not rows:
        raise FakebenchError(f"{opened.where} holds no labelled images"
                             + (f" ({len(skipped)} rows left out, e.g. {skipped[0].path}: {skipped[0].reason})"
                                if skipped else ""),
                             fix=f"check the label column ({parsed.label!r}): 0/1 or real/fake")
    out = LabelledDataset(name or parsed.name, parsed.path or Path(parsed.repo_id), skipped=skipped)
    out.reals, out.fakes = _sets(parsed, rows, images, key)
    if skipped:
        log.warning("%s: %d row(s) left out (see the skipped report)", parsed.text, len(skipped))
    return out
