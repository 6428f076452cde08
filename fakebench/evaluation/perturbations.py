"""Perturbations applied identically to reals and fakes before scoring.

Each is named by a readable id (`identity`, `resize0.5`, `jpeg75`, `webp50`, `blur1`, and chains
such as `resize0.5+jpeg75`) so that pytest's `-k` selects by it. Randomness, where a perturbation
has any, comes from (seed, image id, perturbation id) and never from batch order.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from PIL import Image, ImageFilter

from fakebench.core.errors import FakebenchError
from fakebench.core.imageio import decode, encode
from fakebench.core.registry import Registry
from fakebench.core.seeds import derived_seed


class Perturbation(Protocol):
    id: str

    def __call__(self, im: Image.Image, rng: np.random.Generator) -> Image.Image: ...


PERTURBATIONS: Registry[Perturbation] = Registry(kind="perturbation", entry_point_group="fakebench.perturbations")


def register_perturbation(name: str, factory: Callable[..., Perturbation] | None = None):
    """Register a factory taking the number in the id (``jpeg75`` -> 75.0, ``identity`` -> None)."""
    return PERTURBATIONS.register(name, factory)


def _num(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class Identity:
    id: str = "identity"

    def __call__(self, im, rng):
        return im


@dataclass(frozen=True)
class Resize:
    scale: float

    def __post_init__(self):
        if not self.scale > 0:
            raise FakebenchError(f"resize scale must be > 0, got {self.scale!r}", fix="use e.g. resize0.5")

    @property
    def id(self) -> str:
        return f"resize{_num(self.scale)}"

    def __call__(self, im, rng):
        size = (max(1, round(im.width * self.scale)), max(1, round(im.height * self.scale)))
        # bicubic with antialiasing (PIL filters by the scale when shrinking), as image hosts do
        return im.resize(size, Image.Resampling.BICUBIC, reducing_gap=None)


@dataclass(frozen=True)
class ShortSide:
    """Resize so the short side is `side` pixels, keeping the aspect ratio (the paper's resize sweep)."""

    side: int

    def __post_init__(self):
        if not (self.side >= 1 and self.side == int(self.side)):
            raise FakebenchError(f"short side must be a positive integer, got {self.side!r}", fix="use e.g. short256")

    @property
    def id(self) -> str:
        return f"short{int(self.side)}"

    def __call__(self, im, rng):
        scale = self.side / min(im.width, im.height)
        size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
        return im.resize(size, Image.Resampling.BICUBIC, reducing_gap=None)


@dataclass(frozen=True)
class Compress:
    fmt: str  # "JPEG" or "WEBP"
    quality: int

    def __post_init__(self):
        if not (1 <= self.quality <= 100) or self.quality != int(self.quality):
            raise FakebenchError(f"{self.fmt.lower()} quality must be an integer in 1-100, got {self.quality!r}",
                                 fix=f"use e.g. {self.fmt.lower()}75")

    @property
    def id(self) -> str:
        return f"{self.fmt.lower()}{int(self.quality)}"

    def __call__(self, im, rng):
        return decode(encode(im, self.fmt, int(self.quality)))


@dataclass(frozen=True)
class Blur:
    sigma: float

    def __post_init__(self):
        if not self.sigma > 0:
            raise FakebenchError(f"blur sigma must be > 0, got {self.sigma!r}", fix="use e.g. blur1")

    @property
    def id(self) -> str:
        return f"blur{_num(self.sigma)}"

    def __call__(self, im, rng):
        return im.filter(ImageFilter.GaussianBlur(self.sigma))


@dataclass(frozen=True)
class Chain:
    steps: tuple[Perturbation, ...]

    @property
    def id(self) -> str:
        return "+".join(s.id for s in self.steps)

    def __call__(self, im, rng):
        for step in self.steps:
            im = step(im, rng)
        return im


def _needs_param(name: str, param: float | None) -> float:
    if param is None:
        raise FakebenchError(f"perturbation {name!r} needs a number", fix=f"write e.g. {name}75 or {name}0.5")
    return param


register_perturbation("identity", lambda param=None: Identity())
register_perturbation("resize", lambda param=None: Resize(_needs_param("resize", param)))
register_perturbation("short", lambda param=None: ShortSide(_needs_param("short", param)))
register_perturbation("jpeg", lambda param=None: Compress("JPEG", _needs_param("jpeg", param)))
register_perturbation("webp", lambda param=None: Compress("WEBP", _needs_param("webp", param)))
register_perturbation("blur", lambda param=None: Blur(_needs_param("blur", param)))

# The id grammar, here and nowhere else: a step is a registered name and an optional number (`jpeg75`,
# `resize0.5`, `identity`); a chain joins steps with "+" (`resize0.5+jpeg75`), applied left to right.
CLEAN = "identity"  # the unperturbed images
CHAIN = "+"
_STEP = re.compile(r"^([a-z_]+?)(-?[0-9]*\.?[0-9]+)?$")


def id_steps(pid: str) -> list[tuple[str, float | None]]:
    """`resize0.5+jpeg75` -> [("resize", 0.5), ("jpeg", 75.0)]; an id outside the grammar is one line."""
    out = []
    for part in pid.strip().split(CHAIN):
        m = _STEP.match(part)
        if not m:
            raise FakebenchError(f"cannot parse perturbation id {part!r} in {pid!r}",
                                 fix="write a name and a number, e.g. jpeg75, resize0.5, resize0.5+jpeg75")
        out.append((m.group(1), float(m.group(2)) if m.group(2) is not None else None))
    return out


def sweep_value(pid: str, name: str) -> float | None:
    """The number of a one-step id of perturbation `name` (`jpeg75`, "jpeg" -> 75.0); None for any other
    id (a chain, another name, no number, or outside the grammar)."""
    if CHAIN in pid or not (m := _STEP.match(pid)) or m.group(1) != name or m.group(2) is None:
        return None
    return float(m.group(2))


def family(pid: str) -> str:
    """`resize0.5` -> `resize`, `resize0.5+jpeg75` -> `resize+jpeg`, `identity` -> `clean`."""
    return "clean" if pid == CLEAN else CHAIN.join(name for name, _ in id_steps(pid))


def parse_perturbation(pid: str) -> Perturbation:
    """`resize0.5+jpeg75` -> the chain of those perturbations. Unknown ids list the known ones."""
    steps = [PERTURBATIONS.create(name, param=param) for name, param in id_steps(pid)]
    return steps[0] if len(steps) == 1 else Chain(tuple(steps))


def perturbation_rng(seed: int, image_id: str, perturbation_id: str) -> np.random.Generator:
    return np.random.default_rng(derived_seed(seed, image_id, perturbation_id))


def apply(perturbation: Perturbation, im: Image.Image, seed: int, image_id: str) -> Image.Image:
    return perturbation(im, perturbation_rng(seed, image_id, perturbation.id))


# `--perturbations quick`, and the headline columns of the detection tables: clean, downscaled, compressed
QUICK_PERTURBATIONS: tuple[str, ...] = (CLEAN, "resize0.5", "jpeg75")

# The robustness grid of docs/explanation/architecture.md ("Perturbations"), in two parts: the clean image and the
# resizes by a scale, then the rest. Fixed short sides depend on the world's image sizes (the mini world's
# images are 64-128 px; real generators' 512-1024 px), so each world adds its own between the two
# (grid_perturbations).
GRID_RESIZES: tuple[str, ...] = ("identity", "resize0.25", "resize0.5", "resize0.75", "resize1.5", "resize2")
GRID_REST: tuple[str, ...] = (
    "jpeg95", "jpeg75", "jpeg50", "jpeg30",
    "webp95", "webp75", "webp50",
    "blur1", "blur2",
    "resize0.5+jpeg75", "resize0.75+jpeg50", "jpeg75+webp75",
)
GRID_PERTURBATIONS: tuple[str, ...] = (*GRID_RESIZES, *GRID_REST)  # a world's that adds no short side


def grid_perturbations(short_sides: tuple[int, ...] = ()) -> tuple[str, ...]:
    """The grid with a world's fixed short sides (`short<side>`) after the resizes by a scale."""
    return (*GRID_RESIZES, *(f"short{side}" for side in short_sides), *GRID_REST)


def steps(perturbation: Perturbation) -> tuple[Perturbation, ...]:
    """The single perturbations a (possibly chained) perturbation applies, in order."""
    return perturbation.steps if isinstance(perturbation, Chain) else (perturbation,)
