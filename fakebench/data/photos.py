"""Packaged photographs: the colour photos that seven Debian packages install (wallpapers, GCompris,
Palapeli), as the training-reals source `photos:N` (N crops per photo). More scenes than the corpus's
eleven, so that detectors cannot learn the reals by heart; the test reals stay the corpus's.

The manifest `photos.csv` (next to this module) is the record of every photo: its package and version,
its installed path (a GCompris photo: the `.rcc` bundle and the member inside it, `fakebench.data.rcc`),
the sha256 of its bytes, its size, its licence and where that is stated, its author and source, its
scene and its split. It is the attribution record: whoever ships crops of these photos cites it.

Split rule (fixed; `split_of` applies it, a test checks the manifest against it): a photo's split group
is its scene, except that the GCompris monuments form one group (four pyramids, several castles: near
alike); a group is in validation when sha256(group) mod 100 < 15 (about 15%), else in training. A
whole photo is in one split, and none is a corpus photo: the corpus's test scenes are never read here.
Left out of the manifest: an abstract texture (lomiri analogpattern), a near-greyscale photo (GCompris
castleClinton) and a photo whose licence is not stated (GCompris aulaPalatina).

Reading: every package is needed. When any is missing, one line names the missing packages and the
`apt-get install` that brings them (a subset is never used silently). A photo whose bytes differ from
the manifest (the package was updated) or whose file is gone is quarantined: it gives no crops, is
listed in the set's `failed` under its name, and is logged as a warning naming the photo and the fix.

Crops are cut as the corpus cuts them (`corpus.photo_crop_specs`, the world's CorpusConfig: scales,
sides, JPEG qualities), after each photo is scaled down to a short side of `SHORT_SIDE` px (the corpus's
photos are web-sized; wallpapers of 2560 px would give crops of texture, not scenes). Crop i of a photo
is a pure function of (seed, photo, i); sets are cached by content key under the results home.
"""
from __future__ import annotations

import csv
import hashlib
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

from PIL import Image

from fakebench.core.cache import bytes_sha256
from fakebench.core.errors import FakebenchError, IntegrityError
from fakebench.core.seeds import derived_seed
from fakebench.data.corpus import CorpusConfig, CropSpec, photo_crop_specs
from fakebench.data.rcc import read_member

log = logging.getLogger(__name__)

PREFIX = "photos:"
MANIFEST = Path(__file__).with_name("photos.csv")
SPLITS = ("train", "val")
VAL_PERCENT = 15
ONE_GROUP = ("gcompris:explore_monuments/",)  # scenes under such a prefix share one split group
SHORT_SIDE = 512  # photos are scaled down to this short side before cropping (the corpus's photos' size)


@dataclass(frozen=True)
class PackagedPhoto:
    """One row of the manifest: a photograph a Debian package installs."""

    name: str  # unique; its crops are `<name>-0000`, ...
    package: str
    version: str  # the package version the manifest was made from
    path: str  # installed file (a `.rcc` bundle for GCompris)
    member: str  # the photo's path inside the bundle, "" for a plain file
    sha256: str
    width: int
    height: int
    licence: str
    licence_where: str  # where the package states the licence
    attribution: str  # author, year, source URL
    scene: str
    split: str

    @property
    def where(self) -> str:
        return f"{self.path}:{self.member}" if self.member else self.path

    def read_bytes(self) -> bytes:
        return read_member(Path(self.path), self.member) if self.member else Path(self.path).read_bytes()

    def load(self) -> Image.Image:
        """The photo as RGB, scaled to `crop_size` (bytes checked against the manifest)."""
        return _loaded(self)

    @property
    def crop_size(self) -> tuple[int, int]:
        """(width, height) crops are cut from: the short side brought down to SHORT_SIDE."""
        factor = min(1.0, SHORT_SIDE / min(self.width, self.height))
        return max(1, round(self.width * factor)), max(1, round(self.height * factor))


@lru_cache(maxsize=4)  # crops are cut photo by photo: a few decoded photos are enough
def _loaded(photo: PackagedPhoto) -> Image.Image:
    data = photo.read_bytes()
    if bytes_sha256(data) != photo.sha256:
        raise IntegrityError(f"packaged photo {photo.name} ({photo.where}) changed since it was checked",
                             fix="run again: the photo is then quarantined")
    with Image.open(io.BytesIO(data)) as im:
        rgb = im.convert("RGB")
    size = photo.crop_size
    return rgb if rgb.size == size else rgb.resize(size, Image.Resampling.LANCZOS)


