"""Units of work: batches of images of one size, formed in a fixed order.

Batching only images of equal size keeps every pixel (no padding), and forming batches from the
image order alone, before any sharding, makes each image's batch the same in every run: scores
then do not depend on the number of ranks, DataLoader workers or what was cached before. A unit is
also the item a DataLoader worker prepares (`unit_loader`), so decoding overlaps the model."""
from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import torch
from torch.utils.data import DataLoader, Dataset

from fakebench.core.errors import FakebenchError

T = TypeVar("T")


def size_batches(items: Sequence[T], size_of: callable[[T], Hashable], batch_size: int) -> list[list[int]]:
    """Positions of `items` grouped by `size_of(item)` (groups in order of first appearance), cut
    into batches of at most `batch_size`, each batch in position order."""
    if batch_size < 1:
        raise ValueError(f"batch size must be at least 1, got {batch_size}")
    groups: dict[Hashable, list[int]] = {}
    for pos, item in enumerate(items):
        groups.setdefault(size_of(item), []).append(pos)
    return [g[s : s + batch_size] for g in groups.values() for s in range(0, len(g), batch_size)]


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def default_workers() -> int:
    """DataLoader workers for decoding, scoring and training: none on a small CPU (they would take cores
    from the model), else a few."""
    cpus = available_cores()
    return 0 if cpus <= 2 else min(8, cpus // 2)


@dataclass
class PreparedUnit:
    """One work unit, prepared: its images stacked into one N x C x H x W batch per shape (shapes in
    order of first appearance, positions in unit order; memory is channels-last), and the positions
    that failed with their reasons. One tensor per shape, not one per image, because a DataLoader
    worker hands each tensor over through its own shared-memory segment."""

    batches: list[tuple[list[int], torch.Tensor]]
    failed: list[tuple[int, str]]

    def __len__(self) -> int:
        return sum(len(p) for p, _ in self.batches) + len(self.failed)


class UnitItems(Dataset):
    """Item k = work unit k, each image made by `prepare(position)` as H x W x C (contiguous, so that
    stacking is a plain copy), in a DataLoader worker when there are workers. An image that cannot be
    prepared is reported with its reason, never dropped and never fatal."""

    def __init__(self, units: list[list[int]], prepare: Callable[[int], torch.Tensor]) -> None:
        self.units, self.prepare = units, prepare

    def __len__(self) -> int:
        return len(self.units)

    def __getitem__(self, k: int) -> PreparedUnit:
        by_shape: dict[tuple[int, ...], list[tuple[int, torch.Tensor]]] = {}
        failed = []
        for pos in self.units[k]:
            try:
                x = self.prepare(pos)
            except (FakebenchError, OSError, ValueError) as exc:
                failed.append((pos, str(exc)))
                continue
            by_shape.setdefault(tuple(x.shape), []).append((pos, x))
        return PreparedUnit([([p for p, _ in group], torch.stack([x for _, x in group]).permute(0, 3, 1, 2))
                             for group in by_shape.values()], failed)


def _as_is(item):
    return item


def unit_loader(units: list[list[int]], prepare: Callable[[int], torch.Tensor], workers: int,
                pin_memory: bool = False) -> DataLoader:
    """Units in order, each prepared image by image (decode, perturb, ...) while the model works;
    `pin_memory` (for a CUDA model) makes the batches' copies to the device faster."""
    return DataLoader(UnitItems(units, prepare), batch_size=None, num_workers=workers, collate_fn=_as_is,
                      pin_memory=pin_memory, prefetch_factor=4 if workers else None)
