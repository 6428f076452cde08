"""Procedural real images: content with no photograph in it, for the paper's shader experiment.

Sundara Rajan et al. train an aligned detector on images rendered by OpenGL shaders and their
reconstructions, and find it does about as well on real photos as one trained on photos: what the
detector learns is the decoder's trace, not content. This module renders such images with numpy:
smooth gradients, value noise at several octaves, stripes and checkerboards at varied frequency,
shapes, Julia-set fractals, reaction-diffusion-like (Turing) patterns and Worley cells, coloured by
random palettes and sometimes blended two by two. Each image is a pure function of (seed, split,
index), stored as JPEG at varied size and quality the way the photo corpus is (see fakebench.data.corpus).

`--real procedural:N` (and a world's detector spec) names N such training images.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from fakebench.core.errors import FakebenchError
from fakebench.data.corpus import CorpusConfig, check_side_step, stepped_side

PREFIX = "procedural:"
SPLIT_CODES = {"train": 0, "val": 1, "test": 2}  # each split draws from its own seed stream

Field = np.ndarray  # H x W float in [0, 1]


@dataclass(frozen=True)
class ProceduralConfig:
    """How procedural images are drawn and stored (sizes and JPEG qualities as the photo corpus has)."""

    seed: int = 0
    min_side: int = 64
    max_side: int = 128
    jpeg_quality: tuple[int, int] = (70, 96)
    # sides are min_side + a multiple of this, as the corpus crops' (CorpusConfig.side_step): images of one
    # size batch together when they are reconstructed and scored; 1 = any size
    side_step: int = 16
    blend_prob: float = 0.35  # share of images that mix two families through a third field
    val_fraction: float = 0.05  # validation images per training image (at least `min_val`)
    min_val: int = 16

    def __post_init__(self) -> None:
        check_side_step(self.side_step)

    def n_val(self, n_train: int) -> int:
        return max(self.min_val, round(n_train * self.val_fraction))

    @classmethod
    def like(cls, corpus: CorpusConfig) -> ProceduralConfig:
        """Procedural images at the sizes and JPEG qualities of a world's photo crops: mixed with them (a
        world's `[reals] train`) or standing in for them (the shader experiment), neither size nor file
        format tells the two kinds of real apart. The mini world's crops give the defaults."""
        return cls(min_side=corpus.min_side, max_side=corpus.max_side, jpeg_quality=tuple(corpus.jpeg_quality),
                   side_step=corpus.side_step)


DEFAULT_PROCEDURAL = ProceduralConfig()


def parse_procedural(text: str) -> int | None:
    """`procedural:N` -> N (> 0); any other text -> None (it is something else, e.g. a folder)."""
    if not text.startswith(PREFIX):
        return None
    count = text[len(PREFIX):]
    if not count.isdigit() or int(count) < 1:
        raise FakebenchError(f"{text!r} does not name a number of procedural images",
                             fix="write procedural:N with N >= 1, e.g. procedural:2000")
    return int(count)


# --- scalar fields on a H x W grid -------------------------------------------------------------------


