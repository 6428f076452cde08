"""Learning-rate schedules shared by every training loop in the project: `cosine` (linear warm-up,
then cosine decay over a fixed number of steps) and `paper` (plateau: validate every epoch, divide
the rate by 10 on a plateau, stop when it gets too small, keep the best epoch)."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace


def warmup_cosine(step: int, total: int, warmup: int) -> float:
    """LR multiplier: linear warm-up over `warmup` steps, then cosine decay to 0 at `total`.
    Well defined for any `total` >= 1 (tiny smoke-test runs included)."""
    warmup = min(warmup, max(0, total - 1))
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


SCHEDULES = ("cosine", "paper")


@dataclass(frozen=True)
class PlateauConfig:
    """The paper's schedule (AniSundar18/AlignedForensics, `--earlystop_epoch 10`): validate every
    epoch; after `patience` epochs without a gain above `delta`, divide the learning rate by 10 and
    start counting again; stop once it would fall below `min_lr` (or after the epoch budget)."""

    patience: int = 10
    factor: float = 0.1
    min_lr: float = 1e-6
    delta: float = 0.001


@dataclass(frozen=True)
class PlateauState:
    """Where a plateau schedule stands after some epochs: saved with the training state, so a killed
    run resumes with the same best epoch, counters and learning rate."""

    lr: float
    best_score: float = -math.inf
    best_epoch: int = -1
    since_best: int = 0  # epochs without improvement since the best or the last drop
    drops: int = 0
    stopped: str = ""  # why training stopped ("" while it goes on)

    def step(self, epoch: int, score: float, cfg: PlateauConfig) -> PlateauState:
        """The state after validating `epoch` with `score` (higher is better)."""
        if score > self.best_score + cfg.delta or self.best_epoch < 0:
            return replace(self, best_score=score, best_epoch=epoch, since_best=0)
        since = self.since_best + 1
        if since < cfg.patience:
            return replace(self, since_best=since)
        lr = self.lr * cfg.factor
        if lr < cfg.min_lr * (1 - 1e-9):  # 1e-4 / 10 / 10 is 1e-6, not below it
            return replace(self, since_best=since, stopped=f"learning rate would fall to {lr:.1e} < {cfg.min_lr:.0e} "
                                                           f"after {since} epochs without improvement")
        return replace(self, lr=lr, since_best=0, drops=self.drops + 1)