def split_group(scene: str) -> str:
    """The unit a split keeps whole: the scene, or the shared group of near-alike scenes (ONE_GROUP)."""
    return next((prefix.rstrip("/") for prefix in ONE_GROUP if scene.startswith(prefix)), scene)


def split_of(scene: str) -> str:
    """The split rule (module docstring): validation when sha256(group) mod 100 < VAL_PERCENT."""
    draw = int(hashlib.sha256(split_group(scene).encode()).hexdigest(), 16) % 100
    return "val" if draw < VAL_PERCENT else "train"


@lru_cache(maxsize=4)
def read_manifest(path: Path = MANIFEST) -> tuple[PackagedPhoto, ...]:
    """The manifest's photos, in its order; a malformed one raises naming the file."""
    columns = [f.name for f in fields(PackagedPhoto)]
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames != columns:
            raise FakebenchError(f"photo manifest {path} has columns {reader.fieldnames}",
                                 fix=f"give it the columns {','.join(columns)}")
        rows = list(reader)
    return tuple(PackagedPhoto(**{**r, "width": int(r["width"]), "height": int(r["height"])}) for r in rows)


def manifest() -> tuple[PackagedPhoto, ...]:
    return read_manifest(MANIFEST)


def parse_photos(text: str) -> int | None:
    """`photos:N` -> N crops per photo (> 0); `photos` alone asks for N; any other text -> None."""
    if text.strip() == PREFIX.rstrip(":"):
        raise FakebenchError("reals 'photos' name no crop count",
                             fix="write photos:N (N crops per photo), e.g. photos:8")
    if not text.startswith(PREFIX):
        return None
    count = text[len(PREFIX):]
    if not count.isdigit() or int(count) < 1:
        raise FakebenchError(f"{text!r} does not name a number of crops per photo",
                             fix="write photos:N with N >= 1, e.g. photos:8")
    return int(count)


def missing_packages(photos: Sequence[PackagedPhoto]) -> list[str]:
    """The packages none of whose manifest files is installed."""
    present = {p.package for p in photos if Path(p.path).is_file()}
    return sorted({p.package for p in photos} - present)


def check_installed(photos: Sequence[PackagedPhoto]) -> None:
    """Every package of the manifest installed, or one line naming the missing ones and the fix."""
    missing = missing_packages(photos)
    if missing:
        raise FakebenchError(f"reals {PREFIX}N need Debian package(s) {', '.join(missing)}, not installed",
                             fix=f"apt-get install {' '.join(missing)}")


def quarantined(photos: Sequence[PackagedPhoto]) -> dict[str, str]:
    """Photos whose file is gone or whose bytes differ from the manifest: name -> why, each logged as
    one warning line."""
    found: dict[str, str] = {}
    for photo in photos:
        try:
            same = bytes_sha256(photo.read_bytes()) == photo.sha256
            why = "" if same else f"{photo.where} differs from the manifest (package {photo.package} updated?)"
        except (OSError, FakebenchError) as exc:
            why = f"{photo.where} unreadable ({exc})"
        if why:
            found[photo.name] = why
            log.warning("packaged photo %s quarantined: %s (fix: install %s %s, or remake %s)",
                        photo.name, why, photo.package, photo.version, MANIFEST.name)
    return found


def photo_stream(photo: PackagedPhoto) -> int:
    """The photo's own random stream for its crops (by name: independent of the manifest's order)."""
    return derived_seed("packaged-photo", photo.name) % 2**32


def crop_specs(photos: Sequence[PackagedPhoto], n: int, corpus: CorpusConfig) -> list[CropSpec]:
    """`n` crops of each photo, cut as the corpus cuts its photos; a photo too small for the smallest
    scale's crops raises naming it."""
    for p in photos:
        if min(p.crop_size) * min(corpus.scales) < corpus.min_side:
            raise FakebenchError(f"packaged photo {p.name} ({p.width}x{p.height}) is too small for crops of "
                                 f"{corpus.min_side} px at scale {min(corpus.scales)}",
                                 fix="leave it out of the photo manifest, or lower the corpus's min_side")
    return [spec for p in photos for spec in photo_crop_specs(p, photo_stream(p), p.crop_size, n, corpus)]
