"""Image decoding and encoding shared by every stage, so all of them see the same pixels.

Decoding policy of `load_rgb` (one file always becomes the same RGB pixels; a file that cannot is
quarantined with a `BadImageError` whose `reason` is one of `REASONS`, and is one failed row, never a
crashed run):

- Formats: `ALLOWED_FORMATS` (JPEG/MPO, PNG/APNG, WebP, GIF, BMP, TIFF, PPM, AVIF). Pillow's other
  plugins (EPS runs Ghostscript, PSD, ...) are attack surface that photos do not need:
  "unsupported-format". Bytes no decoder recognises (text, an HTML error page, random bytes):
  "not-an-image"; a zero-byte file: "empty".
- Limits are checked from the header, before any pixel is decoded (we do not rely on Pillow's
  warning): more than `max_pixels()` pixels (`MAX_PIXELS` = 64 MP, env `FAKEBENCH_MAX_PIXELS`) is
  "too-large"; more than twice that, or beyond Pillow's own bomb limit, is "decompression-bomb"
  (Pillow's own warn-at-1x / refuse-at-2x rule). A short side below `MIN_SIDE` = 8 px is "too-small":
  8 px is an LDM autoencoder's stride, so a smaller image is less than one latent cell and cannot be
  reconstructed meaningfully (and such files are icons or tracking pixels, not photos). Images of
  side >= 8 px but smaller than a detector's crop are upscaled by that detector's input policy
  (`fakebench.detectors.base.InputPolicy`), not here.
- A truncated file is an error ("truncated"); damaged data is "corrupt". We never set
  `ImageFile.LOAD_TRUNCATED_IMAGES`, and if other code sets it, a file that is visibly cut short
  (no end marker / shorter than its declared size) is still refused.
- The EXIF orientation is applied (orientations 5-8 swap width and height); a malformed EXIF block
  is logged and ignored (the pixels are fine).
- Animated or multi-frame files (GIF, WebP, APNG, MPO, multi-page TIFF): the first frame only
  (Pillow's frame 0, for APNG the default image), so a file is one image, as a viewer's thumbnail is.
- Modes: CMYK, YCbCr, LAB, HSV, grey, 1-bit and palette go through Pillow's conversion to RGB.
  Greyscale beyond 8 bits is scaled, not clipped (Pillow's `convert("RGB")` saturates I;16 at 255):
  I;16* and I (clipped to 0..65535) as round(v * 255 / 65535); F as [0, 1] when its maximum is <= 1,
  else as [0, 255]. 16-bit RGB(A) PNGs are reduced to 8 bits by Pillow's decoder (high byte).
- Transparency (RGBA, LA, PA, palette or colour-key `transparency`) is composited onto white:
  generators' PNGs have no alpha, a viewer shows transparent areas on a page background, and a fixed
  background keeps the decision deterministic; dropping alpha instead would expose whatever hidden
  colour an editor left under transparent pixels.
- Embedded ICC profiles are ignored (pixels are taken as sRGB), as torchvision and timm loaders do,
  so a file scores here as it did in a detector's own training code.
"""
from __future__ import annotations

import io
import logging
import os
import re
import stat
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError

from fakebench.core.errors import BadImageError, FakebenchError

log = logging.getLogger(__name__)

MIN_SIDE = 8  # an LDM autoencoder's stride: below one latent cell an image is quarantined
MAX_PIXELS = 64_000_000  # default limit, checked from the header before decoding
MAX_PIXELS_ENV = "FAKEBENCH_MAX_PIXELS"
BOMB_FACTOR = 2  # more than BOMB_FACTOR x the limit: a decompression bomb, not just a big photo

REASONS = frozenset({"changed", "missing", "unreadable", "empty", "not-an-image", "unsupported-format", "truncated",
                     "corrupt", "too-small", "too-large", "decompression-bomb"})

Image.init()
ALLOWED_FORMATS: tuple[str, ...] = tuple(
    f for f in ("JPEG", "MPO", "PNG", "WEBP", "GIF", "BMP", "TIFF", "PPM", "AVIF") if f in Image.OPEN
)

