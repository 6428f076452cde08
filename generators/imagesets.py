"""Image sets on disk: the real corpus, generated fakes and aligned reconstructions.

A set is a folder of image files plus `manifest.json` (written last, atomically: a set without a
manifest is unfinished and is resumed, never trusted). Each file is written atomically, so a killed
build resumes by skipping the files that exist.
"""
from __future__ import annotations

import functools
import io
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch
from tqdm.auto import tqdm

from fakebench.core import distributed
from fakebench.core.cache import (
    artifact_dir,
    atomic_write_bytes,
    atomic_write_json,
    bytes_sha256,
    file_sha256,
    read_json,
    stable_hash,
)
from fakebench.core.decoded import DECODED
from fakebench.core.devices import run_in_batches
from fakebench.core.errors import FakebenchError
from fakebench.core.imageio import encode, load_verified
from fakebench.core.locks import artifact_lock
from fakebench.core.pixels import pil_to_uint8, uint8_to_float
from fakebench.core.pngwriter import PngWriter
from fakebench.core.workunits import default_workers, size_batches, unit_loader
from fakebench.generators.base import Generator
from fakebench.generators.corpus import (
    CorpusConfig,
    crop_jpeg_bytes,
    crop_specs,
    photo_path,
    split_photos,
)
from fakebench.generators.output_contract import checked_images
from fakebench.generators.procedural import DEFAULT_PROCEDURAL, ProceduralConfig, procedural_jpeg_bytes

log = logging.getLogger(__name__)

REAL, FAKE = 0, 1
RECON_SUFFIX = "-recon"  # a reconstruction's image id: its source image's id plus this
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class ImageRecord:
    image_id: str
    file: str  # relative to the set's root
    sha256: str
    width: int
    height: int


@dataclass
class ImageSet:
    name: str
    key: str
    label: int
    root: Path
    records: list[ImageRecord] = field(default_factory=list)
    # image_id -> why it cannot be used (undecodable, too small, ...). A folder set keeps such records
    # so that scoring reports them as failed rows (n_failed) and training skips them; a reconstructed
    # set lists the *source* images it could not reconstruct
    failed: dict[str, str] = field(default_factory=dict)

    def path(self, record: ImageRecord) -> Path:
        return self.root / record.file

    def read(self, record: ImageRecord):
        """The record's image as PIL RGB, its bytes checked against the manifest's sha256 (decoded once
        per process while the file stays unchanged: `fakebench.core.decoded`). A failed record raises
        its reason, so scoring fails it with the reason the set knows."""
        if record.image_id in self.failed:
            raise FakebenchError(self.failed[record.image_id])
        return DECODED.get(self.path(record), record.sha256, load_verified)

    def __len__(self) -> int:
        return len(self.records)

    @property
    def content_hash(self) -> str:
        """Hash of the set's bytes: what a checkpoint sidecar records as its training data."""
        return stable_hash(self.label, [(r.image_id, r.sha256) for r in self.records])

    def usable(self) -> ImageSet:
        """The set without its failed records (what training reads)."""
        if not self.failed:
            return self
        kept = [r for r in self.records if r.image_id not in self.failed]
        return replace(self, key=stable_hash("usable", self.key), records=kept, failed={})

    def subset(self, image_ids: set[str], name: str) -> ImageSet:
        kept = [r for r in self.records if r.image_id in image_ids]
        return replace(self, name=name, key=stable_hash("subset", self.key, sorted(image_ids)), records=kept,
                       failed={k: v for k, v in self.failed.items() if k in image_ids})

    def save(self, manifest_dir: Path) -> None:
        atomic_write_json(manifest_dir / MANIFEST, {"name": self.name, "key": self.key, "label": self.label,
                                                    "root": str(self.root), "failed": self.failed,
                                                    "records": [asdict(r) for r in self.records]})

    @classmethod
    def load(cls, manifest_dir: Path) -> ImageSet | None:
        path = manifest_dir / MANIFEST
        if not path.is_file():
            return None
        data = read_json(path)
        return cls(data["name"], data["key"], int(data["label"]), Path(data["root"]),
                   [ImageRecord(**r) for r in data["records"]], dict(data.get("failed", {})))


def joined_set(sets: list[ImageSet], name: str) -> ImageSet:
    """Several sets of one label as one (a mixture of training reals): each image id prefixed with its
    set's position (`0/`, `1/`, ...), so ids from two sets never clash, and each file named by its
    absolute path (the joined set's root is `/`); failed records stay failed."""
    labels = {s.label for s in sets}
    if len(labels) != 1:
        raise ValueError(f"cannot join sets of labels {sorted(labels)} into {name}")
    records = [replace(r, image_id=f"{k}/{r.image_id}", file=str(s.path(r))) for k, s in enumerate(sets)
               for r in s.records]
    failed = {f"{k}/{i}": why for k, s in enumerate(sets) for i, why in s.failed.items()}
    return ImageSet(name, stable_hash("joined", [s.key for s in sets]), labels.pop(), Path("/"), records, failed)


