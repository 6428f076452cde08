"""The data jobs behind `fakebench reconstruct | train | score`: real folders in, artifacts out.

Each is resumable (per-file outputs written atomically and skipped when present; training resumes
from its last epoch; scores from their last saved unit), runs unchanged under torchrun (work sharded
by image order, see `fakebench.core.distributed`), and accounts for every input file in `skipped.csv`."""
from __future__ import annotations

import logging
import platform
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
import torch

from fakebench.core import distributed
from fakebench.core.cache import atomic_path, atomic_write_json, ensure_writable_dir
from fakebench.core.errors import FakebenchError
from fakebench.core.version import __version__
from generators.folders import (
    SkippedFile,
    image_folder,
    load_folder_dataset,
    write_skipped_report,
)

log = logging.getLogger(__name__)


def run_record(**config) -> dict:
    """What made an output: versions, command line and configuration (written beside every output)."""
    return {"fakebench": __version__, "torch": torch.__version__, "python": platform.python_version(),
            "argv": sys.argv, "world_size": distributed.current().world, "config": config}


# --- reconstruct --------------------------------------------------------------------------------------


@dataclass
class ReconstructResult:
    written: int
    reused: int
    skipped: list[SkippedFile]
    seconds: float
    output: Path


def _output_names(rels: list[str]) -> dict[str, str]:
    """`a/b.jpg` -> `a/b.png`; where two inputs would meet (b.jpg and b.webp) both keep their suffix."""
    first = {rel: str(Path(rel).with_suffix(".png")) for rel in rels}
    counts: dict[str, int] = {}
    for out in first.values():
        counts[out] = counts.get(out, 0) + 1
    return {rel: out if counts[out] == 1 else f"{rel}.png" for rel, out in first.items()}


def reconstruct_folder(generator_name: str, input_dir: Path, output_dir: Path, batch_size: int = 16,
                       device: str = "cpu", dtype: str = "fp32") -> ReconstructResult:
    """Every image below `input_dir` through the generator's autoencoder into `output_dir` (same
    relative paths, PNG, same size). A killed run resumes: finished files are kept."""
    from generators import create_generator
    from generators.imagesets import reconstruct_into

    started = time.perf_counter()
    output_dir = ensure_writable_dir(Path(output_dir).resolve(), "output folder")
    source, skipped = image_folder(input_dir)
    generator = create_generator(generator_name, device=device, **({"dtype": dtype} if dtype != "fp32" else {}))
    if not generator.can_reconstruct:
        raise FakebenchError(f"generator {generator_name!r} has no autoencoder, so it cannot reconstruct",
                             fix="pick a latent diffusion generator (fakebench list generators)")
    names = _output_names([r.file for r in source.records])
    target = lambda r: output_dir / names[r.file]  # noqa: E731
    before = sum(target(r).is_file() for r in source.records)
    failed = reconstruct_into(generator, source, target, batch_size=batch_size,
                              desc=f"reconstruct {source.name} with {generator_name}")
    failed = {**source.failed, **failed}
    skipped = skipped + [SkippedFile(str(source.root / i), reason) for i, reason in sorted(failed.items())]
    written = sum(target(r).is_file() for r in source.records) - before
    if distributed.current().is_main:
        write_skipped_report(output_dir / "skipped.csv", skipped)
        atomic_write_json(output_dir / "reconstruct.json",
                          run_record(generator=generator_name, input=str(source.root), batch_size=batch_size,
                                     device=device, dtype=dtype, autoencoder=generator.reconstruction_fingerprint,
                                     images=len(source), failed=len(failed)))
    distributed.barrier()
    return ReconstructResult(written, before, skipped, time.perf_counter() - started, output_dir)


# --- train --------------------------------------------------------------------------------------------


@dataclass
class TrainJob:
    recipe: str
    generator: str
    real: Path
    val_real: Path | None = None
    detector: str = "resnet50"
    detector_kwargs: dict = field(default_factory=dict)
    out: Path | None = None
    device: str = "cpu"


def train_from_folders(job: TrainJob, cfg) -> tuple[Path, dict]:
    """Train a detector by a recipe on a folder of reals (the paper's recipe on real data); returns
    the checkpoint (copied to `job.out` when given) and its validation metrics."""
    from detectors.train import DetectorSpec, holdout_split, trained_detector
    from generators import create_generator

    reals, skipped = image_folder(job.real)
    if job.val_real:
        val, more = image_folder(job.val_real)
        skipped += more
    else:
        reals, val = holdout_split(reals, seed=cfg.seed)
    for s in (reals, val):
        skipped += [SkippedFile(str(s.root / i), why) for i, why in sorted(s.failed.items())]
    spec = DetectorSpec(job.detector, job.recipe, job.generator, tuple(sorted(job.detector_kwargs.items())))
    generator = create_generator(job.generator, device=job.device)
    _, info, path = trained_detector(spec, generator, (reals, val), cfg, device=job.device)
    if job.out and distributed.current().is_main:
        out = ensure_writable_dir(Path(job.out).resolve(), "output folder")
        for src in (path, path.with_suffix(".json")):
            with atomic_path(out / src.name) as tmp:
                shutil.copyfile(src, tmp)
        write_skipped_report(out / "skipped.csv", skipped)
        path = out / path.name
    distributed.barrier()
    return path, info.validation