def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates scaled so the short side spans [0, 1] (features keep their aspect)."""
    s = min(h, w)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    return (x + 0.5) / s, (y + 0.5) / s


def _normalise(f: np.ndarray) -> Field:
    lo, hi = float(f.min()), float(f.max())
    return (f - lo) / (hi - lo) if hi > lo else np.zeros_like(f)


def _rotated(x: np.ndarray, y: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    c, s = np.cos(angle), np.sin(angle)
    return x * c + y * s, -x * s + y * c


def _value_noise(rng: np.random.Generator, h: int, w: int, cells: int) -> Field:
    """Smooth noise: a random lattice of `cells` per short side, interpolated with smoothstep."""
    x, y = _grid(h, w)
    gx, gy = x * cells, y * cells
    ix, iy = np.floor(gx).astype(int), np.floor(gy).astype(int)
    lattice = rng.random((iy.max() + 2, ix.max() + 2))
    fx, fy = gx - ix, gy - iy
    sx, sy = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy)
    top = lattice[iy, ix] * (1 - sx) + lattice[iy, ix + 1] * sx
    bottom = lattice[iy + 1, ix] * (1 - sx) + lattice[iy + 1, ix + 1] * sx
    return top * (1 - sy) + bottom * sy


def gradient(rng: np.random.Generator, h: int, w: int) -> Field:
    """A linear or radial ramp, shaped by a power curve."""
    x, y = _grid(h, w)
    if rng.random() < 0.5:
        u, _ = _rotated(x, y, rng.uniform(0, 2 * np.pi))
    else:
        cx, cy = rng.uniform(-0.2, 1.2, size=2)
        u = np.hypot(x - cx, y - cy)
    return _normalise(u) ** rng.uniform(0.4, 2.5)


def octave_noise(rng: np.random.Generator, h: int, w: int) -> Field:
    """Fractional Brownian motion: value noise summed over 1-6 octaves with a random persistence."""
    base = int(rng.integers(2, 9))
    octaves = int(rng.integers(1, 7))
    persistence = rng.uniform(0.35, 0.8)
    f = sum(persistence**k * _value_noise(rng, h, w, base * 2**k) for k in range(octaves))
    if rng.random() < 0.3:  # ridged variant
        f = 1 - np.abs(2 * _normalise(f) - 1)
    return _normalise(f)


def stripes(rng: np.random.Generator, h: int, w: int) -> Field:
    """Sine or square-wave stripes, 1-48 cycles per short side, at any angle, sometimes warped."""
    x, y = _grid(h, w)
    u, v = _rotated(x, y, rng.uniform(0, np.pi))
    freq = np.exp(rng.uniform(np.log(1), np.log(48)))
    if rng.random() < 0.4:
        u = u + rng.uniform(0.02, 0.15) * np.sin(2 * np.pi * rng.uniform(0.5, 4) * v)
    wave = np.sin(2 * np.pi * freq * u + rng.uniform(0, 2 * np.pi))
    return (wave > 0).astype(np.float64) if rng.random() < 0.5 else 0.5 + 0.5 * wave


def checkerboard(rng: np.random.Generator, h: int, w: int) -> Field:
    """A checkerboard of 1-32 squares per short side, rotated, hard or soft edged."""
    x, y = _grid(h, w)
    u, v = _rotated(x, y, rng.uniform(0, np.pi / 2))
    freq = np.exp(rng.uniform(np.log(1), np.log(32)))
    phase = rng.uniform(0, 2 * np.pi, size=2)
    prod = np.sin(np.pi * freq * u + phase[0]) * np.sin(np.pi * freq * v + phase[1])
    return (prod > 0).astype(np.float64) if rng.random() < 0.6 else _normalise(np.tanh(3 * prod))


def shapes(rng: np.random.Generator, h: int, w: int) -> Field:
    """Random ellipses, rectangles and polygons over a ramp, each at its own grey level."""
    canvas = Image.fromarray((gradient(rng, h, w) * 255).astype(np.uint8), "L")
    draw = ImageDraw.Draw(canvas)
    for _ in range(int(rng.integers(3, 25))):
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        r = rng.uniform(0.03, 0.35) * min(h, w)
        fill = int(rng.integers(0, 256))
        kind = rng.integers(0, 3)
        if kind == 0:
            draw.ellipse((cx - r, cy - r * rng.uniform(0.4, 1.6), cx + r, cy + r), fill=fill)
        elif kind == 1:
            draw.rectangle((cx - r, cy - r * rng.uniform(0.3, 1.5), cx + r, cy + r), fill=fill)
        else:
            angles = np.sort(rng.uniform(0, 2 * np.pi, size=int(rng.integers(3, 8))))
            draw.polygon([(cx + r * np.cos(a), cy + r * np.sin(a)) for a in angles], fill=fill)
    return np.asarray(canvas, dtype=np.float64) / 255


def fractal(rng: np.random.Generator, h: int, w: int) -> Field:
    """A Julia set (smooth escape time) around a random constant near the Mandelbrot boundary."""
    x, y = _grid(h, w)
    zoom = np.exp(rng.uniform(np.log(0.4), np.log(3.0)))
    centre = rng.uniform(-0.5, 0.5, size=2)
    z = ((x - x.mean()) * 3 / zoom + centre[0]) + 1j * ((y - y.mean()) * 3 / zoom + centre[1])
    angle = rng.uniform(0, 2 * np.pi)
    c = 0.7885 * np.exp(1j * angle) * rng.uniform(0.95, 1.02)
    iters = 48
    count = np.full(z.shape, float(iters))
    alive = np.ones(z.shape, dtype=bool)
    for i in range(iters):
        z[alive] = z[alive] ** 2 + c
        escaped = alive & (np.abs(z) > 4)
        count[escaped] = i + 1 - np.log2(np.log(np.abs(z[escaped])))
        alive &= ~escaped
        if not alive.any():
            break
    return _normalise(np.sqrt(np.maximum(count, 0)))


def reaction_diffusion(rng: np.random.Generator, h: int, w: int) -> Field:
    """A Turing pattern (spots, labyrinths): noise repeatedly band-passed and squashed, the way a
    reaction-diffusion system's activator and inhibitor settle; done in Fourier space."""
    u = rng.standard_normal((h, w))
    fy, fx = np.fft.fftfreq(h)[:, None], np.fft.fftfreq(w)[None, :]
    k = np.hypot(fx, fy)
    wavelength = rng.uniform(4, 16)  # pixels per stripe
    peak = 1 / wavelength
    band = np.exp(-((k - peak) ** 2) / (2 * (peak * 0.35) ** 2))
    bias = rng.uniform(-0.4, 0.4)  # spots (off centre) or labyrinths (near 0)
    for _ in range(int(rng.integers(6, 14))):
        u = np.real(np.fft.ifft2(np.fft.fft2(u) * band))
        u = np.tanh(4 * (u / (u.std() + 1e-9) + bias))
    return _normalise(u)


