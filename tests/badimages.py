"""A corpus of awkward and broken image files, generated in code (deterministic, ~90 KB, well under 1 s).

`make_bad_image_corpus(folder)` writes the files and returns filename -> expected outcome: "ok" or
the quarantine reason `fakebench.core.imageio.load_rgb` must give. `EXPECTED_SIZE` and `EXPECTED_PIXELS`
say what the decodable files must look like, so any test (decoding, scoring, reconstruction) can use
the corpus: `from tests.badimages import ...`.
"""
from __future__ import annotations

import functools
import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms

OK = "ok"

# The "upright" picture: 48 wide, 32 high, a red block top-left and a blue block bottom-right, so a
# wrong EXIF rotation or flip shows up as a wrong size or a wrong corner colour.
UPRIGHT_SIZE = (48, 32)
RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)

# filename -> decoded (width, height) for the files that decode.
EXPECTED_SIZE: dict[str, tuple[int, int]] = {}
# filename -> [((x, y), (r, g, b), tolerance)]: pixels a correct decoder produces.
EXPECTED_PIXELS: dict[str, list[tuple[tuple[int, int], tuple[int, int, int], int]]] = {}


def _upright() -> Image.Image:
    w, h = UPRIGHT_SIZE
    yy, xx = np.mgrid[0:h, 0:w]
    arr = np.stack([40 + xx * 2, 80 + yy * 3, 120 + (xx + yy)], axis=-1).astype(np.uint8)
    arr[:12, :12] = RED
    arr[-12:, -12:] = BLUE
    return Image.fromarray(arr, "RGB")


def _noise(w: int, h: int, seed: int = 0) -> Image.Image:
    """Smooth-ish noise: big enough files that truncating half of them cuts pixel data."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (h // 4 + 1, w // 4 + 1, 3), dtype=np.uint8)
    return Image.fromarray(small, "RGB").resize((w, h), Image.Resampling.BILINEAR)


def _save(im: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png(width: int, height: int, bit_depth: int, color_type: int, idat: bytes, end: bool = True) -> bytes:
    """A PNG from its parts, for what Pillow will not write (16-bit RGB, huge 1-bit, header-only)."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat)
            + (_chunk(b"IEND", b"") if end else b""))