def _size_of(data: bytes) -> tuple[int, int]:
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return im.size


def _own_share(root: Path, what: str):
    """The lock a rank holds while building its share of a set: two runs sharing a cache then build
    each file once; no collective runs under it, so ranks of one run never wait on each other."""
    rank = distributed.current()
    return artifact_lock(root / f".build-rank{rank.rank}of{rank.world}", what)


def _jpeg_set(name: str, key: str, root: Path, items: list[tuple[str, Callable[[], bytes]]], desc: str,
              label: int = REAL, failed: dict[str, str] | None = None) -> ImageSet:
    """A set of stored JPEGs, each `(image_id, make_bytes)`: written once (atomically), then read back;
    `failed` (image id -> reason) is saved with it, so a cached load knows them too."""
    records = []
    with _own_share(root, desc):
        for image_id, make in tqdm(items, desc=desc, leave=False, delay=0.5):
            file = f"images/{image_id}.jpg"
            path = root / file
            if path.is_file():
                data = path.read_bytes()
            else:
                data = make()
                atomic_write_bytes(path, data)
            w, h = _size_of(data)
            records.append(ImageRecord(image_id, file, bytes_sha256(data), w, h))
    imageset = ImageSet(name, key, label, root, records, dict(failed or {}))
    imageset.save(root)
    return imageset


def real_split(split: str, corpus: CorpusConfig = CorpusConfig()) -> ImageSet:
    """The mini world's real photos for a split, as JPEG files (built once, then read from cache)."""
    photo_hashes = [file_sha256(photo_path(p)) for p in split_photos(split)]
    key = stable_hash("real", split, corpus, photo_hashes)
    root = artifact_dir("imagesets", f"real-{split}-{key}")
    cached = ImageSet.load(root)
    if cached is not None:
        return cached
    items = [(spec.image_id, functools.partial(crop_jpeg_bytes, spec)) for spec in crop_specs(split, corpus)]
    return _jpeg_set(f"real-{split}", key, root, items, f"real {split} corpus")


def procedural_split(n: int, split: str = "train", config: ProceduralConfig = DEFAULT_PROCEDURAL) -> ImageSet:
    """n procedural reals of a split (see fakebench.generators.procedural), as JPEG files, cached like the corpus.
    Index i of a split is the same image whatever n is, so a larger set extends a smaller one."""
    key = stable_hash("procedural", split, n, config)
    root = artifact_dir("imagesets", f"procedural-{split}-{n}-{key}")
    cached = ImageSet.load(root)
    if cached is not None:
        return cached
    items = [(f"proc-{split}-{i:06d}", functools.partial(procedural_jpeg_bytes, i, split, config)) for i in range(n)]
    return _jpeg_set(f"procedural-{split}", key, root, items, f"procedural {split} reals")


def procedural_reals(n: int, config: ProceduralConfig = DEFAULT_PROCEDURAL) -> tuple[ImageSet, ImageSet]:
    """Training and validation reals for `--real procedural:N`: N images and a disjoint validation split."""
    if n < 1:
        raise FakebenchError(f"procedural:{n} names no image", fix="write procedural:N with N >= 1")
    return procedural_split(n, "train", config), procedural_split(config.n_val(n), "val", config)


def generated_set(generator: Generator, n: int, seed: int, batch_size: int = 32) -> ImageSet:
    """n fresh fakes from `generator` (PNG at its native size), seeded per image; under torchrun each
    rank generates its own batches."""
    name = generator.info.name
    key = stable_hash("generated", name, generator.fingerprint, n, seed)
    root = artifact_dir("imagesets", f"gen-{name}-s{seed}-{key}")
    cached = ImageSet.load(root)
    if cached is not None:
        return cached
    ids = [f"{name}-s{seed}-{i:05d}" for i in range(n)]
    files = [f"images/{image_id}.png" for image_id in ids]
    units = distributed.shard([range(s, min(n, s + batch_size)) for s in range(0, n, batch_size)])
    failed: dict[str, str] = {}
    with _own_share(root, f"fakes of {name}"):
        todo = [idx for _, idx in units if not all((root / files[i]).is_file() for i in idx)]
        with PngWriter() as writer:
            for idx in tqdm(todo, desc=f"generate {name}", unit="batch", leave=False, delay=0.5):
                images, bad = checked_images(lambda idx=idx: generator.generate_indices(seed, idx), len(idx),
                                             f"{name} generate()")
                failed.update({ids[idx[j]]: why for j, why in bad.items()})
                keep = [j for j in range(len(idx)) if j not in bad]
                if keep:
                    writer.submit_batch([root / files[idx[j]] for j in keep], images if not bad else images[keep])
    failed = distributed.gather_merged(failed)
    records = []
    for image_id, f in zip(ids, files):
        if image_id in failed:  # no file: the record stays, so scoring counts it as failed with its reason
            records.append(ImageRecord(image_id, f, "", 0, 0))
            continue
        data = (root / f).read_bytes()
        w, h = _size_of(data)
        records.append(ImageRecord(image_id, f, bytes_sha256(data), w, h))
    imageset = ImageSet(f"gen-{name}-s{seed}", key, FAKE, root, records, failed)
    _save_unless_failed(imageset, failed, root, f"generator {name}", n)
    return imageset


