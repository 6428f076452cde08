"""Devices, dtypes and a batch size that shrinks on out-of-memory.

Real generators run wherever the user has an accelerator; these helpers turn the user's words
("auto", "cuda:1", "bf16") into torch objects or into a one-line `FakebenchError`, and keep a long
run alive when a batch does not fit by halving it instead of crashing.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import torch

from fakebench.core.errors import FakebenchError, first_line

log = logging.getLogger(__name__)

DTYPES: dict[str, torch.dtype] = {
    "fp32": torch.float32, "float32": torch.float32,
    "fp16": torch.float16, "float16": torch.float16, "half": torch.float16,
    "bf16": torch.bfloat16, "bfloat16": torch.bfloat16,
}
DTYPE_NAMES: dict[torch.dtype, str] = {torch.float32: "fp32", torch.float16: "fp16", torch.bfloat16: "bf16"}

# torch >= 2.5 exposes torch.OutOfMemoryError; older versions only the CUDA one.
_OOM_TYPES: tuple[type[BaseException], ...] = tuple(
    {getattr(torch, "OutOfMemoryError", None), getattr(torch.cuda, "OutOfMemoryError", None)} - {None}
)


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps and mps.is_available())


def resolve_device(name: str | torch.device = "auto") -> torch.device:
    """"auto" (cuda > mps > cpu), "cpu", "cuda", "cuda:N", "mps" -> a device that exists here."""
    if isinstance(name, torch.device):
        name = str(name)
    text = (name or "auto").strip().lower()
    if text == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    try:
        device = torch.device(text)
    except (RuntimeError, ValueError):
        raise FakebenchError(f"unknown device {name!r}",
                             fix="use auto, cpu, cuda, cuda:N or mps") from None
    if device.type == "cpu":
        return device
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise FakebenchError(f"device {name!r} is not available: torch sees no CUDA GPU here",
                                 fix="use --device cpu (or auto), or install a CUDA build of torch")
        if device.index is not None and device.index >= count:
            raise FakebenchError(f"device {name!r} is not available: this machine has {count} CUDA device(s)",
                                 fix=f"use cuda:0 .. cuda:{count - 1}, or auto")
        return device
    if device.type == "mps":
        if not _mps_available():
            raise FakebenchError(f"device {name!r} is not available: torch has no MPS backend here",
                                 fix="use --device cpu (or auto)")
        return device
    backend = getattr(torch, device.type, None)
    if backend is not None and hasattr(backend, "is_available") and backend.is_available():
        return device
    raise FakebenchError(f"device {name!r} is not available here", fix="use auto, cpu, cuda, cuda:N or mps")


def resolve_dtype(name: str | torch.dtype = "fp32", device: str | torch.device = "cpu") -> torch.dtype:
    """"fp32" | "fp16" | "bf16" -> torch dtype. fp16 on CPU is refused, not silently slow or broken:
    many CPU kernels lack half precision, so a run would crash midway or crawl."""
    if isinstance(name, torch.dtype):
        dtype = name
        if dtype not in DTYPE_NAMES:
            raise FakebenchError(f"unsupported dtype {dtype}", fix="use fp32, fp16 or bf16")
    else:
        key = str(name).strip().lower().removeprefix("torch.")
        if key not in DTYPES:
            raise FakebenchError(f"unknown dtype {name!r}", fix="use fp32, fp16 or bf16")
        dtype = DTYPES[key]
    if dtype == torch.float16 and torch.device(device).type == "cpu":
        raise FakebenchError("fp16 is not supported on CPU (half-precision kernels are missing or very slow there)",
                             fix="use --dtype bf16 or fp32 on CPU, or fp16 on a GPU")
    return dtype


def is_out_of_memory(exc: BaseException) -> bool:
    """CUDA's OutOfMemoryError, or the RuntimeError MPS (and some CPU allocators) raise instead."""
    if _OOM_TYPES and isinstance(exc, _OOM_TYPES):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def free_memory(device: str | torch.device | None = None) -> None:
    """Return cached blocks to the driver after an out-of-memory, so the smaller retry can fit."""
    kind = torch.device(device).type if device is not None else None
    if kind in (None, "cuda") and torch.cuda.is_available():
        torch.cuda.empty_cache()
    if kind in (None, "mps") and _mps_available():
        torch.mps.empty_cache()


@dataclass
class AdaptiveBatch:
    """A batch size that halves on out-of-memory and remembers it, so later calls start small.

    `size` is the current batch size; `what` names the work in log lines and errors.
    """

    size: int
    what: str = "batch"
    device: str | torch.device | None = None

    def __post_init__(self) -> None:
        if self.size < 1:
            raise FakebenchError(f"batch size must be at least 1, got {self.size}", fix="pass --batch-size 1 or more")

    def run(self, fn: Callable[[int, int], torch.Tensor], n: int) -> torch.Tensor:
        """fn(start, stop) on consecutive slices of range(n); results concatenated along dim 0.

        On out-of-memory the slice is retried at half the size (down to 1); the new size is logged
        once, when it first works, and kept for later calls."""
        parts: list[torch.Tensor] = []
        start, shrunk_from = 0, None
        while start < n:
            stop = min(n, start + self.size)
            try:
                parts.append(fn(start, stop))
            except Exception as exc:
                if not is_out_of_memory(exc):
                    raise
                message = first_line(exc)
            else:
                if shrunk_from is not None:
                    log.warning("out of memory in %s at batch size %d; continuing with batch size %d",
                                self.what, shrunk_from, self.size)
                    shrunk_from = None
                start = stop
                continue
            # outside the except block, so the exception's frames (and their tensors) can be freed
            shrunk_from = shrunk_from or (stop - start)
            self._shrink(stop - start, message)
        if not parts:
            return torch.empty(0)
        return parts[0] if len(parts) == 1 else torch.cat(parts)

    def _shrink(self, tried: int, message: str) -> None:
        free_memory(self.device)
        if tried <= 1:
            where = f" on {self.device}" if self.device is not None else ""
            raise FakebenchError(f"out of memory{where} even at batch size 1 ({self.what}): {message}",
                                 fix="use a smaller image size, --dtype bf16/fp16, autoencoder tiling, "
                                     "or a device with more memory")
        self.size = max(1, tried // 2)




def run_in_batches(fn: Callable[[int, int], torch.Tensor], n: int, batch_size: int, *,
                   what: str = "batch", device: str | torch.device | None = None) -> torch.Tensor:
    """One-shot form of `AdaptiveBatch(batch_size, what, device).run(fn, n)`."""
    return AdaptiveBatch(batch_size, what, device).run(fn, n)
