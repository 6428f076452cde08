"""Image sets on disk: the real corpus and procedural reals, joined, re-encoded and format-matched sets.
Generated fakes and reconstructions are sets too, made by `fakebench.generators.fakesets`.

A set is a folder of image files plus `manifest.json` (written last, atomically: a set without a
manifest is unfinished and is resumed, never trusted). Each file is written atomically, so a killed
build resumes by skipping the files that exist.
"""
from __future__ import annotations

import functools
import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

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
from fakebench.core.errors import FakebenchError
from fakebench.core.imageio import encode, load_verified
from fakebench.core.locks import artifact_lock
from fakebench.data.corpus import (
    CorpusConfig,
    crop_jpeg_bytes,
    crop_specs,
    photo_path,
    split_photos,
)
from fakebench.data.photos import PREFIX as PHOTOS_PREFIX
from fakebench.data.photos import SHORT_SIDE as PHOTO_SHORT_SIDE
from fakebench.data.photos import PackagedPhoto, check_installed, manifest, quarantined
from fakebench.data.photos import crop_specs as photo_crop_specs
from fakebench.data.procedural import DEFAULT_PROCEDURAL, ProceduralConfig, procedural_jpeg_bytes

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


def image_size(data: bytes) -> tuple[int, int]:
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return im.size


def own_share(root: Path, what: str):
    """The lock a rank holds while building its share of a set: two runs sharing a cache then build
    each file once; no collective runs under it, so ranks of one run never wait on each other."""
    rank = distributed.current()
    return artifact_lock(root / f".build-rank{rank.rank}of{rank.world_size}", what)


def _jpeg_set(name: str, key: str, root: Path, items: list[tuple[str, Callable[[], bytes]]], desc: str,
              label: int = REAL, failed: dict[str, str] | None = None) -> ImageSet:
    """A set of stored JPEGs, each `(image_id, make_bytes)`: written once (atomically), then read back;
    `failed` (image id -> reason) is saved with it, so a cached load knows them too."""
    records = []
    with own_share(root, desc):
        for image_id, make in tqdm(items, desc=desc, leave=False, delay=0.5):
            file = f"images/{image_id}.jpg"
            path = root / file
            if path.is_file():
                data = path.read_bytes()
            else:
                data = make()
                atomic_write_bytes(path, data)
            w, h = image_size(data)
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
    """n procedural reals of a split (see fakebench.data.procedural), as JPEG files, cached like the corpus.
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


def photos_split(split: str, n: int, corpus: CorpusConfig = CorpusConfig(),
                 photos: Sequence[PackagedPhoto] | None = None) -> ImageSet:
    """`n` JPEG crops of each packaged photo of a split (see fakebench.data.photos), cached like the
    corpus; quarantined photos give no crops and are the set's `failed` entries, by photo name."""
    photos = manifest() if photos is None else tuple(photos)
    check_installed(photos)
    chosen = [p for p in photos if p.split == split]
    failed = quarantined(chosen)
    usable = [p for p in chosen if p.name not in failed]
    if not usable:
        raise FakebenchError(f"reals {PHOTOS_PREFIX}{n}: no usable {split} photo ({len(failed)} quarantined)",
                             fix="reinstall the packages the photo manifest lists")
    key = stable_hash("packaged-photos", split, n, corpus, PHOTO_SHORT_SIDE,
                      [(p.name, p.sha256) for p in usable], sorted(failed))
    root = artifact_dir("imagesets", f"photos-{split}-{n}-{key}")
    cached = ImageSet.load(root)
    if cached is not None:
        return cached
    items = [(spec.image_id, functools.partial(crop_jpeg_bytes, spec)) for spec in photo_crop_specs(usable, n, corpus)]
    return _jpeg_set(f"photos-{split}", key, root, items, f"packaged photos {split}", failed=failed)


def photos_reals(n: int, corpus: CorpusConfig = CorpusConfig(),
                 photos: Sequence[PackagedPhoto] | None = None) -> tuple[ImageSet, ImageSet]:
    """Training and validation reals for `photos:N`: N crops per photo, whole photos apart."""
    if n < 1:
        raise FakebenchError(f"{PHOTOS_PREFIX}{n} names no crop", fix="write photos:N with N >= 1")
    return photos_split("train", n, corpus, photos), photos_split("val", n, corpus, photos)


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