def _save_unless_failed(imageset: ImageSet, failed: dict[str, str], manifest_dir: Path, who: str, given: int) -> None:
    """Write the manifest (rank 0) unless images `failed` in this build: a set with such failures is
    never cached, so the next run asks the generator again for the missing images."""
    if failed:
        from collections import Counter

        commonest = Counter(failed.values()).most_common(1)[0][0]
        log.warning("%s failed %d of %d images of %s (commonest: %s); the set is not cached", who,
                    len(failed), given, imageset.name, commonest)
    elif distributed.current().is_main:
        imageset.save(manifest_dir)
    distributed.barrier()


class DecodedImage:
    """Position in `records` -> the image as uint8 H x W x 3 (verified against its sha256);
    picklable, for DataLoader workers."""

    def __init__(self, imageset: ImageSet, records: list[ImageRecord]) -> None:
        self.imageset, self.records = imageset, records

    def __call__(self, pos: int) -> torch.Tensor:
        return pil_to_uint8(self.imageset.read(self.records[pos]))


def reconstruct_into(generator: Generator, source: ImageSet, target: Callable[[ImageRecord], Path],
                     batch_size: int = 16, desc: str = "reconstruct") -> dict[str, str]:
    """Write the reconstruction of every usable record of `source` to `target(record)` (PNG, atomic),
    skipping those already written; returns image_id -> reason for the images that failed.

    Images are batched only with others of exactly the same size, in a fixed order, so an output
    never depends on its batch; under torchrun each rank reconstructs its own batches."""
    # units come from every usable record, never from what happens to be missing now: ranks look at
    # the disk at different moments, and must still agree on the units
    usable = [r for r in source.records if r.image_id not in source.failed]
    units = [u for _, u in distributed.shard(size_batches(usable, lambda r: (r.height, r.width), batch_size))]
    units = [u for u in units if not all(target(usable[p]).is_file() for p in u)]
    failed: dict[str, str] = {}
    bar = tqdm(total=sum(len(u) for u in units), desc=desc, leave=False, delay=0.5)
    device = torch.device(generator.device)
    with PngWriter() as writer:
        for unit in unit_loader(units, DecodedImage(source, usable), default_workers(),
                                pin_memory=device.type == "cuda"):
            failed.update({usable[pos].image_id: err for pos, err in unit.failed})
            for positions, pixels in unit.batches:  # one batch per decoded size (it can differ from the header's)
                x = uint8_to_float(pixels, device)
                out, bad = checked_images(
                    lambda x=x: run_in_batches(lambda a, b: generator.reconstruct(x[a:b]), len(x), len(x),
                                               what=f"reconstruction with {generator.info.name}"),
                    len(x), f"{generator.info.name} reconstruct()", shape=tuple(x.shape))
                failed.update({usable[positions[j]].image_id: why for j, why in bad.items()})
                keep = [j for j in range(len(x)) if j not in bad]
                if keep:
                    writer.submit_batch([target(usable[positions[j]]) for j in keep], out if not bad else out[keep])
            bar.update(len(unit))
    bar.close()
    return distributed.gather_merged(failed)


