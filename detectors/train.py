"""Training a detector by a recipe: `baseline` (reals vs generated fakes) or `aligned` (reals vs
their reconstructions by the generator's autoencoder). Everything else is shared: backbone,
augmentations, schedule and seed, so the dataset is the only variable."""
from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler
from tqdm.auto import tqdm

from detectors.augment import AugmentConfig, augment
from detectors.base import Detector
from detectors.registry import create_detector
from detectors.trainable import CheckpointInfo, NetworkDetector, Trainable, sidecar_path
from fakebench.core import distributed
from fakebench.core.cache import artifact_dir, atomic_path, stable_hash
from fakebench.core.errors import FakebenchError
from fakebench.core.execution import nhwc
from fakebench.core.imageio import pil_to_tensor
from fakebench.core.locks import artifact_lock
from fakebench.core.schedules import warmup_cosine
from fakebench.core.seeds import derived_seed
from fakebench.core.version import __version__
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
    pretrained: str = ""  # "", "imagenet" (torch cache) or a weights file (.pth via weights_only / .safetensors)


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


def corpus_reals(corpus: CorpusConfig) -> tuple[ImageSet, ImageSet]:
    """The mini world's training and validation reals (whole photos apart)."""
    return real_split("train", corpus), real_split("val", corpus)


def holdout_split(reals: ImageSet, fraction: float = 0.05, seed: int = 0) -> tuple[ImageSet, ImageSet]:
    """A fixed fraction of a folder's reals held out for validation, chosen by image id (so adding
    images never moves an old one between the two); at least one image."""
    ids = [r.image_id for r in reals.records]
    draw = {i: derived_seed(seed, "holdout", i) % 10_000 for i in ids}
    val = {i for i in ids if draw[i] < fraction * 10_000} or {min(ids, key=draw.get)} if ids else set()
    if not val or len(val) == len(ids):
        raise FakebenchError(f"cannot hold out {fraction:.0%} of {len(ids)} reals of {reals.name} for validation",
                             fix="give more reals, or pass a validation folder")
    return reals.subset(set(ids) - val, f"{reals.name}-train"), reals.subset(val, f"{reals.name}-val")


def _aligned_pair(generator: Generator, reals: ImageSet) -> tuple[ImageSet, ImageSet]:
    """Reals and their reconstructions, less any image that could not be decoded or reconstructed."""
    reals = reals.usable()
    fakes = reconstructed_set(generator, reals)
    if fakes.failed:
        log.warning("%d of %d reals of %s left out of training: they could not be reconstructed",
                    len(fakes.failed), len(reals), reals.name)
        reals = reals.subset({r.image_id for r in reals.records} - set(fakes.failed), reals.name)
    return reals, fakes


def training_data(recipe: str, generator: Generator, real: ImageSet, val_real: ImageSet, seed: int) -> TrainingData:
    """The recipe's sets. Only the fakes differ: reconstructions (aligned) or generations (baseline)."""
    if recipe == "aligned":
        if not generator.can_reconstruct:
            raise FakebenchError(f"generator {generator.info.name!r} has no autoencoder to reconstruct with, so the "
                                 "aligned recipe does not apply to it", fix="use the baseline recipe")
        (real, fake), (val_real, val_fake) = _aligned_pair(generator, real), _aligned_pair(generator, val_real)
        return TrainingData(real, fake, val_real, val_fake)
    if recipe == "baseline":
        if not generator.can_generate:
            raise FakebenchError(f"generator {generator.info.name!r} cannot generate images, so the baseline recipe "
                                 "has no fakes to train on", fix="use the aligned recipe (it needs only reconstruct)")
        real, val_real = real.usable(), val_real.usable()
        # fake seeds are offset from the test fakes' seeds (see benchmark) so no image is shared
        return TrainingData(real, generated_set(generator, len(real), seed=10_000 + seed), val_real,
                            generated_set(generator, len(val_real), seed=20_000 + seed))
    raise FakebenchError(f"unknown recipe {recipe!r}; known recipes: {', '.join(RECIPES)}",
                         fix="use baseline or aligned")


class LabeledImages(Dataset):
    """Reals (label 0) and fakes (label 1), augmented with per-(seed, epoch, index) randomness."""

    def __init__(self, sets: list[ImageSet], cfg: AugmentConfig, seed: int) -> None:
        self.items = [(s, r) for s in sets for r in s.records]
        self.cfg, self.seed, self.epoch = cfg, seed, 0

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int):
        imageset, record = self.items[i]
        rng = np.random.default_rng([self.seed, self.epoch, i])
        return pil_to_tensor(augment(imageset.read(record), self.cfg, rng)), torch.tensor(float(imageset.label))


