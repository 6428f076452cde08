"""Units of work: batches of images of one size, formed in a fixed order.

Batching only images of equal size keeps every pixel (no padding), and forming batches from the
image order alone, before any sharding, makes each image's batch the same in every run: scores
then do not depend on the number of ranks, DataLoader workers or what was cached before."""
from __future__ import annotations

from typing import Hashable, Sequence, TypeVar

T = TypeVar("T")


def size_batches(items: Sequence[T], size_of: "callable[[T], Hashable]", batch_size: int) -> list[list[int]]:
    """Positions of `items` grouped by `size_of(item)` (groups in order of first appearance), cut
    into batches of at most `batch_size`, each batch in position order."""
    if batch_size < 1:
        raise ValueError(f"batch size must be at least 1, got {batch_size}")
    groups: dict[Hashable, list[int]] = {}
    for pos, item in enumerate(items):
        groups.setdefault(size_of(item), []).append(pos)
    return [g[s : s + batch_size] for g in groups.values() for s in range(0, len(g), batch_size)]
