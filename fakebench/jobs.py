"""The data jobs behind `fakebench reconstruct | train | score`: real folders in, artifacts out.

Each is resumable (per-file outputs written atomically and skipped when present; training resumes
from its last epoch; scores from their last saved unit), runs unchanged under torchrun (work sharded
by image order, see `fakebench.core.distributed`), and accounts for every input file in `skipped.csv`."""
from __future__ import annotations

import logging
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from fakebench.benchmark.cases import Case
from fakebench.benchmark.run_record import checkpoint_sidecars
from fakebench.benchmark.session import BenchSession
from fakebench.benchmark.world import WorldConfig
from fakebench.core import distributed
from fakebench.core.cache import atomic_path, ensure_writable_dir
from fakebench.core.errors import FakebenchError
from fakebench.core.provenance import provenance, write_run_json
from fakebench.data.folders import (
    SkippedFile,
    image_folder,
    write_skipped_report,
)
from fakebench.data.imagesets import ImageSet
from fakebench.data.sources import load_data_source
from fakebench.detectors.inference import ScoringConfig
from fakebench.detectors.loading import load_detectors
from fakebench.detectors.spec import DetectorSpec
from fakebench.evaluation.store import default_store_name

log = logging.getLogger(__name__)
RECONSTRUCT_FILE = "reconstruct.json"  # a reconstruct job's provenance record, beside its images


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
    from fakebench.generators import create_generator
    from fakebench.generators.fakesets import reconstruct_into

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
        write_run_json(output_dir, provenance(
            "fakebench reconstruct", config={"generator": generator_name, "input": str(source.root),
                                             "batch_size": batch_size, "device": device, "dtype": dtype,
                                             "autoencoder": generator.reconstruction_fingerprint,
                                             "images": len(source), "failed": len(failed)}), RECONSTRUCT_FILE)
    distributed.barrier()
    return ReconstructResult(written, before, skipped, time.perf_counter() - started, output_dir)


# --- train --------------------------------------------------------------------------------------------


@dataclass
class TrainJob:
    recipe: str
    generator: str
    real: str  # a folder of reals, or a source text as a world's [reals] train (corpus + photos:8, procedural:N, ...)
    val_real: Path | None = None
    recon: Path | None = None  # reconstructions of `real` written by `fakebench reconstruct` (else made here)
    detector: str = "resnet50"
    detector_kwargs: dict = field(default_factory=dict)
    out: Path | None = None
    device: str = "cpu"
    aligned_storage: str = "png"  # fakebench.detectors.recipes.ALIGNED_STORAGES: as PNG, or like their reals


def folder_reconstructions(reals: list[ImageSet], recon_dir: Path, generator: str) -> ImageSet:
    """The reconstructions that `fakebench reconstruct` wrote for the reals' folder(s) (same relative
    paths, .png), with ids `<real id>-recon` so the recipes pair them; reals without one are left to
    the recipe, which drops them with their pair."""
    from dataclasses import replace

    from fakebench.data.imagesets import FAKE
    from fakebench.detectors.recipes import RECON_SUFFIX

    fix = "; ".join(f"fakebench reconstruct --generator {generator} --input {s.root} --output {recon_dir}"
                    for s in reals)
    if not Path(recon_dir).is_dir():
        raise FakebenchError(f"reconstruction folder {str(recon_dir)!r} does not exist", fix=fix)
    recon, _ = image_folder(recon_dir, label=FAKE, name=f"recon-{Path(recon_dir).name}")
    by_file = {r.file: r for r in recon.records}
    records, failed = [], {}
    for s in reals:
        names = _output_names([r.file for r in s.records])
        for r in s.records:
            found = by_file.get(names[r.file])
            if found is not None:
                records.append(replace(found, image_id=r.image_id + RECON_SUFFIX))
                if found.image_id in recon.failed:
                    failed[r.image_id + RECON_SUFFIX] = recon.failed[found.image_id]
    if not records:
        raise FakebenchError(f"{str(recon_dir)!r} holds no reconstruction of the reals in "
                             f"{', '.join(str(s.root) for s in reals)}", fix=fix)
    return replace(recon, records=records, failed=failed)