_FIXES = {
    "missing": "check the path, or rebuild the image set whose manifest lists it",
    "unreadable": "check that it is a regular file this user may read",
    "empty": "the file has no bytes (an interrupted download or copy?): fetch it again or remove it",
    "not-an-image": "this is not image data (text or an HTML error page saved under an image name?): "
                    "fetch the real image or remove the file",
    "unsupported-format": f"convert it to PNG or JPEG (supported: {', '.join(ALLOWED_FORMATS)})",
    "truncated": "the file is cut short (an interrupted download or copy?): fetch it again or remove it",
    "corrupt": "the image data is damaged: fetch it again or remove the file",
    "too-small": f"images with a side below {MIN_SIDE} px are quarantined: use a larger version or remove it",
    "too-large": f"downscale the image, or raise {MAX_PIXELS_ENV}",
    "decompression-bomb": "remove the file; if it is a genuine image, downscale it with a trusted tool first",
}

# Signatures of the formats we decode, to tell "cut short" / "damaged" from "not an image at all".
_MAGIC = {
    b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG", b"GIF87a": "GIF", b"GIF89a": "GIF",
    b"II*\x00": "TIFF", b"MM\x00*": "TIFF",
}
# Formats we recognise but refuse, to say so instead of "not an image".
_OTHER_MAGIC = {
    b"8BPS": "PSD", b"%!PS": "PostScript/EPS", b"%PDF": "PDF", b"\x00\x00\x00\x0cjP  ": "JPEG 2000",
    b"\xff\x4f\xff\x51": "JPEG 2000", b"qoif": "QOI", b"\x00\x00\x01\x00": "ICO",
}
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"mif1", b"msf1")

_TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
              5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}  # as PIL.ImageOps.exif_transpose
_ORIENTATION = 0x0112
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa"})
_BOMB_PIXELS = re.compile(r"\((\d+) pixels\)")


def max_pixels() -> int:
    """The pixel limit: $FAKEBENCH_MAX_PIXELS if set (read per call, so tests and runs can change it)."""
    raw = os.environ.get(MAX_PIXELS_ENV, "").strip()
    if not raw:
        return MAX_PIXELS
    try:
        value = int(float(raw))
    except ValueError:
        value = 0
    if value <= 0:
        raise FakebenchError(f"{MAX_PIXELS_ENV}={raw!r} is not a positive number of pixels",
                             fix=f"set {MAX_PIXELS_ENV} to e.g. 64000000, or unset it")
    return value


def _bad(path: Path, reason: str, detail: str, fix: str | None = None) -> BadImageError:
    return BadImageError(f"image {str(path)!r} quarantined ({reason}): {detail}", fix or _FIXES[reason],
                         reason=reason, path=str(path))


def _sniff(head: bytes) -> tuple[str | None, str | None]:
    """(format we decode, format we refuse) by signature; both None for unknown bytes."""
    for magic, fmt in _MAGIC.items():
        if head.startswith(magic):
            return fmt, None
    if head[:2] == b"BM" and head[6:10] == b"\x00\x00\x00\x00":  # BMP: reserved words are zero
        return "BMP", None
    if head[:1] == b"P" and head[1:2] in b"123456" and head[2:3].isspace():  # PBM/PGM/PPM
        return "PPM", None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP", None
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "AVIF", None
        if brand in _HEIF_BRANDS:
            return None, "HEIF/HEIC"
    for magic, fmt in _OTHER_MAGIC.items():
        if head.startswith(magic):
            return None, fmt
    if head.lstrip().lower().startswith((b"<svg", b"<?xml")):
        return None, "SVG/XML"
    return None, None


def _looks_truncated(fmt: str | None, head: bytes, tail: bytes, size: int) -> bool:
    """Whether a file of a known format visibly ends early (no end marker, short of its declared size)."""
    if fmt == "JPEG":
        return b"\xff\xd9" not in tail
    if fmt == "PNG":
        return b"IEND" not in tail
    if fmt == "GIF":
        return b";" not in tail[-4:]
    if fmt == "WEBP":
        return len(head) < 12 or int.from_bytes(head[4:8], "little") + 8 > size
    if fmt == "BMP":
        return len(head) < 6 or int.from_bytes(head[2:6], "little") > size
    return False


