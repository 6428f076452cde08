"""The mini world's real-image corpus: crops of the colour photographs that scikit-image and
scikit-learn ship, kept the way web photos are (JPEG at varied quality and size).

Whole photos are assigned to one split, so a test crop never shares a photo with a training crop.
Every crop is a pure function of (seed, photo, index): the corpus is the same on every machine.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np
from PIL import Image

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Photo:
    """A shipped colour photograph; `scene` groups photos of one scene so they share a split."""

    name: str
    package: str  # "skimage" or "sklearn"
    filename: str
    scene: str

    def load(self) -> Image.Image:
        return load_photo(self)


class Croppable(Protocol):
    """A photograph crops are cut from: the corpus's `Photo`s, and the packaged photographs
    (`fakebench.data.photos`). Hashable: scaled copies are cached per (photo, scale)."""

    @property
    def name(self) -> str: ...

    def load(self) -> Image.Image: ...


PHOTOS: tuple[Photo, ...] = (
    Photo("astronaut", "skimage", "astronaut.png", "astronaut"),
    Photo("chelsea", "skimage", "chelsea.png", "chelsea"),
    Photo("coffee", "skimage", "coffee.png", "coffee"),
    Photo("hubble", "skimage", "hubble_deep_field.jpg", "hubble"),
    Photo("ihc", "skimage", "ihc.png", "ihc"),
    Photo("motorcycle_left", "skimage", "motorcycle_left.png", "motorcycle"),
    Photo("motorcycle_right", "skimage", "motorcycle_right.png", "motorcycle"),
    Photo("retina", "skimage", "retina.jpg", "retina"),
    Photo("rocket", "skimage", "rocket.jpg", "rocket"),
    Photo("china", "sklearn", "china.jpg", "china"),
    Photo("flower", "sklearn", "flower.jpg", "flower"),
)

# Scenes per split. Test scenes are never seen by any generator or detector during training.
SPLIT_SCENES: dict[str, tuple[str, ...]] = {
    "train": ("astronaut", "hubble", "ihc", "motorcycle", "retina", "china"),
    "val": ("chelsea",),
    "test": ("coffee", "rocket", "flower"),
}


def photo_path(photo: Photo) -> Path:
    """Where the installed package keeps the photo (no network: both packages ship these files)."""
    if photo.package == "skimage":
        import skimage.data

        return Path(skimage.data.__file__).parent / photo.filename
    if photo.package == "sklearn":
        import sklearn.datasets

        return Path(sklearn.datasets.__file__).parent / "images" / photo.filename
    raise ValueError(f"unknown photo package {photo.package!r}")


@cache
def load_photo(photo: Photo) -> Image.Image:
    path = photo_path(photo)
    if not path.is_file():
        from fakebench.core.errors import FakebenchError

        raise FakebenchError(
            f"photo {photo.name!r} is missing from {photo.package} ({path})",
            fix=f"reinstall {'scikit-image' if photo.package == 'skimage' else 'scikit-learn'}",
        )
    with Image.open(path) as im:
        return im.convert("RGB")


def split_photos(split: str) -> list[Photo]:
    if split not in SPLIT_SCENES:
        raise ValueError(f"unknown split {split!r}; known: {', '.join(SPLIT_SCENES)}")
    return [p for p in PHOTOS if p.scene in SPLIT_SCENES[split]]


def check_side_step(step: int) -> None:
    if step < 1:
        raise ValueError(f"side_step must be at least 1, got {step}")


def stepped_side(rng: np.random.Generator, min_side: int, max_side: int, step: int) -> int:
    """A side drawn uniformly from min_side, min_side + step, ... up to max_side: images of one size batch
    together (see `CorpusConfig.side_step`)."""
    return min_side + step * int(rng.integers(0, (max_side - min_side) // step + 1))


@dataclass(frozen=True)
class CorpusConfig:
    """How crops are cut. Reals vary in size, aspect and JPEG quality, as web photos do."""

    seed: int = 0
    crops_per_photo: dict[str, int] = field(default_factory=lambda: {"train": 200, "val": 80, "test": 100})
    scales: tuple[float, ...] = (1.0, 0.75, 0.5, 0.35)
    min_side: int = 64
    max_side: int = 128
    jpeg_quality: tuple[int, int] = (70, 96)
    # crop sides are min_side + a multiple of this: detectors that keep every pixel (the paper's, and
    # ours) batch only images of one size, and 16-px steps give the mini corpus 25 shapes instead of
    # thousands, so a test set is scored in batches rather than one image at a time (LDM outputs are
    # multiples of 8 px as well). 1: any size.
    side_step: int = 16

    def __post_init__(self) -> None:
        check_side_step(self.side_step)

    def __hash__(self) -> int:  # dict field: hash by value for lru_cache users
        return hash((self.seed, tuple(sorted(self.crops_per_photo.items())), self.scales,
                     self.min_side, self.max_side, self.jpeg_quality, self.side_step))


@dataclass(frozen=True)
class CropSpec:
    """One crop of the corpus: where it came from and how it is stored."""

    image_id: str
    photo: Croppable
    scale: float
    box: tuple[int, int, int, int]  # left, top, right, bottom in the scaled photo
    jpeg_quality: int


@lru_cache(maxsize=64)
def _scaled(photo: Croppable, scale: float) -> Image.Image:
    im = photo.load()
    if scale == 1.0:
        return im
    size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
    return im.resize(size, Image.Resampling.LANCZOS)


def crop_specs(split: str, config: CorpusConfig) -> list[CropSpec]:
    """The deterministic list of crops for a split."""
    n = config.crops_per_photo[split]
    return [spec for photo in split_photos(split)
            for spec in photo_crop_specs(photo, PHOTOS.index(photo), load_photo(photo).size, n, config)]


def photo_crop_specs(photo: Croppable, stream: int, size: tuple[int, int], n: int,
                     config: CorpusConfig) -> list[CropSpec]:
    """`n` crops of one photo of `size` (width, height): crop i is drawn from the random stream
    (config.seed, stream, i), so it is a pure function of (seed, photo, index). The corpus's stream is
    the photo's position in PHOTOS; other photo sources give each photo its own stream."""
    specs: list[CropSpec] = []
    w0, h0 = size
    for i in range(n):
        rng = np.random.default_rng([config.seed, stream, i])
        scale = float(rng.choice(config.scales))
        sw, sh = round(w0 * scale), round(h0 * scale)
        hi_w, hi_h = min(config.max_side, sw), min(config.max_side, sh)
        w = stepped_side(rng, config.min_side, hi_w, config.side_step)
        h = stepped_side(rng, config.min_side, hi_h, config.side_step)
        left = int(rng.integers(0, sw - w + 1))
        top = int(rng.integers(0, sh - h + 1))
        q = int(rng.integers(config.jpeg_quality[0], config.jpeg_quality[1]))
        specs.append(CropSpec(f"{photo.name}-{i:04d}", photo, scale, (left, top, left + w, top + h), q))
    return specs


def render_crop(spec: CropSpec) -> Image.Image:
    """The crop's pixels before JPEG encoding."""
    return _scaled(spec.photo, spec.scale).crop(spec.box)


def crop_jpeg_bytes(spec: CropSpec) -> bytes:
    """The crop as stored in the corpus: JPEG at the crop's own quality."""
    from fakebench.core.imageio import encode

    return encode(render_crop(spec), "JPEG", spec.jpeg_quality)
