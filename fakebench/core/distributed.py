"""torch.distributed for `torchrun`: which rank this is, which work units are its own, and how the
ranks meet. One process without torchrun is rank 0 of 1, so every code path is the same.

Work is sharded by *unit* (a batch of images formed in image-id order, see `fakebench.core.workunits`),
unit i going to rank i % world_size. A unit is computed the same way whatever the number of ranks, so a
2-process run writes the same scores as a 1-process run.

torch is imported by `init` alone: a process group exists only after it, so a process that never
imported torch.distributed is rank 0 of 1, and commands that run no model (`fakebench audit`, `list`,
`--help`) never load torch through the modules that ask which rank they are."""
from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from fakebench.core.errors import FakebenchError

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)
T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class Rank:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def _group():
    """torch.distributed when this process imported it (the only way a group can exist), else None."""
    return sys.modules.get("torch.distributed")


def init(device: str | torch.device = "cpu") -> Rank:
    """Join the process group torchrun set up (gloo on CPU, nccl on CUDA); a no-op without torchrun."""
    if not launched_by_torchrun():
        return current()
    import torch
    import torch.distributed as dist

    if not dist.is_initialized():
        cuda = torch.device(device).type == "cuda"
        backend = os.environ.get("FAKEBENCH_DIST_BACKEND") or ("nccl" if cuda else "gloo")
        if cuda:
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        try:
            dist.init_process_group(backend=backend)
        except (RuntimeError, ValueError) as exc:
            raise FakebenchError(f"cannot join the torchrun process group ({backend}): {exc}",
                                 fix="launch with torchrun and check MASTER_ADDR/MASTER_PORT") from None
        log.info("rank %d of %d joined (%s)", dist.get_rank(), dist.get_world_size(), backend)
    return current()


def current() -> Rank:
    dist = _group()
    if dist is not None and dist.is_available() and dist.is_initialized():
        return Rank(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))
    return Rank()


def shard(units: Sequence[T], rank: Rank | None = None) -> list[tuple[int, T]]:
    """(index, unit) pairs this rank owns: unit i belongs to rank i % world."""
    rank = rank or current()
    return [(i, u) for i, u in enumerate(units) if i % rank.world_size == rank.rank]


def barrier() -> None:
    if current().distributed:
        _group().barrier()


def all_gather(obj: Any) -> list[Any]:
    """Every rank's `obj`, in rank order (just `[obj]` without torchrun)."""
    rank = current()
    if not rank.distributed:
        return [obj]
    out: list[Any] = [None] * rank.world_size
    _group().all_gather_object(out, obj)
    return out


def gather_merged(part: dict[K, V]) -> dict[K, V]:
    """Every rank's share of a keyed result, merged into one dict on every rank (each key is owned by
    exactly one rank, so merging never overwrites)."""
    merged: dict[K, V] = {}
    for other in all_gather(part):
        merged.update(other)
    return merged


def shutdown() -> None:
    dist = _group()
    if dist is not None and dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