def _read_ends(fh: BinaryIO, size: int) -> tuple[bytes, bytes]:
    head = fh.read(32)
    fh.seek(max(0, size - 64))
    tail = fh.read(64)
    fh.seek(0)
    return head, tail


def looks_truncated(fh: BinaryIO, size: int, fmt: str | None) -> bool:
    """Whether an open file of format `fmt` (Pillow's name) visibly ends early, from its first and
    last bytes alone (no decode); leaves the file at its start."""
    head, tail = _read_ends(fh, size)
    return _looks_truncated(fmt, head, tail, size)


def _check_size(path: Path, width: int, height: int) -> None:
    """Refuse from the header alone: too many pixels (before decoding) or too small a side."""
    pixels, limit = width * height, max_pixels()
    if pixels > limit:
        reason = "decompression-bomb" if pixels > BOMB_FACTOR * limit else "too-large"
        raise _bad(path, reason, f"its header says {width}x{height} = {pixels / 1e6:.1f} MP, above the "
                                 f"{limit / 1e6:g} MP limit ({MAX_PIXELS_ENV}); refused before decoding")
    if min(width, height) < MIN_SIDE:
        raise _bad(path, "too-small", f"{width}x{height} px has a side below {MIN_SIDE} px (an LDM autoencoder's "
                                      f"stride)")


def _scale_to_l(im: Image.Image) -> Image.Image:
    """Greyscale deeper than 8 bits -> L, scaled (never saturated)."""
    arr = np.asarray(im)
    if im.mode == "F":
        a = arr.astype(np.float64)
        a = np.nan_to_num(a, nan=0.0, posinf=255.0, neginf=0.0)
        scale = 255.0 if a.size and a.max() <= 1.0 else 1.0
        out = np.clip(np.rint(a * scale), 0, 255)
    else:  # I;16, I;16L, I;16B, I;16N, I
        a = np.clip(arr.astype(np.int64), 0, 65535)
        out = (a * 255 + 32767) // 65535
    return Image.fromarray(out.astype(np.uint8), mode="L")


def to_rgb(im: Image.Image) -> Image.Image:
    """Any Pillow mode -> RGB by the policy in the module docstring (alpha onto white, deep grey scaled)."""
    if im.mode == "RGB" and "transparency" not in im.info:
        return im.convert("RGB")  # a copy, as before
    if im.mode.startswith("I") or im.mode == "F":
        return _scale_to_l(im).convert("RGB")
    if im.mode in _ALPHA_MODES or "transparency" in im.info:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return im.convert("RGB")


def _orient(path: Path, im: Image.Image, rgb: Image.Image) -> Image.Image:
    """Apply the EXIF orientation of `im` to its RGB pixels; a malformed EXIF block is ignored."""
    try:
        orientation = im.getexif().get(_ORIENTATION, 1)
    except Exception as exc:  # noqa: BLE001 - Pillow's EXIF parser raises many types on bad blocks
        log.warning("ignoring unreadable EXIF of %s: %s", path, exc)
        return rgb
    method = _TRANSPOSE.get(orientation) if isinstance(orientation, int) else None
    return rgb.transpose(method) if method is not None else rgb


def _open_failure(path: Path, exc: Exception, head: bytes, tail: bytes, size: int) -> BadImageError:
    fmt, other = _sniff(head)
    if fmt is None and other is not None:
        return _bad(path, "unsupported-format", f"it is {other}, which fakebench does not decode")
    if fmt is None:
        return _bad(path, "not-an-image", f"no supported image format recognises its first bytes {head[:8]!r}")
    return _decode_failure(path, exc, fmt, head, tail, size)


def _decode_failure(path: Path, exc: Exception, fmt: str | None, head: bytes, tail: bytes,
                    size: int) -> BadImageError:
    text = ("Pillow cannot parse its header" if isinstance(exc, UnidentifiedImageError)
            else str(exc) or type(exc).__name__)
    if isinstance(exc, EOFError) or "truncat" in text.lower() or _looks_truncated(fmt, head, tail, size):
        return _bad(path, "truncated", f"{fmt or 'image'} data ends early ({size} bytes; {text})")
    return _bad(path, "corrupt", f"{fmt or 'image'} data cannot be decoded ({type(exc).__name__}: {text})")


