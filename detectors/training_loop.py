"""The SGD loop every network detector trains through, under a schedule:

- `cosine`: AdamW, linear warm-up then cosine decay over a fixed number of epochs (the fast recipe).
- `paper`: the paper's (AniSundar18/AlignedForensics): BCE, Adam lr 1e-4, balanced accuracy on the
  validation sets after every epoch, lr / 10 after `patience` epochs without improvement, stop when it
  would fall below 1e-6 (or after `epochs`), and keep the best epoch's weights.

After each epoch the state (weights, optimiser, scheduler, and for `paper` the plateau counters and the
best weights so far) goes to `state_path`, from which a killed run resumes and ends the same.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Protocol

import torch
from torch import nn
from tqdm.auto import tqdm

from fakebench.core import distributed
from fakebench.core.cache import atomic_path
from fakebench.core.errors import FakebenchError
from fakebench.core.execution import nhwc
from fakebench.core.schedules import PlateauState, warmup_cosine
from fakebench.detectors.base import InputPolicy
from fakebench.detectors.batches import training_loader
from fakebench.detectors.recipes import TrainingData
from fakebench.detectors.train_config import (  # noqa: F401  (the loop's config, named here too)
    SCHEDULE_DEFAULTS,
    PlateauConfig,
    TrainConfig,
    train_config,
    train_config_from,
)
from fakebench.detectors.validation import validate

log = logging.getLogger(__name__)


class SGDTrainable(Protocol):
    """What the loop needs of a detector: its logit network, its input policy (whose `prepare` the loader
    runs) and its input normalisation."""

    network: nn.Module
    policy: InputPolicy

    def normalize(self, images: torch.Tensor) -> torch.Tensor: ...

    def train(self, mode: bool = True) -> nn.Module: ...


@dataclass
class LoopOutcome:
    """What happened in training, for the checkpoint sidecar."""

    epochs_run: int = 0
    best_epoch: int = -1
    best_bal_acc: float = float("nan")
    final_lr: float = 0.0
    stopped: str = ""
    history: list[float] = field(default_factory=list)  # validation balanced accuracy per epoch (paper)


def _save_state(path: Path, state: dict) -> None:
    """The state after an epoch, written atomically by rank 0: a killed run resumes from it."""
    if distributed.current().is_main:
        with atomic_path(path) as tmp:
            torch.save(state, tmp)
    distributed.barrier()


def _load_state(path: Path | None) -> dict | None:
    """The last saved state (tensors and numbers only: weights_only), or None to start afresh."""
    if path is None or not path.is_file():
        return None
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated or foreign file: start afresh rather than trust it
        log.warning("ignoring training state %s (%s); training from the start", path, exc)
        return None


def _copy_weights(network: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in network.state_dict().items()}


def fit_network(detector: SGDTrainable, data: TrainingData, cfg: TrainConfig, desc: str = "train",
                state_path: Path | None = None) -> LoopOutcome:
    """Train a network detector in place with BCE on the recipe's augmented sets, under `cfg.schedule`.

    Under torchrun this is DDP: each rank takes its share of every global batch (DistributedSampler over
    images, or over pairs for paired data, seeded per epoch), so the global batches are those of one
    process. Validation (paper schedule) runs on every rank and gives every rank the same decision."""
    rank = distributed.current()
    torch.manual_seed(cfg.seed)
    dataset, sampler, loader = training_loader(data, cfg.augment, cfg.seed, cfg.batch_size, rank.world_size, rank.rank,
                                               cfg.workers(), policy=detector.policy)
    if len(loader) == 0:
        raise FakebenchError(f"{len(dataset)} training {'pairs' if data.paired else 'images'} make no batch of "
                             f"{cfg.batch_size}", fix="lower --batch-size or add images")
    paper = cfg.schedule == "paper"
    steps = cfg.epochs * len(loader)
    network = detector.network
    if paper:
        opt = torch.optim.Adam(network.parameters(), lr=cfg.lr, betas=(0.9, 0.999), weight_decay=cfg.weight_decay)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0)  # the plateau state sets the rate
    else:
        opt = torch.optim.AdamW(network.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: warmup_cosine(step, steps, warmup=steps // 10))
    plateau, best, outcome, start = PlateauState(lr=cfg.lr), None, LoopOutcome(), 0
    saved = _load_state(state_path)
    if saved is not None:
        network.load_state_dict(saved["network"])
        opt.load_state_dict(saved["optimizer"])
        sched.load_state_dict(saved["scheduler"])
        plateau = PlateauState(**saved.get("plateau", {"lr": cfg.lr}))
        best = saved.get("best")
        outcome = LoopOutcome(**saved.get("outcome", {}))
        start = int(saved["epoch"]) + 1
        log.info("resuming training from %s after epoch %d", state_path, start)
    model = torch.nn.parallel.DistributedDataParallel(network) if rank.distributed else network
    loss_fn = torch.nn.BCEWithLogitsLoss()
    device = next(network.parameters()).device
    bar = tqdm(total=steps, initial=start * len(loader), desc=desc, leave=False, delay=0.5, disable=not rank.is_main)
    for epoch in range(start, cfg.epochs):
        if plateau.stopped:
            break
        dataset.epoch = epoch
        sampler.set_epoch(epoch)
        for group in opt.param_groups if paper else ():
            group["lr"] = plateau.lr
        detector.train()
        for x, y in loader:
            loss = loss_fn(model(detector.normalize(nhwc(x.to(device)))), y.to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            bar.update(1)
            bar.set_postfix(epoch=epoch, loss=f"{loss.item():.3f}")
        outcome.epochs_run = epoch + 1
        if paper:
            score = validate(detector, data)["bal_acc"]
            plateau = plateau.step(epoch, score, cfg.plateau)
            outcome.history.append(score)
            if plateau.best_epoch == epoch:
                best = _copy_weights(network)
            log.info("%s: epoch %d validation balanced accuracy %.4f (best %.4f at epoch %d, lr %.1e)%s", desc,
                     epoch, score, plateau.best_score, plateau.best_epoch, plateau.lr,
                     f"; stopping: {plateau.stopped}" if plateau.stopped else "")
        if state_path is not None:
            _save_state(state_path, {"epoch": epoch, "network": network.state_dict(), "optimizer": opt.state_dict(),
                                     "scheduler": sched.state_dict(), "plateau": asdict(plateau), "best": best,
                                     "outcome": asdict(outcome)})
    bar.close()
    if paper and best is not None:
        network.load_state_dict(best)  # keep the best epoch, as the paper does
        outcome = replace(outcome, best_epoch=plateau.best_epoch, best_bal_acc=plateau.best_score)
    outcome = replace(outcome, final_lr=plateau.lr if paper else float(sched.get_last_lr()[0]),
                      stopped=plateau.stopped or f"{outcome.epochs_run} epochs")
    return outcome
