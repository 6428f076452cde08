"""Writing model outputs as PNG files, atomically, on background threads while the model works on
the next batch: the slowest step of reconstruction beside a GPU."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from fakebench.core.cache import atomic_write_bytes
from fakebench.core.imageio import encode
from fakebench.core.pixels import to_uint8_hwc


def default_writer_threads() -> int:
    """PNG writer threads: none on a small CPU (measured on 2 cores: a writer thread beside the
    model's two threads slows the model more than it saves), else up to half the cores: PNG encoding
    (about 5 ms for a 256 px image) is the slowest step of reconstruction beside a GPU."""
    from fakebench.core.workunits import available_cores

    cpus = available_cores()
    return 0 if cpus <= 2 else min(8, cpus // 2)


class PngWriter:
    """Encodes and writes images as PNG (atomically), on `threads` threads while the model works on
    the next batch (zlib and file I/O release the GIL), or inline with 0 threads. Leaving the block
    waits for every write and raises the first error, so nothing is reported done before it is on
    disk."""

    def __init__(self, threads: int | None = None, max_pending: int = 64) -> None:
        from concurrent.futures import ThreadPoolExecutor

        threads = default_writer_threads() if threads is None else threads
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="png-writer") if threads else None
        self._pending: list = []
        self._max = max_pending

    @staticmethod
    def _write(path: Path, pixels: np.ndarray) -> None:
        atomic_write_bytes(path, encode(Image.fromarray(pixels, mode="RGB"), "PNG"))

    def submit(self, path: Path, pixels: np.ndarray) -> None:
        """Queue H x W x 3 uint8 `pixels` (see `to_uint8_hwc`) for `path`."""
        if self._pool is None:
            self._write(path, pixels)
            return
        self._pending.append(self._pool.submit(self._write, path, pixels))
        if len(self._pending) > self._max:
            self._drain(keep=self._max // 2)

    def submit_batch(self, paths: list[Path], images: torch.Tensor) -> None:
        for path, pixels in zip(paths, to_uint8_hwc(images)):
            self.submit(path, pixels)

    def _drain(self, keep: int = 0) -> None:
        while len(self._pending) > keep:
            self._pending.pop(0).result()

    def __enter__(self) -> PngWriter:
        return self

    def __exit__(self, *exc) -> None:
        try:
            if exc[0] is None:
                self._drain()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