def load_rgb(path: Path) -> Image.Image:
    """Decode `path` to RGB by the module's policy; a file that cannot be used raises `BadImageError`."""
    path = Path(path)
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a directory, or a FIFO that open() would block on
            raise _bad(path, "unreadable", "not a regular file")
        fh = open(path, "rb")
    except FileNotFoundError:
        raise _bad(path, "missing", "no such file") from None
    except OSError as exc:
        raise _bad(path, "unreadable", exc.strerror or str(exc)) from None
    with fh:
        try:
            size = os.fstat(fh.fileno()).st_size
            head, tail = _read_ends(fh, size)
        except OSError as exc:  # an I/O error, a file changed under us
            raise _bad(path, "unreadable", exc.strerror or str(exc)) from None
        if size == 0:
            raise _bad(path, "empty", "the file is 0 bytes")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # we check the size ourselves
            try:
                im = Image.open(fh, formats=ALLOWED_FORMATS)
            except Image.DecompressionBombError as exc:
                m = _BOMB_PIXELS.search(str(exc))
                claimed = f"{int(m.group(1)) / 1e6:.1f} MP" if m else "more pixels than Pillow allows"
                raise _bad(path, "decompression-bomb", f"its header claims {claimed}, beyond Pillow's limit of "
                                                       f"{2 * (Image.MAX_IMAGE_PIXELS or 0) / 1e6:.0f} MP; "
                                                       f"refused before decoding") from None
            except Exception as exc:  # noqa: BLE001 - Pillow plugins raise SyntaxError, struct.error, ...
                raise _open_failure(path, exc, head, tail, size) from None
        with im:
            fmt = _sniff(head)[0]
            _check_size(path, *im.size)
            try:
                im.load()  # frame 0: Image.open leaves every multi-frame file there
                if ImageFile.LOAD_TRUNCATED_IMAGES and _looks_truncated(fmt, head, tail, size):
                    raise EOFError("cut short (decoded only because ImageFile.LOAD_TRUNCATED_IMAGES is set)")
                rgb = to_rgb(im)
            except Exception as exc:  # noqa: BLE001 - decoders raise OSError, SyntaxError, EOFError, ...
                raise _decode_failure(path, exc, fmt, head, tail, size) from None
            return _orient(path, im, rgb)


def load_verified(path: Path, sha256: str) -> Image.Image:
    """`load_rgb` of a file whose bytes must still be the ones a manifest recorded: a cached artifact
    or a scanned dataset file that changed since is refused, naming the file and how to rebuild it."""
    from fakebench.core.cache import file_sha256

    path = Path(path)
    try:
        digest = file_sha256(path)
    except OSError:
        digest = ""  # missing or unreadable: load_rgb says which
    if digest and digest != sha256:
        raise BadImageError(f"image {str(path)!r} no longer matches the sha256 its manifest recorded",
                            fix=f"delete {str(path.parent)!r} (a cached set) so that it is rebuilt, or rescan the "
                                "dataset", reason="changed", path=str(path))
    return load_rgb(path)


def encode(im: Image.Image, fmt: str, quality: int | None = None) -> bytes:
    """Encode to bytes in a format (PNG, JPEG, WEBP) with deterministic settings."""
    buf = io.BytesIO()
    fmt = fmt.upper()
    if fmt == "PNG":
        im.save(buf, format="PNG", compress_level=1)  # lossless at any level; 1 writes several times faster
    elif fmt == "JPEG":
        im.save(buf, format="JPEG", quality=int(quality or 95), subsampling=2 if (quality or 95) < 90 else 0)
    elif fmt == "WEBP":
        im.save(buf, format="WEBP", quality=int(quality or 95), method=4)
    else:
        raise ValueError(f"unsupported image format {fmt!r}")
    return buf.getvalue()


def decode(data: bytes) -> Image.Image:
    """Bytes we encoded ourselves (perturbations, augmentations) -> RGB, through the same mode policy."""
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        return to_rgb(im)
