"""Image decoding and encoding shared by every stage, so all of them see the same pixels."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from fakebench.cache import atomic_write_bytes
from fakebench.errors import FakebenchError


def load_rgb(path: Path) -> Image.Image:
    """Decode `path` as RGB with its EXIF orientation applied; a clear error names a bad file."""
    try:
        with Image.open(path) as im:
            im.load()
            im = ImageOps.exif_transpose(im)
            return im.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise FakebenchError(f"cannot decode image {str(path)!r}: {exc}", fix="remove or replace the file") from None


def pil_to_tensor(im: Image.Image) -> torch.Tensor:
    """PIL RGB -> float tensor 3 x H x W in [0, 1]."""
    arr = np.asarray(im.convert("RGB"), dtype=np.uint8)
    return torch.from_numpy(arr.copy()).permute(2, 0, 1).float().div_(255.0)


def tensor_to_pil(x: torch.Tensor) -> Image.Image:
    """Float tensor 3 x H x W in [0, 1] -> PIL RGB (rounded, clamped)."""
    arr = x.detach().clamp(0, 1).mul(255).round().to(torch.uint8).permute(1, 2, 0).cpu().numpy()
    return Image.fromarray(arr, mode="RGB")


def encode(im: Image.Image, fmt: str, quality: int | None = None) -> bytes:
    """Encode to bytes in a format (PNG, JPEG, WEBP) with deterministic settings."""
    buf = io.BytesIO()
    fmt = fmt.upper()
    if fmt == "PNG":
        im.save(buf, format="PNG", compress_level=6)
    elif fmt == "JPEG":
        im.save(buf, format="JPEG", quality=int(quality or 95), subsampling=2 if (quality or 95) < 90 else 0)
    elif fmt == "WEBP":
        im.save(buf, format="WEBP", quality=int(quality or 95), method=4)
    else:
        raise ValueError(f"unsupported image format {fmt!r}")
    return buf.getvalue()


def decode(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        return im.convert("RGB")


def save_atomic(im: Image.Image, path: Path, fmt: str = "PNG", quality: int | None = None) -> bytes:
    """Write `im` to `path` atomically and return the bytes written (for hashing)."""
    data = encode(im, fmt, quality)
    atomic_write_bytes(path, data)
    return data
