"""Learning-rate schedules shared by every training loop in the project."""
from __future__ import annotations

import math


def warmup_cosine(step: int, total: int, warmup: int) -> float:
    """LR multiplier: linear warm-up over `warmup` steps, then cosine decay to 0 at `total`.
    Well defined for any `total` >= 1 (tiny smoke-test runs included)."""
    warmup = min(warmup, max(0, total - 1))
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))