# --- score --------------------------------------------------------------------------------------------


@dataclass
class ScoreJob:
    data: str  # folder:PATH
    detectors: list[str] = field(default_factory=list)  # registry names, scored as they come
    checkpoints: list[Path] = field(default_factory=list)  # files written by `fakebench train`
    perturbations: str = "identity"
    calibration: Path | None = None  # clean reals that set each detector's 5%-FPR threshold
    out: Path = Path("results")
    bench_seed: int = 0
    device: str = "cpu"
    compile: bool = False  # torch.compile each network detector (pays back on large sets; see fakebench.core.execution)


def _detectors(job: ScoreJob) -> list[tuple[str, object]]:
    from detectors.registry import create_detector
    from detectors.train import load_trained

    found: list[tuple[str, object]] = []
    for path in job.checkpoints:
        detector, info = load_trained(path, job.device)
        found.append((f"{info.recipe}-{info.detector}" if info.recipe else info.detector, detector))
    for name in job.detectors:
        torch.manual_seed(0)  # a detector built with random parts is built the same on every rank and run
        detector = create_detector(name)
        if isinstance(detector, torch.nn.Module):
            detector = detector.to(job.device)
        found.append((name, detector))
    if not found:
        raise FakebenchError("nothing to score", fix="pass --checkpoint FILE or --detector NAME")
    if job.compile:
        for label, detector in found:
            if hasattr(detector, "compile_network"):
                detector.compile_network()
            else:
                log.warning("--compile: %s has no torch network to compile; it runs as it is", label)
    return found


def score_folder(job: ScoreJob, cfg) -> tuple[pd.DataFrame, dict[str, Path]]:
    """Score detectors on a folder dataset under perturbations: a score store, the reports and
    skipped.csv in `job.out`. Under torchrun the ranks share the images; rank 0 writes."""
    from benchmark.cases import WorldConfig
    from benchmark.perturbations import Identity, parse_perturbation
    from benchmark.scoring import detector_scores
    from leaderboard.reports import write_reports
    from leaderboard.store import (
        CALIBRATION_SPLIT,
        TEST_SPLIT,
        ScoreStore,
        default_store_name,
    )

    rank = distributed.current()
    out = Path(job.out).resolve()
    if rank.is_main:
        ensure_writable_dir(out, "results folder")
    dataset = load_folder_dataset(job.data)
    perturbations = [parse_perturbation(p) for p in WorldConfig("folder", (), "").perturbation_ids(job.perturbations)]
    calibration = image_folder(job.calibration, name="calibration")[0] if job.calibration else None
    store = ScoreStore(out / default_store_name() if rank.is_main else None)
    detectors = _detectors(job)

    def scores(detector, imageset, perturbation):
        return detector_scores(detector, imageset, perturbation, job.bench_seed, cfg)

    rows = []
    for label, detector in detectors:
        checkpoint = getattr(detector, "checkpoint_hash", "") or "none"
        common = dict(detector=label, checkpoint=checkpoint, seed=0, bench_seed=job.bench_seed,
                      fakebench_version=__version__)
        if calibration is not None:
            frame = scores(detector, calibration, Identity())
            rows.append(frame.assign(case_id=f"{label}-calibration", generator="", split=CALIBRATION_SPLIT,
                                     perturbation="identity", **common))
        for gen in dataset.generators:
            reals = dataset.real_set(gen)
            sets = [s for s in (reals, dataset.fakes[gen]) if s is not None]
            for p in perturbations:
                frame = pd.concat([scores(detector, s, p) for s in sets], ignore_index=True)
                generator = f"{dataset.name}-{gen}" if gen != dataset.name else gen
                rows.append(frame.assign(case_id=f"{label}-{generator}-{p.id}", generator=generator, split=TEST_SPLIT,
                                         perturbation=p.id, **common))
    paths: dict[str, Path] = {}
    board = pd.DataFrame()
    if rank.is_main:
        store.add(pd.concat(rows, ignore_index=True))
        board, paths = write_reports(store.frame(), out)
        paths["scores"] = store.path
        paths["skipped"] = write_skipped_report(out / "skipped.csv", dataset.skipped + dataset.failed())
        atomic_write_json(out / "run.json", run_record(**{k: str(v) for k, v in asdict(job).items()},
                                                       scoring=asdict(cfg)))
    distributed.barrier()
    return board, paths
