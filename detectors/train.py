"""Training a detector by a recipe: `baseline` (reals vs generated fakes) or `aligned` (reals vs
their reconstructions by the generator's autoencoder). Everything else is shared: backbone,
augmentations, schedule and seed, so the dataset is the only variable."""
from __future__ import annotations

import functools
import logging
import platform
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

import fakebench
from detectors.augment import AugmentConfig, augment
from detectors.base import Detector
from detectors.registry import create_detector
from detectors.trainable import CheckpointInfo, NetworkDetector, Trainable, sidecar_path
from fakebench.cache import artifact_dir, stable_hash
from fakebench.errors import FakebenchError
from fakebench.imageio import load_rgb, pil_to_tensor
from fakebench.schedules import warmup_cosine
from generators.base import Generator
from generators.corpus import CorpusConfig
from generators.imagesets import ImageSet, generated_set, real_split, reconstructed_set

log = logging.getLogger(__name__)

RECIPES = ("baseline", "aligned")


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 5
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    seed: int = 0
    num_workers: int = 0
    augment: AugmentConfig = field(default_factory=AugmentConfig)


@dataclass(frozen=True)
class TrainingData:
    real: ImageSet
    fake: ImageSet
    val_real: ImageSet
    val_fake: ImageSet

    def hashes(self) -> dict[str, str]:
        return {f"{role}:{s.name}": s.content_hash for role, s in
                (("train_real", self.real), ("train_fake", self.fake), ("val_real", self.val_real),
                 ("val_fake", self.val_fake))}


def training_data(recipe: str, generator: Generator, corpus: CorpusConfig, seed: int) -> TrainingData:
    """The recipe's sets. Only the fakes differ: reconstructions (aligned) or generations (baseline)."""
    real, val_real = real_split("train", corpus), real_split("val", corpus)
    if recipe == "aligned":
        if not generator.can_reconstruct:
            raise FakebenchError(f"generator {generator.info.name!r} has no autoencoder to reconstruct with, so the "
                                 "aligned recipe does not apply to it", fix="use the baseline recipe")
        return TrainingData(real, reconstructed_set(generator, real), val_real, reconstructed_set(generator, val_real))
    if recipe == "baseline":
        if not generator.can_generate:
            raise FakebenchError(f"generator {generator.info.name!r} cannot generate images, so the baseline recipe "
                                 "has no fakes to train on", fix="use the aligned recipe (it needs only reconstruct)")
        # fake seeds are offset from the test fakes' seeds (see benchmark) so no image is shared
        return TrainingData(real, generated_set(generator, len(real), seed=10_000 + seed), val_real,
                            generated_set(generator, len(val_real), seed=20_000 + seed))
    raise FakebenchError(f"unknown recipe {recipe!r}; known recipes: {', '.join(RECIPES)}", fix="use baseline or aligned")


class LabeledImages(Dataset):
    """Reals (label 0) and fakes (label 1), augmented with per-(seed, epoch, index) randomness."""

    def __init__(self, sets: list[ImageSet], cfg: AugmentConfig, seed: int) -> None:
        self.items = [(s.path(r), s.label) for s in sets for r in s.records]
        self.cfg, self.seed, self.epoch = cfg, seed, 0

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int):
        path, label = self.items[i]
        rng = np.random.default_rng([self.seed, self.epoch, i])
        return pil_to_tensor(augment(load_rgb(path), self.cfg, rng)), torch.tensor(float(label))


