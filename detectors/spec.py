"""A detector as the benchmark names it: registry name and factory kwargs, the recipe that trains it,
the generator it trains on, and where its training reals come from."""
from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, replace

from fakebench.core.errors import FakebenchError
from fakebench.data.procedural import PREFIX as PROCEDURAL_PREFIX
from fakebench.detectors.augment import with_webp
from fakebench.detectors.registry import DETECTORS, create_detector
from fakebench.detectors.train_config import TrainConfig

WEBP = "webp"  # the one augmentation change a spec can name


def _freeze(value: object) -> object:
    return tuple(_freeze(v) for v in value) if isinstance(value, (list, tuple)) else value


def frozen_kwargs(kwargs: Mapping[str, object] | None) -> tuple[tuple[str, object], ...]:
    """Factory arguments sorted, with lists frozen into tuples, so equal arguments make equal, hashable specs."""
    return tuple(sorted((k, _freeze(v)) for k, v in (kwargs or {}).items()))


@dataclass(frozen=True)
class DetectorSpec:
    """A detector by registry name and factory kwargs, trained by a recipe (empty: used as it comes).
    `reals` names the training reals when they are not the world's photos: `procedural:N` (the
    paper's shader experiment; its label reads `<recipe>-shader-<detector>`). `augment` names a change to
    the world's training augmentation: `webp` adds WebP to it (the paper's suggested mitigation of its
    WebP limit, claim C7; label `<recipe>-webp-<detector>`)."""

    detector: str
    recipe: str
    generator: str
    kwargs: tuple[tuple[str, object], ...] = ()
    reals: str = ""  # "" : the world's photo corpus (or the folder a job passes)
    augment: str = ""  # "" : the world's training augmentation; "webp": the same with WebP added

    @classmethod
    def of(cls, detector: str, recipe: str = "", generator: str = "", kwargs: Mapping[str, object] | None = None,
           reals: str = "", augment: str = "") -> DetectorSpec:
        """A spec from plain factory arguments (as a sidecar, a command line or a world file gives them)."""
        return cls(detector, recipe, generator, frozen_kwargs(kwargs), reals, augment)

    @property
    def procedural(self) -> bool:
        return self.reals.startswith(PROCEDURAL_PREFIX)

    @property
    def label(self) -> str:
        return self.label_of(self.detector, self.recipe, self.procedural, self.augment)

    @staticmethod
    def label_of(detector: str, recipe: str = "", procedural: bool = False, augment: str = "") -> str:
        """The one place a detector's label is formatted: `<detector>` as it comes, `<recipe>-<detector>`
        trained, `<recipe>-shader-<detector>` trained on procedural reals, `<recipe>-<augment>-<detector>`
        trained with an augmentation change (`webp`). Code that names a detector by its parts (the claims'
        roles, a left-out plugin's labels) asks here."""
        if not recipe:
            return detector
        return "-".join(p for p in (recipe, "shader" if procedural else "", augment, detector) if p)

    def train_config(self, world: TrainConfig) -> TrainConfig:
        """The training config for this spec: the world's, with its augmentation changed as `augment` says."""
        if not self.augment:
            return world
        if self.augment != WEBP:
            raise FakebenchError(f"detector {self.label!r} names augmentation change {self.augment!r}",
                                 fix=f"use augment={WEBP!r} or none")
        return replace(world, augment=with_webp(world.augment))


@functools.cache
def is_trainable(name: str, kwargs: tuple[tuple[str, object], ...] = ()) -> bool:
    """Whether the recipes can train this detector (it implements `Trainable`): a built-in says so in its
    catalog entry (fakebench.detectors.catalog; a test holds it to what the factory builds), so naming one
    builds nothing; any other is built once to see (so torch is imported here, not where a spec is named)."""
    declared = DETECTORS.info(name)
    if declared is not None:
        return declared.trainable
    from fakebench.detectors.trainable import Trainable

    return isinstance(create_detector(name, **dict(kwargs)), Trainable)
