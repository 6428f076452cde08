"""Decoded images kept in memory, so that a set scored under twenty perturbations, or read once per
training epoch, is decoded once per process rather than once per read.

A hit needs the same path, manifest sha256, size and modification time: a file rewritten since it was
decoded is decoded (and verified) again, so a changed file is still refused. The cache is bounded in
bytes and forgets the least recently used image first; callers get a copy, never the cached object.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from PIL import Image

DEFAULT_BYTES = 512 * 2**20  # the whole mini world (about 9,000 images of 64-128 px) fits in about 250 MB
BYTES_ENV = "FAKEBENCH_DECODED_CACHE_MB"  # 0 turns the cache off


def _nbytes(image: Image.Image) -> int:
    return image.width * image.height * len(image.getbands())


def _budget() -> int:
    value = os.environ.get(BYTES_ENV)
    return DEFAULT_BYTES if value is None else max(0, int(float(value) * 2**20))


class DecodedImages:
    """A byte-bounded LRU of decoded RGB images, keyed by file identity."""

    def __init__(self, max_bytes: int | None = None) -> None:
        self.max_bytes = _budget() if max_bytes is None else max_bytes
        self._images: OrderedDict[tuple, Image.Image] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, path: Path, sha256: str, decode: Callable[[Path, str], Image.Image]) -> Image.Image:
        """`decode(path, sha256)`, or a copy of the image it returned for this very file before."""
        if self.max_bytes <= 0:
            return decode(path, sha256)
        try:
            st = os.stat(path)
        except OSError:
            return decode(path, sha256)  # missing or unreadable: the decoder says which
        key = (str(path), sha256, st.st_size, st.st_mtime_ns)
        with self._lock:
            cached = self._images.get(key)
            if cached is not None:
                self._images.move_to_end(key)
                self.hits += 1
                return cached.copy()
            self.misses += 1
        image = decode(path, sha256)
        size = _nbytes(image)
        if size <= self.max_bytes:
            with self._lock:
                if key not in self._images:
                    self._images[key] = image.copy()
                    self._bytes += size
                while self._bytes > self.max_bytes:
                    _, old = self._images.popitem(last=False)
                    self._bytes -= _nbytes(old)
        return image


DECODED = DecodedImages()