def reconstructed_set(generator: Generator, source: ImageSet) -> ImageSet:
    """Aligned fakes: every usable image of `source` through the generator's autoencoder, same size, PNG.

    Reconstructions are cached per image by (autoencoder, input bytes), so generators that share an
    autoencoder, and sets that share images, reuse them. Images that fail (undecodable, too small)
    are left out and listed in the set's `failed`, with their reason."""
    ae = generator.reconstruction_fingerprint
    key = stable_hash("reconstructed", ae, source.key)
    manifest_dir = artifact_dir("imagesets", f"recon-{generator.info.name}-{source.name}-{key}")
    cached = ImageSet.load(manifest_dir)
    if cached is not None:
        return cached
    cache_root = artifact_dir("reconstructions", ae)
    with _own_share(manifest_dir, f"reconstructions of {source.name}"):
        failed = reconstruct_into(generator, source, lambda r: cache_root / f"{r.sha256}.png",
                                  desc=f"reconstruct {source.name} with {generator.info.name}")
    distributed.barrier()
    records = []
    for rec in source.records:
        if rec.image_id in source.failed:
            continue
        if rec.image_id in failed:  # kept as a failed record, so scoring counts it with its reason
            records.append(ImageRecord(f"{rec.image_id}{RECON_SUFFIX}", "", "", rec.width, rec.height))
            continue
        data = (cache_root / f"{rec.sha256}.png").read_bytes()
        records.append(ImageRecord(f"{rec.image_id}{RECON_SUFFIX}", f"{rec.sha256}.png", bytes_sha256(data),
                                   rec.width, rec.height))
    # `failed` names the source images left out, so training drops their reals too, and the failed
    # reconstructions' own records (`<id>-recon`), so scoring fails them
    imageset = ImageSet(f"recon-{generator.info.name}-{source.name}", key, FAKE, cache_root, records,
                        {**source.failed, **failed, **{f"{i}{RECON_SUFFIX}": why for i, why in failed.items()}})
    _save_unless_failed(imageset, failed, manifest_dir, f"generator {generator.info.name}",
                        len(source.records) - len(source.failed))
    return imageset


def jpeg_like(image, real_path: Path) -> bytes:
    """`image` (PIL) as a JPEG compressed exactly as the JPEG at `real_path` was: its quantization tables
    and chroma subsampling, so the two files differ by content alone, not by how they were stored."""
    from PIL import Image, JpegImagePlugin

    with Image.open(real_path) as real:
        if real.format != "JPEG":
            raise FakebenchError(f"{real_path} is {real.format}, not JPEG: there is no JPEG storage to copy",
                                 fix="store like reals only where the reals are JPEG")
        tables, sampling = real.quantization, JpegImagePlugin.get_sampling(real)
    out = io.BytesIO()
    image.save(out, "JPEG", qtables=tables, subsampling=sampling)
    return out.getvalue()


def stored_like(fakes: ImageSet, reals: ImageSet) -> ImageSet:
    """Format-matched fakes: each reconstruction `<real id>-recon` of `fakes` stored as its real is
    stored (`jpeg_like`). Reconstructions are written as PNG while photo crops are JPEG, so "no JPEG grid"
    tells them apart; stored like their reals, a pair differs by the decoder's trace alone (the paper's
    premise). Failed records stay failed; cached by both sets' keys."""
    key = stable_hash("stored-like", fakes.key, reals.key)
    root = artifact_dir("imagesets", f"{fakes.name}-stored-like-{key}")
    cached = ImageSet.load(root)
    if cached is not None:
        return cached
    by_id = {r.image_id: r for r in reals.records}
    items = []
    for rec in fakes.records:
        if rec.image_id in fakes.failed:
            continue
        real = by_id.get(rec.image_id.removesuffix(RECON_SUFFIX))
        if real is None:
            raise FakebenchError(f"{rec.image_id} of {fakes.name} has no real in {reals.name}",
                                 fix="pass the reals the set reconstructs")
        items.append((rec.image_id, functools.partial(_stored_like_bytes, fakes, rec, reals.path(real))))
    return _jpeg_set(f"{fakes.name}-stored-like", key, root, items, f"store {fakes.name} like its reals",
                     label=fakes.label, failed=fakes.failed)


def _stored_like_bytes(fakes: ImageSet, record: ImageRecord, real_path: Path) -> bytes:
    return jpeg_like(fakes.read(record), real_path)


def reencoded(images: ImageSet, quality: int) -> ImageSet:
    """Every image of `images`, in record order, re-encoded as a JPEG of `quality` (`encode`, as the JPEG
    perturbations and a detector's JPEG input policy encode): written once, read back like any set.
    Failed records stay failed; cached by the set's key and the quality."""
    key = stable_hash("reencoded", images.key, quality)
    root = artifact_dir("imagesets", f"{images.name}-jpeg{quality}-{key}")
    cached = ImageSet.load(root)
    if cached is not None:
        return cached
    items = [(rec.image_id, functools.partial(_jpeg_bytes, images, rec, quality))
             for rec in images.records if rec.image_id not in images.failed]
    return _jpeg_set(f"{images.name}-jpeg{quality}", key, root, items, f"re-encode {images.name} as JPEG {quality}",
                     label=images.label, failed=images.failed)


def _jpeg_bytes(images: ImageSet, record: ImageRecord, quality: int) -> bytes:
    return encode(images.read(record), "JPEG", quality)