def fit_network(detector: NetworkDetector, data: TrainingData, cfg: TrainConfig, desc: str = "train") -> None:
    """Train a network detector in place: AdamW, warm-up cosine, BCE on the recipe's augmented sets."""
    torch.manual_seed(cfg.seed)
    dataset = LabeledImages([data.real, data.fake], cfg.augment, cfg.seed)
    loader = DataLoader(dataset, batch_size=cfg.batch_size, num_workers=cfg.num_workers, drop_last=True,
                        generator=torch.Generator().manual_seed(cfg.seed), shuffle=True,
                        persistent_workers=False)
    steps = cfg.epochs * len(loader)
    opt = torch.optim.AdamW(detector.network.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: warmup_cosine(step, steps, warmup=steps // 10))
    loss_fn = torch.nn.BCEWithLogitsLoss()
    device = next(detector.network.parameters()).device
    bar = tqdm(total=steps, desc=desc, leave=False, delay=0.5)
    for epoch in range(cfg.epochs):
        dataset.epoch = epoch
        detector.train()
        for x, y in loader:
            loss = loss_fn(detector.logits(x.to(device)), y.to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            bar.update(1)
            bar.set_postfix(epoch=epoch, loss=f"{loss.item():.3f}")
    bar.close()


def validate(detector: Detector, data: TrainingData) -> dict[str, float]:
    from benchmark.scoring import score_images  # scoring owns the input-policy batching
    from leaderboard.metrics import case_metrics

    reals = score_images(detector, data.val_real)
    fakes = score_images(detector, data.val_fake)
    m = case_metrics([0] * len(reals) + [1] * len(fakes), list(reals["score"]) + list(fakes["score"]))
    return {"bal_acc": m.bal_acc, "auc": m.auc, "real_acc": m.real_acc, "fake_acc": m.fake_acc}


@dataclass(frozen=True)
class DetectorSpec:
    """A detector by registry name and factory kwargs, trained by a recipe (empty: used as it comes)."""

    detector: str
    recipe: str
    generator: str
    kwargs: tuple[tuple[str, object], ...] = ()

    @property
    def label(self) -> str:
        return f"{self.recipe}-{self.detector}" if self.recipe else self.detector


@functools.lru_cache(maxsize=None)
def is_trainable(name: str, kwargs: tuple[tuple[str, object], ...] = ()) -> bool:
    """Whether the recipes can train this detector (it implements `Trainable`); builds it once to see."""
    return isinstance(create_detector(name, **dict(kwargs)), Trainable)


def trained_detector(spec: DetectorSpec, generator: Generator, corpus: CorpusConfig = CorpusConfig(),
                     cfg: TrainConfig = TrainConfig(), device: str | torch.device = "cpu",
                     ) -> tuple[Trainable, CheckpointInfo]:
    """Load the cached checkpoint for (detector, recipe, data, config), training it if absent."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)  # initial weights depend on the seed alone, not on what ran before
        detector = create_detector(spec.detector, **dict(spec.kwargs))
    if not isinstance(detector, Trainable):
        raise FakebenchError(f"detector {spec.detector!r} cannot be trained by the {spec.recipe!r} recipe: it lacks "
                             "train_on/save/load/config", fix="implement detectors.trainable.Trainable, or run it "
                             "without a recipe")
    if isinstance(detector, torch.nn.Module):
        detector = detector.to(device)
    data = training_data(spec.recipe, generator, corpus, cfg.seed)
    key = stable_hash("detector", spec, detector.config, data.hashes(), cfg)
    path = artifact_dir("checkpoints", f"{spec.label}-{spec.generator}-{key}") / "model.safetensors"
    if sidecar_path(path).is_file():
        return detector, detector.load(path)
    log.info("training %s on %s (%d reals, %d fakes)", spec.label, spec.generator, len(data.real), len(data.fake))
    started = time.perf_counter()
    detector.train_on(data, cfg, desc=f"train {spec.label} ({spec.generator})")
    validation = validate(detector, data)
    info = CheckpointInfo(
        detector=spec.detector, config=detector.config, recipe=spec.recipe, generator=spec.generator,
        train_config=asdict(cfg), data=data.hashes(), validation=validation,
        versions={"fakebench": fakebench.__version__, "torch": torch.__version__, "python": platform.python_version()},
        seconds=round(time.perf_counter() - started, 2),
    )
    detector.save(path, info)
    return detector, info