def _save_state(path: Path, epoch: int, network: torch.nn.Module, opt, sched) -> None:
    """The state after `epoch`, written atomically by rank 0: a killed run resumes from it."""
    if distributed.current().is_main:
        with atomic_path(path) as tmp:
            torch.save({"epoch": epoch, "network": network.state_dict(), "optimizer": opt.state_dict(),
                        "scheduler": sched.state_dict()}, tmp)
    distributed.barrier()


def _load_state(path: Path | None, network: torch.nn.Module, opt, sched) -> int:
    """Restore the last saved epoch (tensors and numbers only: weights_only); returns the next epoch."""
    if path is None or not path.is_file():
        return 0
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated or foreign file: start afresh rather than trust it
        log.warning("ignoring training state %s (%s); training from the start", path, exc)
        return 0
    network.load_state_dict(state["network"])
    opt.load_state_dict(state["optimizer"])
    sched.load_state_dict(state["scheduler"])
    log.info("resuming training from %s after epoch %d", path, state["epoch"] + 1)
    return int(state["epoch"]) + 1


def fit_network(detector: NetworkDetector, data: TrainingData, cfg: TrainConfig, desc: str = "train",
                state_path: Path | None = None) -> None:
    """Train a network detector in place: AdamW, warm-up cosine, BCE on the recipe's augmented sets.

    Under torchrun this is DDP: each rank takes `batch_size / world` images of every global batch
    (DistributedSampler, seeded per epoch), so the global batches are the same as in one process.
    After each epoch the state goes to `state_path`, from which a killed run resumes."""
    rank = distributed.current()
    if cfg.batch_size % rank.world:
        raise FakebenchError(f"batch size {cfg.batch_size} does not split over {rank.world} processes",
                             fix=f"use a multiple of {rank.world}")
    torch.manual_seed(cfg.seed)
    dataset = LabeledImages([data.real, data.fake], cfg.augment, cfg.seed)
    sampler = DistributedSampler(dataset, num_replicas=rank.world, rank=rank.rank, shuffle=True, seed=cfg.seed,
                                 drop_last=True)
    loader = DataLoader(dataset, batch_size=cfg.batch_size // rank.world, sampler=sampler,
                        num_workers=cfg.num_workers, drop_last=True, persistent_workers=False)
    if len(loader) == 0:
        raise FakebenchError(f"{len(dataset)} training images make no batch of {cfg.batch_size}",
                             fix="lower --batch-size or add images")
    steps = cfg.epochs * len(loader)
    network = detector.network
    opt = torch.optim.AdamW(network.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: warmup_cosine(step, steps, warmup=steps // 10))
    start = _load_state(state_path, network, opt, sched)
    model = torch.nn.parallel.DistributedDataParallel(network) if rank.distributed else network
    loss_fn = torch.nn.BCEWithLogitsLoss()
    device = next(network.parameters()).device
    bar = tqdm(total=steps, initial=start * len(loader), desc=desc, leave=False, delay=0.5, disable=not rank.is_main)
    for epoch in range(start, cfg.epochs):
        dataset.epoch = epoch
        sampler.set_epoch(epoch)
        detector.train()
        for x, y in loader:
            loss = loss_fn(model(detector.normalize(nhwc(x.to(device)))), y.to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            bar.update(1)
            bar.set_postfix(epoch=epoch, loss=f"{loss.item():.3f}")
        if state_path is not None:
            _save_state(state_path, epoch, network, opt, sched)
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


@functools.cache
def is_trainable(name: str, kwargs: tuple[tuple[str, object], ...] = ()) -> bool:
    """Whether the recipes can train this detector (it implements `Trainable`); builds it once to see."""
    return isinstance(create_detector(name, **dict(kwargs)), Trainable)


def _accepts_state_path(detector: Trainable) -> bool:
    return "state_path" in inspect.signature(detector.train_on).parameters


def trained_detector(spec: DetectorSpec, generator: Generator, reals: tuple[ImageSet, ImageSet] | CorpusConfig =
                     CorpusConfig(), cfg: TrainConfig = TrainConfig(), device: str | torch.device = "cpu",
                     ) -> tuple[Trainable, CheckpointInfo, Path]:
    """Load the cached checkpoint for (detector, recipe, data, config), training it if absent.

    `reals` are the training and validation reals (the mini world's corpus by default). A run killed
    while training resumes from the last finished epoch. Returns the detector, its sidecar and path."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)  # initial weights depend on the seed alone, not on what ran before
        detector = create_detector(spec.detector, **dict(spec.kwargs))
    if not isinstance(detector, Trainable):
        raise FakebenchError(f"detector {spec.detector!r} cannot be trained by the {spec.recipe!r} recipe: it lacks "
                             "train_on/save/load/config", fix="implement detectors.trainable.Trainable, or run it "
                             "without a recipe")
    pretrained = init_pretrained(detector, cfg.pretrained) if cfg.pretrained else ""
    if isinstance(detector, torch.nn.Module):
        detector = detector.to(device)
    real, val_real = corpus_reals(reals) if isinstance(reals, CorpusConfig) else reals
    data = training_data(spec.recipe, generator, real, val_real, cfg.seed)
    key = stable_hash("detector", spec, detector.config, data.hashes(), cfg, pretrained)
    path = artifact_dir("checkpoints", f"{spec.label}-{spec.generator}-{key}") / "model.safetensors"
    if sidecar_path(path).is_file():
        return detector, detector.load(path), path
    rank = distributed.current()
    log.info("training %s on %s (%d reals, %d fakes%s)", spec.label, spec.generator, len(data.real), len(data.fake),
             f", {rank.world} processes" if rank.distributed else "")
    started = time.perf_counter()
    # one process: lock, so two runs sharing a cache train it once; under torchrun every rank must reach
    # DDP's collectives, so a lock could deadlock: atomic writes keep the cache whole there
    lock = artifact_lock(path, f"checkpoint {spec.label}") if not rank.distributed else contextlib.nullcontext()
    with lock:
        if sidecar_path(path).is_file():  # another run trained it while we waited
            return detector, detector.load(path), path
        extra = {"state_path": path.with_name("train-state.pt")} if _accepts_state_path(detector) else {}
        detector.train_on(data, cfg, desc=f"train {spec.label} ({spec.generator})", **extra)
        validation = validate(detector, data)
        info = CheckpointInfo(
            detector=spec.detector, config=detector.config, recipe=spec.recipe, generator=spec.generator,
            train_config=asdict(cfg), data=data.hashes(), validation=validation,
            versions={"fakebench": __version__, "torch": torch.__version__,
                      "python": platform.python_version()},
            seconds=round(time.perf_counter() - started, 2), kwargs=dict(spec.kwargs),
        )
        if rank.is_main:
            detector.save(path, info)
        distributed.barrier()
        if not rank.is_main:
            info = detector.load(path)
        path.with_name("train-state.pt").unlink(missing_ok=True)
    return detector, info, path


def load_trained(path: Path, device: str | torch.device = "cpu") -> tuple[Trainable, CheckpointInfo]:
    """A detector from a checkpoint file written by `fakebench train` (or found in the cache): the
    sidecar names the registered detector and its factory arguments."""
    path = Path(path)
    if path.is_dir():
        path = path / "model.safetensors"
    sidecar = sidecar_path(path)
    if not sidecar.is_file():
        raise FakebenchError(f"checkpoint {str(path)!r} has no sidecar {sidecar.name}",
                             fix="pass a model.safetensors written by fakebench train")
    meta = CheckpointInfo(**__import__("json").loads(sidecar.read_text()))
    detector = create_detector(meta.detector, **meta.kwargs)
    if isinstance(detector, torch.nn.Module):
        detector = detector.to(device)
    return detector, detector.load(path)


def init_pretrained(detector: Trainable, source: str) -> str:
    """Initialise a ResNet-50 detector from ImageNet weights: a file, or "imagenet" for torchvision's
    file in the local torch cache (never downloaded). Returns the file's sha256 (part of the key)."""
    from fakebench.core.cache import file_sha256
    from fakebench.core.safeload import load_tensors

    path = imagenet_weights() if source == "imagenet" else Path(source).expanduser()
    if not path.is_file():
        raise FakebenchError(f"pretrained weights {str(path)!r} not found",
                             fix="pass --pretrained FILE, or put torchvision's resnet50 file in the torch cache")
    network = getattr(detector, "network", None)
    if network is None:
        raise FakebenchError(f"detector {detector.name!r} has no network to initialise", fix="drop --pretrained")
    own = network.state_dict()
    tensors = {k: v for k, v in load_tensors(path).items() if k in own and own[k].shape == v.shape}
    if not tensors:
        raise FakebenchError(f"no tensor of {str(path)!r} fits detector {detector.name!r}",
                             fix="use ImageNet weights of the same architecture (width 64)")
    network.load_state_dict(tensors, strict=False)
    log.info("initialised %s from %s (%d of %d tensors; the rest, e.g. the 1-logit head, fresh)",
             detector.name, path, len(tensors), len(own))
    return file_sha256(path)


def imagenet_weights() -> Path:
    """torchvision's ResNet-50 ImageNet file in the torch hub cache ($TORCH_HOME), newest name first."""
    folder = Path(torch.hub.get_dir()) / "checkpoints"
    found = sorted(folder.glob("resnet50-*.pth"), reverse=True)
    if not found:
        raise FakebenchError(f"no ImageNet ResNet-50 weights in {folder}",
                             fix="copy torchvision's resnet50-*.pth there (e.g. from a machine with the hub), "
                                 "or pass --pretrained FILE")
    return found[0]