@functools.cache
def _blank_1bit_png(side: int) -> bytes:
    """A complete, valid all-black 1-bit PNG of side x side: ~1000x smaller than its pixel data."""
    row = b"\x00" * (1 + (side + 7) // 8)
    comp = zlib.compressobj(9)
    idat = b"".join(comp.compress(row * 500) for _ in range(side // 500)) + comp.compress(row * (side % 500))
    return _png(side, side, 1, 0, idat + comp.flush())


def _with_jpeg_size(data: bytes, width: int, height: int) -> bytes:
    """Rewrite the frame header (SOF) of a JPEG to claim another size: a cheap header-only bomb."""
    i = 2
    while i + 4 <= len(data):
        marker, length = data[i + 1], int.from_bytes(data[i + 2 : i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            return data[: i + 5] + struct.pack(">HH", height, width) + data[i + 9 :]
        i += 2 + length
    raise ValueError("no SOF marker")


def _exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


def _frames(fmt: str, **kwargs) -> bytes:
    red, blue = Image.new("RGB", (24, 24), RED), Image.new("RGB", (24, 24), BLUE)
    return _save(red, fmt, save_all=True, append_images=[blue], duration=100, loop=0, **kwargs)


def _expect(name: str, size: tuple[int, int], *pixels: tuple[tuple[int, int], tuple[int, int, int], int]) -> None:
    EXPECTED_SIZE[name] = size
    EXPECTED_PIXELS[name] = list(pixels)


def _build() -> dict[str, tuple[bytes, str]]:
    files: dict[str, tuple[bytes, str]] = {}
    up = _upright()
    corners = (((2, 2), RED, 40), ((45, 29), BLUE, 40))  # JPEG is lossy: generous tolerance

    def ok(name: str, data: bytes, size: tuple[int, int], *pixels) -> None:
        files[name] = (data, OK)
        _expect(name, size, *pixels)

    # Ordinary files and formats.
    ok("ok-rgb.png", _save(up, "PNG"), UPRIGHT_SIZE, ((2, 2), RED, 0), ((45, 29), BLUE, 0))
    ok("ok-rgb.jpg", _save(up, "JPEG", quality=90), UPRIGHT_SIZE, *corners)
    ok("UPPER.JPEG", _save(up, "JPEG", quality=90), UPRIGHT_SIZE, *corners)
    ok("progressive.jpg", _save(up, "JPEG", quality=90, progressive=True), UPRIGHT_SIZE, *corners)
    icc = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    icc[24:36] = bytes(12)  # the header's creation time (and the profile id hashed over it): the corpus must be
    icc[84:100] = bytes(16)  # the same bytes every time; an all-zero id means "not computed", which is valid
    icc = bytes(icc)
    ok("icc-profile.jpg", _save(up, "JPEG", quality=90, icc_profile=icc), UPRIGHT_SIZE, *corners)
    ok("image.bmp", _save(up, "BMP"), UPRIGHT_SIZE, ((2, 2), RED, 0))
    ok("image.tiff", _save(up, "TIFF", compression="tiff_lzw"), UPRIGHT_SIZE, ((2, 2), RED, 0))
    ok("png-bytes.jpg", _save(up, "PNG"), UPRIGHT_SIZE, ((2, 2), RED, 0))  # wrong extension
    ok("jpeg-bytes.png", _save(up, "JPEG", quality=90), UPRIGHT_SIZE, *corners)

    # Colour modes.
    ok("cmyk.jpg", _save(Image.new("CMYK", (32, 32), (0, 255, 255, 0)), "JPEG", quality=95), (32, 32),
       ((16, 16), RED, 8))
    ok("gray.jpg", _save(Image.new("L", (32, 32), 100), "JPEG", quality=95), (32, 32), ((16, 16), (100,) * 3, 2))
    ok("lab.tiff", _save(Image.new("LAB", (32, 32), (255, 128, 128)), "TIFF"), (32, 32), ((16, 16), WHITE, 3))
    bits = Image.fromarray(((np.indices((16, 16)).sum(0) % 2) * 255).astype(np.uint8)).convert("1")
    ok("bilevel-1bit.png", _save(bits, "PNG"), (16, 16), ((0, 0), (0, 0, 0), 0), ((1, 0), WHITE, 0))
    pal = up.quantize(colors=16, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    ok("palette.png", _save(pal, "PNG"), UPRIGHT_SIZE, ((2, 2), RED, 30))
    ptr = Image.new("P", (16, 16), 0)
    ptr.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    ptr.paste(1, (0, 0, 8, 16))  # left half red (index 1), right half index 0: transparent black
    ok("palette-transparent.png", _save(ptr, "PNG", transparency=0), (16, 16), ((2, 2), RED, 0), ((12, 2), WHITE, 0))
    rgba = np.zeros((16, 24, 4), np.uint8)  # right third: transparent with hidden black
    rgba[:, :8] = (255, 0, 0, 255)
    rgba[:, 8:16] = (0, 0, 255, 128)
    ok("rgba.png", _save(Image.fromarray(rgba, "RGBA"), "PNG"), (24, 16),
       ((2, 2), RED, 0), ((12, 2), (127, 127, 255), 1), ((20, 2), WHITE, 0))
    la = np.zeros((16, 16, 2), np.uint8)
    la[:, :8] = (100, 255)
    ok("la.png", _save(Image.fromarray(la, "LA"), "PNG"), (16, 16), ((2, 2), (100,) * 3, 0), ((12, 2), WHITE, 0))

    # Deeper than 8 bits: mid-grey 32768 must come out 128, not 255.
    g16 = np.full((16, 32), 32768, np.uint16)
    g16[:, 16:] = 65535
    ok("gray16.png", _save(Image.fromarray(g16), "PNG"), (32, 16), ((2, 2), (128,) * 3, 0), ((20, 2), WHITE, 0))
    ok("gray16.tiff", _save(Image.fromarray(g16), "TIFF"), (32, 16), ((2, 2), (128,) * 3, 0))
    ok("int32.tiff", _save(Image.fromarray(g16.astype(np.int32), "I"), "TIFF"), (32, 16), ((2, 2), (128,) * 3, 0))
    ok("float32.tiff", _save(Image.fromarray(np.full((16, 16), 0.5, np.float32), "F"), "TIFF"), (16, 16),
       ((2, 2), (128,) * 3, 0))
    raw16 = b"".join(b"\x00" + np.full((24, 3), (0x8000, 0x4000, 0xFFFF), ">u2").tobytes() for _ in range(24))
    ok("rgb16.png", _png(24, 24, 16, 2, zlib.compress(raw16)), (24, 24), ((2, 2), (128, 64, 255), 1))

    # EXIF orientation: the stored pixels are the upright picture turned the other way.
    for orientation, turn in ((6, Image.Transpose.ROTATE_90), (8, Image.Transpose.ROTATE_270),
                              (3, Image.Transpose.ROTATE_180)):
        stored = up.transpose(turn)
        ok(f"exif-rot{orientation}.jpg", _save(stored, "JPEG", quality=90, exif=_exif(orientation)), UPRIGHT_SIZE,
           *corners)
    ok("exif-rot6.png", _save(up.transpose(Image.Transpose.ROTATE_90), "PNG", exif=_exif(6)), UPRIGHT_SIZE,
       ((2, 2), RED, 0), ((45, 29), BLUE, 0))

    # Animations: frame 0 is red, frame 1 blue.
    ok("animated.gif", _frames("GIF"), (24, 24), ((12, 12), RED, 0))
    ok("animated.webp", _frames("WEBP", lossless=True), (24, 24), ((12, 12), RED, 0))
    ok("animated.png", _frames("PNG"), (24, 24), ((12, 12), RED, 0))

    # Sizes.
    files["tiny-1x1.png"] = (_save(Image.new("RGB", (1, 1), RED), "PNG"), "too-small")
    files["tiny-5x7.png"] = (_save(Image.new("RGB", (5, 7), RED), "PNG"), "too-small")
    files["tiny-4x64.jpg"] = (_save(Image.new("RGB", (4, 64), RED), "JPEG"), "too-small")
    ok("small-8x8.png", _save(Image.new("RGB", (8, 8), RED), "PNG"), (8, 8), ((4, 4), RED, 0))
    ok("small-16x16.png", _save(up.resize((16, 16)), "PNG"), (16, 16))
    ok("strip-4000x8.png", _save(Image.new("RGB", (4000, 8), BLUE), "PNG"), (4000, 8), ((3999, 7), BLUE, 0))
    files["too-large-9000x9000-1bit.png"] = (_blank_1bit_png(9000), "too-large")  # complete, 81 MP
    files["huge-dims-10000x10000.png"] = (_png(10000, 10000, 8, 2, zlib.compress(b"\x00" * 64)), "too-large")
    files["bomb-16000x16000-1bit.png"] = (_blank_1bit_png(16000), "decompression-bomb")  # 256 MP in ~30 KB
    files["bomb-header-60000x60000.jpg"] = (_with_jpeg_size(_save(up, "JPEG"), 60000, 60000), "decompression-bomb")

    # Broken files.
    noise = _noise(96, 96)
    for fmt, ext in (("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")):
        data = _save(noise, fmt)
        files[f"truncated.{ext}"] = (data[: len(data) // 2], "truncated")
        files[f"empty.{ext}"] = (b"", "empty")
    files["truncated-header.jpg"] = (_save(noise, "JPEG")[:20], "truncated")
    png = bytearray(_save(up, "PNG"))
    png[29] ^= 0xFF  # last byte of IHDR's CRC
    files["bad-crc.png"] = (bytes(png), "corrupt")
    files["text.jpg"] = (b"This is not an image, it is a note someone saved as .jpg\n" * 3, "not-an-image")
    files["error-page.png"] = (b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>"
                               b"<body><h1>Not Found</h1></body></html>\n", "not-an-image")
    files["random-bytes.jpg"] = (b"\x13\x37" + np.random.default_rng(7).bytes(510), "not-an-image")
    files["photo.heic"] = (struct.pack(">I", 24) + b"ftypheic" + b"\x00" * 4 + b"mif1heic" + b"\x00" * 64,
                           "unsupported-format")
    return files


@functools.lru_cache(maxsize=1)
def _corpus() -> tuple[tuple[str, bytes, str], ...]:
    return tuple((name, data, outcome) for name, (data, outcome) in sorted(_build().items()))


def expected_outcomes() -> dict[str, str]:
    """Filename -> "ok" or the expected quarantine reason, without writing anything."""
    return {name: outcome for name, _, outcome in _corpus()}


def make_bad_image_corpus(folder: Path) -> dict[str, str]:
    """Write the corpus into `folder` and return filename -> "ok" or the expected quarantine reason."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    expected = {}
    for name, data, outcome in _corpus():
        (folder / name).write_bytes(data)
        expected[name] = outcome
    return expected
