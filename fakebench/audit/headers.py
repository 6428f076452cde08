"""What a training-set audit reads from one image file without decoding its pixels (and, on request,
a few cheap pixel statistics).

Pillow opens lazily: format, size, mode, ICC profile, EXIF and a JPEG's quantization tables, chroma
subsampling and progressive flag all come from the header. JPEG quality is estimated by
**IJG table inversion**: the quality 1-100 whose libjpeg-scaled (`jpeg_set_quality`) Annex K tables are
nearest, in L1 distance, to the file's luminance and chrominance tables. Files written by libjpeg,
Pillow, OpenCV or ImageMagick from a quality setting match a quality exactly (`ijg_tables`); tables
from other encoders (cameras, Photoshop) get the nearest IJG quality."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, JpegImagePlugin, UnidentifiedImageError

from fakebench.core.imageio import looks_truncated

QUALITY_ESTIMATOR = ("IJG table inversion: the quality 1-100 whose libjpeg-scaled Annex K tables are nearest (L1) "
                     "to the file's quantization tables")
FORMATS = ("JPEG", "PNG", "WEBP")  # anything else counts as "other"
SUBSAMPLING = {-1: "", 0: "4:4:4", 1: "4:2:2", 2: "4:2:0"}
MODES = ("RGB", "L", "RGBA", "P", "CMYK", "LA", "I;16")

# ITU-T T.81 Annex K tables, natural (row-major) order, as Pillow's `quantization` gives them
_LUMA = (16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
         14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
         49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99)
_CHROMA = (17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
           47, 66, 99, 99, 99, 99, 99, 99) + (99,) * 32


@lru_cache(maxsize=2)
def _ijg_tables(limit: int) -> np.ndarray:
    """100 x 2 x 64: libjpeg's tables for qualities 1..100 (jpeg_quality_scaling, entries clamped to
    [1, limit]: 255 for baseline files, 32767 otherwise)."""
    q = np.arange(1, 101)
    scale = np.where(q < 50, 5000 // q, 200 - 2 * q)[:, None, None]
    base = np.array([_LUMA, _CHROMA])[None]
    return np.clip((base * scale + 50) // 100, 1, limit)


def estimate_jpeg_quality(tables: dict[int, list[int]]) -> tuple[float, bool]:
    """(quality, whether the tables are exactly libjpeg's for it) from Pillow's `im.quantization`."""
    if not tables or 0 not in tables:
        return math.nan, False
    given = [np.asarray(tables[k], dtype=np.int64) for k in sorted(tables)[:2]]
    if any(len(t) != 64 for t in given):
        return math.nan, False
    ref = _ijg_tables(255 if max(int(t.max()) for t in given) <= 255 else 32767)
    dist = sum(np.abs(ref[:, i] - t[None]).sum(axis=1) for i, t in enumerate(given))
    best = len(dist) - 1 - int(np.argmin(dist[::-1]))  # the highest quality among ties (all-ones tables: 100)
    return float(best + 1), bool(dist[best] == 0)


@dataclass(frozen=True, slots=True)
class FileHeader:
    """One file's header facts; `error` set (and the rest empty) when Pillow cannot open it."""

    format: str = ""  # JPEG, PNG, WEBP or other
    width: int = 0
    height: int = 0
    mode: str = ""
    jpeg_quality: float = math.nan
    ijg_tables: bool = False
    subsampling: str = ""  # 4:4:4, 4:2:2, 4:2:0, or "" (not a JPEG, or other)
    progressive: bool = False
    icc: bool = False
    exif: bool = False
    file_bytes: int = 0
    error: str = ""

    @property
    def readable(self) -> bool:
        return not self.error

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1e6

    @property
    def bytes_per_pixel(self) -> float:
        return self.file_bytes / max(1, self.width * self.height)


def read_header(path: Path) -> FileHeader:
    """The header facts of one file; a file Pillow cannot identify, or that visibly ends early (no
    end marker, shorter than its declared size), comes back with `error` saying why (never raised)."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size == 0:
                return FileHeader(error="empty file (0 bytes)")
            with Image.open(fh) as im:
                if looks_truncated(fh, size, im.format):
                    return FileHeader(file_bytes=size, error=f"truncated: {im.format} data ends early ({size} bytes)")
                fmt = im.format if im.format in FORMATS else "other"
                quality, ijg, sampling, progressive = math.nan, False, "", False
                if im.format == "JPEG":
                    quality, ijg = estimate_jpeg_quality(getattr(im, "quantization", {}) or {})
                    sampling = SUBSAMPLING.get(JpegImagePlugin.get_sampling(im), "")
                    progressive = bool(im.info.get("progressive") or im.info.get("progression"))
                w, h = im.size
                if w < 1 or h < 1:
                    return FileHeader(file_bytes=size, error=f"empty image ({w}x{h})")
                return FileHeader(fmt, w, h, im.mode, quality, ijg, sampling, progressive,
                                  bool(im.info.get("icc_profile")), bool(im.info.get("exif")), size)
    except UnidentifiedImageError:
        return FileHeader(error="not an image Pillow can identify")
    except (OSError, SyntaxError, ValueError) as exc:
        text = str(exc).splitlines()[0] if str(exc) else "cannot open"
        return FileHeader(error=f"{type(exc).__name__}: {text}")


PIXEL_SIDE = 128  # pixel statistics are taken at this short side, so sharpness compares across sizes


def pixel_stats(path: Path) -> tuple[float, float, float]:
    """(mean intensity, mean saturation, Laplacian variance), all on [0, 1] pixels at a short side of
    PIXEL_SIDE: cheap global statistics that describe content and processing, not generation traces.
    Raises OSError (or ValueError) when the file cannot be decoded."""
    with Image.open(path) as im:
        im.draft("RGB", (PIXEL_SIDE, PIXEL_SIDE))  # JPEG: decode at a reduced scale where possible
        rgb = im.convert("RGB")
    w, h = rgb.size
    scale = PIXEL_SIDE / min(w, h)
    rgb = rgb.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BILINEAR)
    x = np.asarray(rgb, dtype=np.float32) / 255
    gray = x @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    hi, lo = x.max(axis=2), x.min(axis=2)
    saturation = np.where(hi > 0, (hi - lo) / np.maximum(hi, 1e-6), 0)
    lap = (gray[1:-1, :-2] + gray[1:-1, 2:] + gray[:-2, 1:-1] + gray[2:, 1:-1] - 4 * gray[1:-1, 1:-1])
    return float(gray.mean()), float(saturation.mean()), float(lap.var()) if lap.size else 0.0
