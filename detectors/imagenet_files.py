"""The ImageNet weight files fakebench knows: the architecture each fits, torchvision's file name and sha256,
licence, source, and where it is found on this machine (committed under `detectors/weights/`, or the
torch hub cache). Nothing here downloads: a file that is not on the machine, or not the file it should be,
is a one-line error saying how to get it. See docs/explanation/detectors.md, "ImageNet initialisation"."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from fakebench.core.cache import file_sha256
from fakebench.core.errors import FakebenchError, IntegrityError
from fakebench.generators.manifest import read_manifest

log = logging.getLogger(__name__)

WEIGHTS_DIR = Path(__file__).parent / "weights"
PREFIX_DIGITS = 8  # torchvision names its files <arch>-<first 8 hex digits of the sha256>.pth


@dataclass(frozen=True)
class ImagenetFile:
    """One known ImageNet weights file, named by torchvision's file name (`file`).

    `sha256` is the full digest of torchvision's file where it was checked, else the 8-digit prefix in its
    name (what torch.hub checks when it downloads it; then the tensors' names and shapes are the rest of
    the check). `vendored` is a safetensors copy committed under `detectors/weights/` (the same tensors,
    checked against that folder's SHA256SUMS), found before the torch cache."""

    file: str
    arch: str  # torchvision.models.get_model name whose tensors these are
    sha256: str
    licence: str
    source: str  # where torchvision downloads it from
    head: str  # key prefix of the ImageNet classifier: never loaded into a detector
    vendored: str = ""

    @property
    def name(self) -> str:
        return Path(self.file).stem

    @property
    def full_digest(self) -> bool:
        return len(self.sha256) == 64

    def hub_path(self) -> Path:
        """Where torch.hub keeps torchvision's file ($TORCH_HOME/hub/checkpoints)."""
        return Path(torch.hub.get_dir()) / "checkpoints" / self.file

    def candidates(self) -> list[Path]:
        """Where the file is looked for, in order: the committed copy, then the torch hub cache."""
        return ([WEIGHTS_DIR / self.vendored] if self.vendored else []) + [self.hub_path()]

    def expected(self) -> str:
        """The file and its sha256 (or the prefix its name carries), as errors name them."""
        digest = self.sha256 if self.full_digest else f"starting {self.sha256}, the prefix in its name"
        return f"torchvision's {self.file} (sha256 {digest})"

    def how_to_get(self) -> str:
        if self.vendored:
            return (f"restore the committed copy with `git checkout detectors/weights` (or reinstall fakebench), "
                    f"or convert torchvision's {self.file} ({self.source}) again: "
                    f"`python -m fakebench.detectors.imagenet_convert {self.name} --src FILE`")
        return (f"copy torchvision's {self.file} ({self.source}, fetched on a machine with network) into "
                f"{self.hub_path().parent}, or pass --pretrained FILE")


TORCHVISION_BSD = "BSD-3-Clause (torchvision's licence)"
DOWNLOADS = "https://download.pytorch.org/models/"

# Known files. To add one: its torchvision file name, the sha256 you checked (or the prefix in its name),
# the licence of its source; vendor it (`imagenet_convert`) when the licence allows and no wheel has it.
IMAGENET_FILES: dict[str, ImagenetFile] = {f.name: f for f in (
    ImagenetFile("mobilenet_v2-b0353104.pth", "mobilenet_v2",
                 "b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889", TORCHVISION_BSD,
                 DOWNLOADS + "mobilenet_v2-b0353104.pth", head="classifier.",
                 vendored="mobilenet_v2-b0353104.safetensors"),
    # ResNet-50: no offline source; torchvision's files in the torch cache, checked by the prefix in their
    # name (the full sha256 was not available to check here) and by every backbone tensor's name and shape;
    # in the order fakebench has always tried them (file names in reverse order: 19c8e357, torchvision's V1
    # weights, first)
    ImagenetFile("resnet50-19c8e357.pth", "resnet50", "19c8e357", TORCHVISION_BSD,
                 DOWNLOADS + "resnet50-19c8e357.pth", head="fc."),
    ImagenetFile("resnet50-11ad3fa6.pth", "resnet50", "11ad3fa6", TORCHVISION_BSD,
                 DOWNLOADS + "resnet50-11ad3fa6.pth", head="fc."),
    ImagenetFile("resnet50-0676ba61.pth", "resnet50", "0676ba61", TORCHVISION_BSD,
                 DOWNLOADS + "resnet50-0676ba61.pth", head="fc."),
)}


@dataclass(frozen=True)
class ImagenetBackbone:
    """What a network detector declares to be initialised from ImageNet: the known files whose tensors fit
    its network (`IMAGENET_FILES` names, preferred first; all of one architecture) and the key prefix of
    that backbone in its network's state dict (e.g. "1." behind an input module)."""

    files: tuple[str, ...]
    prefix: str = ""

    @classmethod
    def of(cls, arch: str, prefix: str = "") -> ImagenetBackbone:
        """Every known file of torchvision's architecture `arch`, in `IMAGENET_FILES`' order."""
        return cls(tuple(name for name, f in IMAGENET_FILES.items() if f.arch == arch), prefix)

    def entries(self) -> list[ImagenetFile]:
        return [IMAGENET_FILES[name] for name in self.files]


def known_file(path: Path) -> ImagenetFile | None:
    """The entry a file is a copy of, by its name (torchvision's, or the committed copy's); None if unknown."""
    return next((f for f in IMAGENET_FILES.values() if path.name in (f.file, f.vendored)), None)


def locate(entries: list[ImagenetFile]) -> tuple[ImagenetFile, Path]:
    """The first of `entries` on this machine (each: committed copy, then torch cache), and its path."""
    for entry in entries:
        for path in entry.candidates():
            if path.is_file():
                return entry, path
    first = entries[0]
    if len(entries) == 1:
        where = " or ".join(repr(str(p)) for p in first.candidates())
        raise FakebenchError(f"ImageNet weights not found at {where}: expected {first.expected()}",
                             fix=first.how_to_get())
    names = ", ".join(e.file for e in entries)
    raise FakebenchError(f"ImageNet weights not found: none of torchvision's {names} (sha256 starting as their names "
                         f"say) in {str(first.hub_path().parent)!r}",
                         fix=f"copy one of them (from {DOWNLOADS}, fetched on a machine with network) there, "
                             "or pass --pretrained FILE")


def verify(entry: ImagenetFile, path: Path) -> str:
    """Check `path` (torchvision's file or the committed copy) against the digest its entry or SHA256SUMS
    records; returns its sha256. Raises IntegrityError naming the file, the expected digest and the fix."""
    if not path.is_file():
        raise IntegrityError(f"ImageNet weights {str(path)!r} not found: expected {entry.expected()}",
                             fix=entry.how_to_get())
    digest = file_sha256(path)
    if path.name == entry.vendored:
        expected = read_manifest(WEIGHTS_DIR, "ImageNet", entry.how_to_get()).get(entry.vendored, "")
        what = f"the copy of {entry.file} in {WEIGHTS_DIR / 'SHA256SUMS'} (sha256 {expected})"
    else:
        expected, what = entry.sha256, entry.expected()
    if not expected or not digest.startswith(expected):
        raise IntegrityError(f"ImageNet weights {str(path)!r} have sha256 {digest}, expected {what}",
                             fix=entry.how_to_get())
    if not entry.full_digest and path.name == entry.file:
        log.info("%s: sha256 prefix %s checked (no full digest recorded); tensors are checked by name and shape",
                 path, entry.sha256)
    return digest