def cells(rng: np.random.Generator, h: int, w: int) -> Field:
    """Worley noise: distance to the nearest (or second nearest) of 4-60 random points."""
    x, y = _grid(h, w)
    n = int(rng.integers(4, 61))
    px, py = rng.uniform(0, x.max(), n), rng.uniform(0, y.max(), n)
    d = np.sort(np.hypot(x[None] - px[:, None, None], y[None] - py[:, None, None]), axis=0)
    f = d[1] - d[0] if rng.random() < 0.4 else d[0]
    return _normalise(f)


FAMILIES: dict[str, Callable[[np.random.Generator, int, int], Field]] = {
    "gradient": gradient, "noise": octave_noise, "stripes": stripes, "checkerboard": checkerboard,
    "shapes": shapes, "fractal": fractal, "reaction-diffusion": reaction_diffusion, "cells": cells,
}


# --- colour ------------------------------------------------------------------------------------------


def palette(rng: np.random.Generator, f: Field) -> np.ndarray:
    """A scalar field in [0, 1] -> H x W x 3 colours in [0, 1]: a random cosine palette (Quilez's
    a + b cos(2 pi (c t + d))) or a random ramp through 2-6 colours."""
    if rng.random() < 0.5:
        a, b = rng.uniform(0.2, 0.8, 3), rng.uniform(0.1, 0.5, 3)
        c, d = rng.uniform(0.3, 2.0, 3), rng.uniform(0, 1, 3)
        return np.clip(a + b * np.cos(2 * np.pi * (c * f[..., None] + d)), 0, 1)
    stops = rng.random((int(rng.integers(2, 7)), 3))
    pos = np.linspace(0, 1, len(stops))
    return np.stack([np.interp(f, pos, stops[:, ch]) for ch in range(3)], axis=-1)


def render(index: int, split: str = "train", config: ProceduralConfig | None = None) -> tuple[str, Image.Image]:
    """The image at `index` of a split: its family name and pixels (RGB), before JPEG encoding."""
    config = config or DEFAULT_PROCEDURAL
    rng = np.random.default_rng([config.seed, SPLIT_CODES[split], index])
    w = stepped_side(rng, config.min_side, config.max_side, config.side_step)
    h = stepped_side(rng, config.min_side, config.max_side, config.side_step)
    names = list(FAMILIES)
    name = names[int(rng.integers(len(names)))]
    rgb = palette(rng, FAMILIES[name](rng, h, w))
    if rng.random() < config.blend_prob:
        other = names[int(rng.integers(len(names)))]
        mask = FAMILIES[names[int(rng.integers(len(names)))]](rng, h, w)[..., None]
        rgb = rgb * mask + palette(rng, FAMILIES[other](rng, h, w)) * (1 - mask)
        name = f"{name}+{other}"
    return name, Image.fromarray(np.round(rgb * 255).astype(np.uint8), "RGB")


def jpeg_quality(index: int, split: str, config: ProceduralConfig) -> int:
    """The JPEG quality an image is stored at (its own seed stream, so sizes and content stay put)."""
    rng = np.random.default_rng([config.seed, SPLIT_CODES[split], index, 1])
    return int(rng.integers(config.jpeg_quality[0], config.jpeg_quality[1]))


def procedural_jpeg_bytes(index: int, split: str, config: ProceduralConfig) -> bytes:
    """The image as stored: JPEG at its own quality."""
    from fakebench.core.imageio import encode

    return encode(render(index, split, config)[1], "JPEG", jpeg_quality(index, split, config))
