"""The checkpoint where a generator's images enter the project: what `generate_indices()` or
`reconstruct()` returned, checked against what was asked, before anything is written.

A batch must be a float tensor N x 3 x H x W with one image per index asked (for a reconstruction,
exactly the input's shape); anything else (a list, uint8 pixels, N x H x W x 3, one image short)
fails the whole batch. Within a well-formed batch each image is checked on its own: NaN or infinite
pixels, or pixels outside [0, 1] (beyond half a uint8 step, which rounds away), fail that image
alone. A failed image is never written as a PNG and its set is never cached, so the next run asks
the generator again."""
from __future__ import annotations

from collections.abc import Callable

import torch

from fakebench.core.errors import first_line

RANGE_SLACK = 0.5 / 255  # pixels this far outside [0, 1] round to 0 or 255 anyway


def _batch_problem(out: object, shape: tuple[int, ...] | None, n: int, what: str) -> str:
    """Why the whole batch is unusable, or ""."""
    if not isinstance(out, torch.Tensor):
        return f"{what} returned a {type(out).__name__} for {n} images, not an N x 3 x H x W float tensor"
    if not out.is_floating_point():
        return f"{what} returned {str(out.dtype).removeprefix('torch.')} pixels, not floats in [0, 1]"
    if shape is not None and tuple(out.shape) != shape:
        return f"{what} returned shape {tuple(out.shape)} for an input of shape {shape}"
    if out.ndim != 4 or out.shape[1] != 3 or 0 in out.shape[2:]:
        return f"{what} returned shape {tuple(out.shape)}, not N x 3 x H x W"
    if out.shape[0] != n:
        return f"{what} returned {out.shape[0]} images for {n} asked"
    return ""


def _image_problems(out: torch.Tensor, what: str) -> dict[int, str]:
    """Batch position -> why that image is unusable, for the images that are (one transfer from the device)."""
    flat = out.flatten(1)
    finite = flat.isfinite().all(dim=1).cpu().tolist()
    lo, hi = flat.amin(dim=1).cpu().tolist(), flat.amax(dim=1).cpu().tolist()
    problems = {}
    for i, (ok, a, b) in enumerate(zip(finite, lo, hi)):
        if not ok:
            problems[i] = f"{what} returned NaN or infinite pixels"
        elif a < -RANGE_SLACK or b > 1 + RANGE_SLACK:
            problems[i] = f"{what} returned pixels in [{a:.3g}, {b:.3g}], outside [0, 1]"
    return problems


def checked_images(call: Callable[[], torch.Tensor], n: int, what: str,
                   shape: tuple[int, ...] | None = None) -> tuple[torch.Tensor | None, dict[int, str]]:
    """Run `call` (a generator's batch of `n` images) and check its output: (the images, or None when
    the whole batch failed; batch position -> reason for each failed image). An exception fails the
    batch with its type and first line. `shape`: the exact shape asked (a reconstruction's input)."""
    try:
        out = call()
    except Exception as exc:  # a plugin's bug, whatever its type: it costs this batch, never the run
        return None, dict.fromkeys(range(n), f"{what} raised {type(exc).__name__}: {first_line(exc)}")
    problem = _batch_problem(out, shape, n, what)
    if problem:
        return None, dict.fromkeys(range(n), problem)
    out = out.detach()
    return out, _image_problems(out, what)