def train_from_folders(job: TrainJob, cfg) -> tuple[Path, dict]:
    """Train a detector by a recipe on a folder of reals, or on reals named as a world's `[reals] train`
    names them (procedural images, the corpus, a dataset's reals, a mixture: the paper's recipe on real
    data); returns the checkpoint (copied to `job.out` when given, with run.json and
    skipped.csv) and its validation metrics."""
    from fakebench.data.folders import PREFIX as FOLDER_PREFIX
    from fakebench.data.procedural import parse_procedural
    from fakebench.data.reals import check_readable, holdout_split, split_reals
    from fakebench.detectors.recipes import check_storage
    from fakebench.detectors.trained import WorldReals, trained_detector
    from fakebench.generators import create_generator

    check_storage(job.aligned_storage)  # before any image is read
    skipped: list[SkippedFile] = []
    reconstructions = None
    text = str(job.real)
    sources = split_reals(text)
    folder = Path(text[len(FOLDER_PREFIX):] if text.startswith(FOLDER_PREFIX) else text).expanduser()
    if len(sources) > 1 or not folder.is_dir():
        # a source text as a world's [reals] train: procedural:N (the shader experiment), corpus, hf:..., a mixture
        check_readable(text)  # a bad one, or photos:N without its packages, is one line naming it and the fix
        if job.val_real or job.recon:
            raise FakebenchError(f"--real {text} brings its own validation split and is reconstructed here",
                                 fix="drop --val-real and --recon, or pass a folder of reals")
        procedural = len(sources) == 1 and parse_procedural(text) is not None
        spec = DetectorSpec.of(job.detector, job.recipe, job.generator, job.detector_kwargs,
                               reals=text if procedural else "")
        sets = WorldReals() if procedural else WorldReals(text)
    else:
        full, skipped = image_folder(folder)
        if job.val_real:
            val, more = image_folder(job.val_real)
            skipped += more
            reals = full
        else:
            reals, val = holdout_split(full, seed=cfg.seed)
        for s in (reals, val):
            skipped += [SkippedFile(str(s.root / i), why) for i, why in sorted(s.failed.items())]
        if job.recon:
            reconstructions = folder_reconstructions([full] + ([val] if job.val_real else []), job.recon,
                                                     job.generator)
        spec, sets = DetectorSpec.of(job.detector, job.recipe, job.generator, job.detector_kwargs), (reals, val)
    generator = create_generator(job.generator, device=job.device)
    _, info, path = trained_detector(spec, generator, sets, cfg, device=job.device, reconstructions=reconstructions,
                                     storage=job.aligned_storage)
    if job.out and distributed.current().is_main:
        out = ensure_writable_dir(Path(job.out).resolve(), "output folder")
        for src in (path, path.with_suffix(".json")):
            with atomic_path(out / src.name) as tmp:
                shutil.copyfile(src, tmp)
        write_skipped_report(out / "skipped.csv", skipped)
        write_run_json(out, provenance("fakebench train", config={k: str(v) for k, v in asdict(job).items()},
                                        train=cfg, training=info.training))
        path = out / path.name
    distributed.barrier()
    return path, info.validation


# --- score --------------------------------------------------------------------------------------------


@dataclass
class ScoreJob:
    data: str  # folder:PATH or hf:NAME (fakebench.data.sources)
    detectors: list[str] = field(default_factory=list)  # registry names, scored as they come
    checkpoints: list[Path] = field(default_factory=list)  # files written by `fakebench train`
    perturbations: str = "identity"
    calibration: Path | None = None  # clean reals that set each detector's 5%-FPR threshold
    out: Path = Path("results")
    bench_seed: int = 0
    device: str = "cpu"
    compile: bool = False  # torch.compile each network detector (pays back on large sets; see fakebench.core.execution)


FOLDER_WORLD = WorldConfig("folder")  # a score job's cases come from its dataset alone


def score_folder(job: ScoreJob, cfg: ScoringConfig) -> tuple[pd.DataFrame, dict[str, Path]]:
    """Score detectors on a folder dataset under perturbations: a score store, the reports and
    skipped.csv in `job.out`. The cases run in a `BenchSession`, as `pytest benchmark/`'s do. Under
    torchrun the ranks share the images; rank 0 writes."""
    rank = distributed.current()
    out = Path(job.out).resolve()
    if rank.is_main:
        ensure_writable_dir(out, "results folder")
    dataset = load_data_source(job.data)
    perturbations = FOLDER_WORLD.perturbation_ids(job.perturbations)
    calibration = image_folder(job.calibration, name="calibration")[0] if job.calibration else None
    session = BenchSession(FOLDER_WORLD, bench_seed=job.bench_seed, device=job.device,
                           store_path=out / default_store_name() if rank.is_main else None, scoring=cfg,
                           datasets=[dataset], calibration=calibration)
    detectors = load_detectors(job.checkpoints, job.detectors, job.device, job.compile)
    sidecars = checkpoint_sidecars(job.checkpoints)  # read once, not once per detector
    for spec, detector in detectors:
        session.add_detector(spec, detector, sidecar=sidecars.get(detector.checkpoint_hash))
    for spec, _ in detectors:
        for generator in session.folder_sets:
            for perturbation in perturbations:
                session.run_case(Case(spec, generator, perturbation))
    paths: dict[str, Path] = {}
    board = pd.DataFrame()
    if rank.is_main:
        board, paths = session.write_outputs(out, kind="fakebench score",
                                             job={k: str(v) for k, v in asdict(job).items()})
        paths["skipped"] = write_skipped_report(out / "skipped.csv", session.skipped + session.detector_failures())
    distributed.barrier()
    return board, paths
