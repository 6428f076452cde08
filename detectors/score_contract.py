"""The one checkpoint where scores enter the project: what a detector's `score()` returned, checked
against what it was asked, one (score, error) per image.

A batch's output must be a 1-D float tensor (or NumPy array) with one score per image. Anything else
(a list, integers, N x 2 logits, 63 scores for 64 images) fails the whole batch, because which score
belongs to which image is then a guess. Within a well-formed batch each score is checked on its own:
NaN, an infinity or a probability outside [0, 1] fails that image alone, with a reason for the store's
`error` column. A detector that declares `score_kind = "logit"` may return any finite real; it is
mapped through the sigmoid here, once, so every score past this point is a probability in [0, 1].

Every reason this module writes starts with "score" (`is_score_failure`), which tells a failure of
the detector apart from an image that could not be decoded: the former is never cached."""
from __future__ import annotations

import math

import numpy as np
import torch

from fakebench.core.errors import first_line

SCORE_KINDS = ("probability", "logit")
PROBABILITY, LOGIT = SCORE_KINDS

ScoredImage = tuple[float, str]  # (score, error): a NaN score with a reason, or a score and ""


def is_score_failure(error: str) -> bool:
    """Whether a row's error was written by this checkpoint (the detector misbehaved), rather than by
    reading the image."""
    return error.startswith(("score ", "score()"))


def raised(exc: BaseException) -> str:
    """The reason for images whose `score()` call raised: the exception's type and first line."""
    return f"score() raised {type(exc).__name__}: {first_line(exc)}"


def _as_array(raw: object, n: int) -> np.ndarray | str:
    """The output as float64 values, or the reason the whole batch fails."""
    if isinstance(raw, torch.Tensor):
        if not (raw.is_floating_point()):
            return f"score() returned {str(raw.dtype).removeprefix('torch.')} scores for {n} images, not floats"
        shape = tuple(raw.shape)
        values = None
    elif isinstance(raw, np.ndarray):
        if raw.dtype.kind != "f":
            return f"score() returned {raw.dtype} scores for {n} images, not floats"
        shape = raw.shape
        values = raw
    else:
        return f"score() returned a {type(raw).__name__} for {n} images, not a 1-D float tensor"
    if len(shape) != 1:
        return f"score() returned shape {shape} for {n} images, not ({n},)"
    if shape[0] != n:
        return f"score() returned {shape[0]} scores for {n} images"
    if values is None:  # float32 -> float64 is exact: the scores are the detector's own bits
        values = raw.detach().to("cpu", torch.float64).numpy()
    return values.astype(np.float64, copy=False)


def _why(value: float, kind: str) -> str:
    if math.isnan(value):
        return "score is NaN"
    if math.isinf(value):
        return f"score is {'+' if value > 0 else '-'}inf"
    if kind == PROBABILITY and not 0.0 <= value <= 1.0:
        return f"score {value:.4g} outside [0, 1] (a detector returning logits declares score_kind = 'logit')"
    return ""


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function in float64, without overflow warnings for large |x|."""
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def accept_scores(raw: object, n: int, kind: str = PROBABILITY) -> list[ScoredImage]:
    """`score()`'s output for a batch of `n` images -> one (probability, "") or (NaN, reason) per image."""
    values = _as_array(raw, n)
    if isinstance(values, str):
        return [(math.nan, values)] * n
    reasons = [_why(float(v), kind) for v in values]
    if kind == LOGIT:
        values = sigmoid(np.where(np.isfinite(values), values, 0.0))
    return [(math.nan, why) if why else (float(v), "") for v, why in zip(values, reasons)]
