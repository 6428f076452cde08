"""How a detector trains, as data: `TrainConfig`, the schedules' defaults and their JSON round trip.

Apart from the loop (`fakebench.detectors.training_loop`) so that what reads a config (a world file,
`fakebench list detectors`, a checkpoint's sidecar) imports no torch."""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from fakebench.core.errors import FakebenchError
from fakebench.core.schedules import SCHEDULES, PlateauConfig
from fakebench.detectors.augment import AugmentConfig, augment_config


@dataclass(frozen=True)
class TrainConfig:
    """Everything that shapes training but the data. Round-trips through JSON (`train_config_from`)."""

    epochs: int = 5  # cosine: the epochs; paper: the most epochs (early stopping usually ends it first)
    batch_size: int = 64  # global: images per step over all processes (pairs count as two)
    lr: float = 2e-3
    weight_decay: float = 1e-4
    seed: int = 0
    num_workers: int | None = None  # training loader workers; None: `default_workers()` (0 on 2 cores)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    pretrained: str = ""  # "", "imagenet" (fakebench.detectors.imagenet_files) or a weights file (.safetensors/.pth)
    schedule: str = "cosine"  # "cosine" or "paper"
    plateau: PlateauConfig = field(default_factory=PlateauConfig)  # the paper schedule's counters

    def workers(self) -> int:
        """Loader workers to use. They change no number (augmentation draws come from (seed, epoch, index)),
        so checkpoint keys ignore them (`for_key`); on a GPU they keep the model fed."""
        from fakebench.core.workunits import default_workers  # torch's DataLoader module: only when training

        return default_workers() if self.num_workers is None else self.num_workers

    def for_key(self) -> TrainConfig:
        """This config as checkpoint keys hash it: without the worker count, which changes no weight."""
        return replace(self, num_workers=0)

    def __post_init__(self) -> None:
        if self.schedule not in SCHEDULES:
            raise FakebenchError(f"unknown schedule {self.schedule!r}; schedules: {', '.join(SCHEDULES)}",
                                 fix=f"use --schedule {' or '.join(SCHEDULES)}")


# what each schedule changes from TrainConfig's defaults (the paper's optimiser: Adam, lr 1e-4, no decay)
SCHEDULE_DEFAULTS: dict[str, dict] = {"cosine": {}, "paper": {"lr": 1e-4, "weight_decay": 0.0, "epochs": 100}}


def train_config(schedule: str = "cosine", **overrides) -> TrainConfig:
    """A TrainConfig for a schedule, its defaults (SCHEDULE_DEFAULTS) under `overrides`."""
    if schedule not in SCHEDULE_DEFAULTS:
        raise FakebenchError(f"unknown schedule {schedule!r}; schedules: {', '.join(SCHEDULES)}",
                             fix=f"use --schedule {' or '.join(SCHEDULES)}")
    return TrainConfig(**{**SCHEDULE_DEFAULTS[schedule], **overrides, "schedule": schedule})


def train_config_from(data: dict) -> TrainConfig:
    """A TrainConfig back from a sidecar's `train_config`."""
    known = {f.name for f in fields(TrainConfig)}
    kw = {k: v for k, v in data.items() if k in known}
    if "augment" in kw:
        kw["augment"] = augment_config(kw["augment"])
    if "plateau" in kw:
        kw["plateau"] = PlateauConfig(**kw["plateau"])
    return TrainConfig(**kw)
