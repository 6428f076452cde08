"""Image sets on disk: the real corpus, generated fakes and aligned reconstructions.

A set is a folder of image files plus `manifest.json` (written last, atomically: a set without a
manifest is unfinished and is resumed, never trusted). Each file is written atomically, so a killed
build resumes by skipping the files that exist.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from tqdm.auto import tqdm

from fakebench.cache import (
    artifact_dir,
    atomic_write_bytes,
    atomic_write_json,
    bytes_sha256,
    file_sha256,
    read_json,
    stable_hash,
)
from fakebench.imageio import encode, load_rgb, pil_to_tensor, tensor_to_pil
from generators.base import Generator
from generators.corpus import (
    CorpusConfig,
    crop_jpeg_bytes,
    crop_specs,
    photo_path,
    split_photos,
)

log = logging.getLogger(__name__)

REAL, FAKE = 0, 1
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

    def path(self, record: ImageRecord) -> Path:
        return self.root / record.file

    def __len__(self) -> int:
        return len(self.records)

    @property
    def content_hash(self) -> str:
        """Hash of the set's bytes: what a checkpoint sidecar records as its training data."""
        return stable_hash(self.label, [(r.image_id, r.sha256) for r in self.records])

    def save(self, manifest_dir: Path) -> None:
        atomic_write_json(manifest_dir / MANIFEST, {"name": self.name, "key": self.key, "label": self.label,
                                                    "root": str(self.root),
                                                    "records": [asdict(r) for r in self.records]})

    @classmethod
    def load(cls, manifest_dir: Path) -> "ImageSet | None":
        path = manifest_dir / MANIFEST
        if not path.is_file():
            return None
        data = read_json(path)
        return cls(data["name"], data["key"], int(data["label"]), Path(data["root"]),
                   [ImageRecord(**r) for r in data["records"]])


def _size_of(data: bytes) -> tuple[int, int]:
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return im.size


def real_split(split: str, corpus: CorpusConfig = CorpusConfig()) -> ImageSet:
    """The mini world's real photos for a split, as JPEG files (built once, then read from cache)."""
    photo_hashes = [file_sha256(photo_path(p)) for p in split_photos(split)]
    key = stable_hash("real", split, corpus, photo_hashes)
    root = artifact_dir("imagesets", f"real-{split}-{key}")
    cached = ImageSet.load(root)
    if cached is not None:
        return cached
    records = []
    for spec in tqdm(crop_specs(split, corpus), desc=f"real {split} corpus", leave=False, delay=0.5):
        file = f"images/{spec.image_id}.jpg"
        path = root / file
        if path.is_file():
            data = path.read_bytes()
        else:
            data = crop_jpeg_bytes(spec)
            atomic_write_bytes(path, data)
        w, h = _size_of(data)
        records.append(ImageRecord(spec.image_id, file, bytes_sha256(data), w, h))
    imageset = ImageSet(f"real-{split}", key, REAL, root, records)
    imageset.save(root)
    return imageset


def generated_set(generator: Generator, n: int, seed: int, batch_size: int = 32) -> ImageSet:
    """n fresh fakes from `generator` (PNG at its native size), seeded per image."""
    name = generator.info.name
    key = stable_hash("generated", name, generator.fingerprint, n, seed)
    root = artifact_dir("imagesets", f"gen-{name}-s{seed}-{key}")
    cached = ImageSet.load(root)
    if cached is not None:
        return cached
    records: list[ImageRecord] = []
    bar = tqdm(total=n, desc=f"generate {name}", leave=False, delay=0.5)
    for start in range(0, n, batch_size):
        idx = range(start, min(n, start + batch_size))
        files = [f"images/{name}-s{seed}-{i:05d}.png" for i in idx]
        if not all((root / f).is_file() for f in files):
            images = generator.generate_indices(seed, idx)
            for f, x in zip(files, images):
                atomic_write_bytes(root / f, encode(tensor_to_pil(x), "PNG"))
        for i, f in zip(idx, files):
            data = (root / f).read_bytes()
            w, h = _size_of(data)
            records.append(ImageRecord(f"{name}-s{seed}-{i:05d}", f, bytes_sha256(data), w, h))
        bar.update(len(idx))
    bar.close()
    imageset = ImageSet(f"gen-{name}-s{seed}", key, FAKE, root, records)
    imageset.save(root)
    return imageset


def reconstructed_set(generator: Generator, source: ImageSet) -> ImageSet:
    """Aligned fakes: every image of `source` through the generator's autoencoder, same size, PNG.

    Reconstructions are cached per image by (autoencoder, input bytes), so generators that share an
    autoencoder, and sets that share images, reuse them. Images are batched only with others of
    exactly the same size, so an output never depends on its batch.
    """
    ae = generator.reconstruction_fingerprint
    key = stable_hash("reconstructed", ae, source.key)
    manifest_dir = artifact_dir("imagesets", f"recon-{generator.info.name}-{source.name}-{key}")
    cached = ImageSet.load(manifest_dir)
    if cached is not None:
        return cached
    cache_root = artifact_dir("reconstructions", ae)
    todo: dict[tuple[int, int], list[ImageRecord]] = {}
    for rec in source.records:
        if not (cache_root / f"{rec.sha256}.png").is_file():
            todo.setdefault((rec.height, rec.width), []).append(rec)
    bar = tqdm(total=sum(len(v) for v in todo.values()), desc=f"reconstruct {source.name} with {generator.info.name}",
               leave=False, delay=0.5)
    for group in todo.values():
        for start in range(0, len(group), 16):
            batch = group[start : start + 16]
            x = torch.stack([pil_to_tensor(load_rgb(source.path(r))) for r in batch])
            for rec, y in zip(batch, generator.reconstruct(x)):
                atomic_write_bytes(cache_root / f"{rec.sha256}.png", encode(tensor_to_pil(y), "PNG"))
            bar.update(len(batch))
    bar.close()
    records = []
    for rec in source.records:
        data = (cache_root / f"{rec.sha256}.png").read_bytes()
        records.append(ImageRecord(f"{rec.image_id}-recon", f"{rec.sha256}.png", bytes_sha256(data), rec.width, rec.height))
    imageset = ImageSet(f"recon-{generator.info.name}-{source.name}", key, FAKE, cache_root, records)
    imageset.save(manifest_dir)
    return imageset
