"""Trained detectors through the checkpoint cache: a spec, its data and its training config name one
checkpoint (safetensors + JSON sidecar); it is loaded when present and trained (resumably) when not."""
from __future__ import annotations

import contextlib
import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from fakebench.core import distributed, numerics
from fakebench.core.cache import artifact_dir, stable_hash
from fakebench.core.errors import FakebenchError
from fakebench.core.locks import artifact_lock
from fakebench.core.provenance import versions
from fakebench.data.corpus import CorpusConfig
from fakebench.data.imagesets import ImageSet
from fakebench.data.reals import CORPUS, reals_sources, reals_text, source_reals
from fakebench.detectors.imagenet import init_pretrained
from fakebench.detectors.recipes import PNG, training_data
from fakebench.detectors.registry import create_detector
from fakebench.detectors.spec import DetectorSpec
from fakebench.detectors.trainable import CheckpointInfo, Trainable, sidecar_path
from fakebench.detectors.training_loop import TrainConfig
from fakebench.detectors.validation import validate
from fakebench.generators.base import Generator

log = logging.getLogger(__name__)

DEFAULT_CORPUS, DEFAULT_TRAIN = CorpusConfig(), TrainConfig()


@dataclass(frozen=True)
class WorldReals:
    """A world's training reals: a source text (`fakebench.data.reals.source_reals`: one source
    or a mixture) and the photo corpus its `corpus` names."""

    source: str = CORPUS
    corpus: CorpusConfig = DEFAULT_CORPUS


Reals = tuple[ImageSet, ImageSet] | WorldReals  # the sets themselves, or a world's source text and corpus


def _reals(spec: DetectorSpec, reals: Reals, seed: int) -> tuple[ImageSet, ImageSet, str]:
    """Training and validation reals, and how the sidecar names them: the spec's own source first
    (`procedural:N`, the shader experiment, drawn like the world's crops), then the world's source text,
    or the sets as given."""
    if isinstance(reals, tuple) and not spec.reals:
        return (*reals, reals[0].name)
    world = reals if isinstance(reals, WorldReals) else WorldReals()
    text = spec.reals or reals_text(reals_sources(world.source))
    return (*source_reals(text, world.corpus, seed), text)


def trained_detector(spec: DetectorSpec, generator: Generator, reals: Reals = WorldReals(),
                     cfg: TrainConfig = DEFAULT_TRAIN, device: str | torch.device = "cpu",
                     reconstructions: ImageSet | None = None,
                     storage: str = PNG) -> tuple[Trainable, CheckpointInfo, Path]:
    """Load the cached checkpoint for (detector, recipe, data, config), training it if absent.

    `reals` are the training and validation reals: the sets themselves, or a world's source text (the
    mini world's corpus by default); a spec whose `reals` names procedural images uses those. The cache
    key names the source text unless it is the default `corpus` or the spec's own (the spec is in the
    key), so a different mixture never reuses a checkpoint and the corpus's checkpoints keep their keys.
    A run killed while training resumes from the last finished epoch. `reconstructions` (ids
    `<real id>-recon`) are taken instead of reconstructing here; `storage` is how an aligned recipe's
    reconstructions are stored (`fakebench.detectors.recipes.ALIGNED_STORAGES`: it changes the fakes'
    bytes, so the key through the data's hashes).
    Returns the detector, its sidecar and path."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)  # initial weights depend on the seed alone, not on what ran before
        detector = create_detector(spec.detector, **dict(spec.kwargs))
    if not isinstance(detector, Trainable):
        raise FakebenchError(f"detector {spec.detector!r} cannot be trained by the {spec.recipe!r} recipe: it lacks "
                             "train_on/save/load/config",
                             fix="subclass fakebench.detectors.trainable.Trainable, or run it "
                             "without a recipe")
    pretrained = init_pretrained(detector, cfg.pretrained) if cfg.pretrained else ""
    detector = detector.to(device)
    real, val_real, reals_name = _reals(spec, reals, cfg.seed)
    data = training_data(spec.recipe, generator, real, val_real, cfg.seed, reconstructions, storage)
    named = () if spec.reals or reals_name == CORPUS or isinstance(reals, tuple) else (reals_name,)
    key = stable_hash("detector", spec, detector.config, data.hashes(), cfg.for_key(), pretrained, *named)
    path = artifact_dir("checkpoints", f"{spec.label}-{spec.generator}-{key}") / "model.safetensors"
    if sidecar_path(path).is_file():
        return detector, detector.load(path), path
    rank = distributed.current()
    log.info("training %s on %s (%d reals, %d fakes%s%s)", spec.label, spec.generator, len(data.real), len(data.fake),
             ", in synced pairs" if data.paired else "", f", {rank.world_size} processes" if rank.distributed else "")
    started = time.perf_counter()
    # one process: lock, so two runs sharing a cache train it once; under torchrun every rank must reach
    # DDP's collectives, so a lock could deadlock: atomic writes keep the cache whole there
    lock = artifact_lock(path, f"checkpoint {spec.label}") if not rank.distributed else contextlib.nullcontext()
    with lock:
        if sidecar_path(path).is_file():  # another run trained it while we waited
            return detector, detector.load(path), path
        state_path = path.with_name("train-state.pt")
        training = detector.train_on(data, cfg, desc=f"train {spec.label} ({spec.generator})", state_path=state_path)
        validation = validate(detector, data)
        info = CheckpointInfo(
            detector=spec.detector, config=detector.config, recipe=spec.recipe, generator=spec.generator,
            augment=cfg.augment.preset, schedule=cfg.schedule, reals=reals_name,
            train_config=asdict(cfg), data=data.hashes(), validation=validation,
            versions=versions(),
            seconds=round(time.perf_counter() - started, 2), kwargs=dict(spec.kwargs),
            training={**(training or {}), "paired": data.paired, "pairs_left_out": data.dropped_pairs,
                      **({"fakes_stored": data.fakes_stored} if data.fakes_stored else {}),
                      "train_reals": len(data.real), "train_fakes": len(data.fake)},
            numerics=numerics.fingerprint(),
        )
        if rank.is_main:
            detector.save(path, info)
        distributed.barrier()
        if not rank.is_main:
            info = detector.load(path)
        state_path.unlink(missing_ok=True)
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
    meta = CheckpointInfo(**json.loads(sidecar.read_text()))
    detector = create_detector(meta.detector, **meta.kwargs).to(device)
    return detector, detector.load(path)
