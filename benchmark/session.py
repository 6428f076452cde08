"""The benchmark session: builds, lazily and once, only the artifacts the selected cases need."""
from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Literal

import pandas as pd
import torch

from fakebench.benchmark.cases import Case, build_cases, detector_specs
from fakebench.benchmark.world import WorldConfig
from fakebench.core.cache import atomic_write_json
from fakebench.core.errors import FakebenchError, WeightsMissingError
from fakebench.core.provenance import as_dict, provenance, write_run_json
from fakebench.core.version import __version__
from fakebench.data.folders import LabelledDataset, SkippedFile
from fakebench.data.imagesets import ImageSet, real_split, stored_like
from fakebench.detectors.base import Detector
from fakebench.detectors.recipes import LIKE_REALS
from fakebench.detectors.registry import create_detector
from fakebench.detectors.score_contract import is_score_failure
from fakebench.detectors.spec import DetectorSpec
from fakebench.detectors.trained import WorldReals, trained_detector
from fakebench.evaluation.claims import (
    CLAIMS_BY_ID,
    FLOPS_GENERATOR,
    ClaimContext,
    ClaimResult,
    audit_by_recipe,
    evaluate,
)
from fakebench.evaluation.failures import CaseFailures, case_failures
from fakebench.evaluation.metrics import (
    BootstrapConfig,
    CaseMetrics,
    calibrated_threshold,
    case_metrics,
)
from fakebench.evaluation.perturbations import Identity, Perturbation, parse_perturbation
from fakebench.evaluation.scoring import ScoringConfig, detector_scores
from fakebench.evaluation.store import CALIBRATION_SPLIT, TEST_SPLIT, ScoreStore, cost_path
from fakebench.generators import create_generator
from fakebench.generators.base import Generator
from fakebench.generators.fakesets import generated_set, reconstructed_set
from fakebench.leaderboard.summary import FloorMiss

log = logging.getLogger(__name__)

TEST_FAKE_SEED = 0  # test fakes use seeds 0..; training fakes use 10_000+ (see fakebench.detectors.recipes)


@dataclass
class CaseResult:
    case: Case
    metrics: CaseMetrics
    checkpoint: str
    failures: CaseFailures  # the case's failed images: more than half failed fails the case


def _checkpoint(detector: Detector) -> str:
    return detector.checkpoint_hash or "none"


def world_claim_roles(world: WorldConfig) -> dict[str, object]:
    """A world's roles for the claims, as run.json records them (fakebench.evaluation.claims: a claim
    applies where they hold what it reads): its training generator, the generators whose denoiser or
    autoencoder differs, the claims' backbone and which of its detectors the world registers. C6 reads
    the detector trained aligned on procedural reals, found by its naming convention
    (aligned-shader-<backbone>)."""
    ctx = ClaimContext(pd.DataFrame(), trained_on=world.train_generator, denoiser_differs=world.roles.denoiser_differs,
                       autoencoder_differs=world.roles.autoencoder_differs, backbone=world.claims.backbone)
    specs = detector_specs(world)[0] if world.train_generator else {}  # nothing trains without a training generator
    return replace(ctx, registered=tuple(label for label in ctx.claim_detectors() if label in specs)).roles()


class BenchSession:
    """The artifacts of one run, built lazily and once: generators, test sets, trained detectors,
    calibration thresholds, and every case's scores in the store.

    `pytest benchmark/` and `fakebench score` both run their cases here. A session scores the world's
    generators and any folder datasets' generators (`datasets`); detectors come from their specs
    (trained by recipe, or built by name) unless one was handed over ready (`add_detector`, e.g. a
    checkpoint file). The 5%-FPR threshold is calibrated on `calibration` reals (default: the world's
    held-out validation photos; None: no calibration rows, the calibrated metrics read NaN)."""

    def __init__(self, world: WorldConfig, bench_seed: int = 0, device: str = "cpu",
                 store_path: Path | None = None, scoring: ScoringConfig = ScoringConfig(),
                 datasets: Sequence[LabelledDataset] = (), calibration: ImageSet | None | Literal["world"] = "world",
                 ) -> None:
        self.world, self.bench_seed, self.device = world, bench_seed, torch.device(device)
        self.scoring = scoring
        self.store = ScoreStore(store_path)
        # generators whose test images come from folder datasets (`--data folder:PATH`): name -> (reals, fakes)
        self.folder_sets: dict[str, tuple[ImageSet | None, ImageSet]] = {}
        self.skipped: list = []
        for ds in datasets:
            self.skipped += ds.skipped + ds.failed()
            self.folder_sets.update(ds.case_sets())
        self._calibration = calibration
        self._generators: dict[str, Generator] = {}
        self._detectors: dict[tuple[DetectorSpec, int], Detector] = {}
        self._fakes: dict[str, ImageSet] = {}
        self._thresholds: dict[tuple[DetectorSpec, int], float] = {}
        self._sidecars: dict[tuple[DetectorSpec, int], dict] = {}  # trained detectors' checkpoint sidecars
        self._used: dict[tuple[str, str, str], ImageSet] = {}  # (split, generator, set name) -> set, for run.json
        self.cost: dict | None = None  # the C5 cost record, once measured
        self._audits: dict[tuple[str, str], dict] = {}  # (recipe, reals) -> its training set's audit (run.json, C0)
        self._trained_sets: set[tuple[str, str]] = set()  # (recipe, reals) of the detectors this session trained
        self._chosen_roles: dict[str, object] | None = None  # the roles with the backbone `choose_backbone` chose

    def add_detector(self, spec: DetectorSpec, detector: Detector, seed: int = 0, sidecar: dict | None = None) -> None:
        """Use a detector that is already built (a loaded checkpoint, with its sidecar) for `spec`'s cases."""
        self._detectors[spec, seed] = detector
        if sidecar:
            self._sidecars[spec, seed] = sidecar

    def generator(self, name: str) -> Generator:
        if name not in self._generators:
            self._generators[name] = create_generator(name, device=self.device)
        return self._generators[name]

    @cached_property
    def test_reals(self) -> ImageSet:
        return real_split("test", self.world.reals.corpus)

    @cached_property
    def calibration_reals(self) -> ImageSet | None:
        """Clean held-out reals that set each detector's 5%-FPR threshold (the world's validation photos
        unless the session was given others, or none)."""
        if self._calibration == "world":
            return real_split("val", self.world.reals.corpus)
        return self._calibration

    @cached_property
    def reconstruction_sources(self) -> ImageSet:
        """The held-out reals a reconstruction-only generator round-trips: all of them, or
        `[test] reconstructions` evenly spaced (every photo keeps its share)."""
        reals, n = self.test_reals, self.world.test.reconstructions
        if n is None or n >= len(reals):
            return reals
        step = len(reals) / n
        ids = {reals.records[int(i * step)].image_id for i in range(n)}
        return reals.subset(ids, f"{reals.name}-{n}")

    def test_fakes(self, generator: str) -> ImageSet:
        """Fresh generations; for a generator that can only reconstruct (an autoencoder such as
        taef2), the reconstructions of the held-out test reals: aligned pairs, each real beside its
        own round trip, stored as the world's `[test] round_trips` says (as PNG, or like their reals, so
        that the decoder's trace is all that differs)."""
        if generator not in self._fakes:
            model = self.generator(generator)
            if model.can_generate:
                fakes = generated_set(model, self.world.test.fakes, seed=TEST_FAKE_SEED + self.bench_seed)
            else:
                fakes = reconstructed_set(model, self.reconstruction_sources)
                if self.world.test.round_trips == LIKE_REALS:
                    fakes = stored_like(fakes, self.reconstruction_sources)
            self._fakes[generator] = fakes
        return self._fakes[generator]

    def detector(self, spec: DetectorSpec, seed: int = 0) -> Detector:
        """Trained by its recipe under a training seed (cached checkpoint), or built as it comes when it
        has no recipe (then the seed changes nothing)."""
        if (spec, seed) not in self._detectors:
            if spec.recipe:
                train = spec.train_config(self.world.train_config(spec.detector, seed))
                reals = WorldReals(self.world.reals.train, self.world.reals.corpus)
                detector, info, _ = trained_detector(spec, self.generator(spec.generator), reals, train,
                                                     device=self.device, storage=self.world.aligned_storage)
                self._sidecars[spec, seed] = asdict(info)
                self._trained_sets.add((spec.recipe, "procedural" if spec.reals else "corpus"))
            else:
                detector = create_detector(spec.detector, **dict(spec.kwargs)).to(self.device)
            self._detectors[spec, seed] = detector
        return self._detectors[spec, seed]

    def _scores(self, detector: Detector, imageset: ImageSet, perturbation: Perturbation) -> pd.DataFrame:
        return detector_scores(detector, imageset, perturbation, self.bench_seed, self.scoring)

    def _rows(self, frame: pd.DataFrame, spec: DetectorSpec, seed: int, checkpoint: str, case_id: str,
              generator: str, perturbation: str, split: str) -> pd.DataFrame:
        return frame.assign(case_id=case_id, detector=spec.label, checkpoint=checkpoint, generator=generator,
                            split=split, perturbation=perturbation, seed=seed, bench_seed=self.bench_seed,
                            fakebench_version=__version__)

    def calibration_threshold(self, spec: DetectorSpec, seed: int = 0) -> float:
        """Score the clean calibration reals once per detector and seed, store them, return the threshold
        (NaN without calibration reals)."""
        if (spec, seed) not in self._thresholds:
            if self.calibration_reals is None:
                self._thresholds[spec, seed] = math.nan
                return math.nan
            detector = self.detector(spec, seed)
            frame = self._scores(detector, self.calibration_reals, Identity())
            self._used[CALIBRATION_SPLIT, "", self.calibration_reals.name] = self.calibration_reals
            rows = self.store.add(self._rows(frame, spec, seed, _checkpoint(detector), f"{spec.label}-calibration",
                                             "", "identity", CALIBRATION_SPLIT))
            self._thresholds[spec, seed] = calibrated_threshold(rows.loc[rows["error"] == "", "score"])
        return self._thresholds[spec, seed]

    def run_case(self, case: Case) -> CaseResult:
        detector = self.detector(case.detector, case.seed)
        threshold = self.calibration_threshold(case.detector, case.seed)
        perturbation = parse_perturbation(case.perturbation)
        sets = self.folder_sets.get(case.generator) or (self.test_reals, self.test_fakes(case.generator))
        parts = [self._scores(detector, imageset, perturbation) for imageset in sets if imageset is not None]
        self._used.update({(TEST_SPLIT, case.generator, s.name): s for s in sets if s is not None})
        frame = self.store.add(self._rows(pd.concat(parts, ignore_index=True), case.detector, case.seed,
                                          _checkpoint(detector), case.case_id, case.generator, case.perturbation,
                                          TEST_SPLIT))
        ok = frame[frame["error"] == ""]
        metrics = case_metrics(ok["label"], ok["score"], n_failed=int((frame["error"] != "").sum()),
                               threshold_cal=threshold, bootstrap=BootstrapConfig(resamples=0))
        return CaseResult(case, metrics, _checkpoint(detector), case_failures(frame["error"]))

    def detector_failures(self) -> list[SkippedFile]:
        """The images a detector failed (its `score()` misbehaved), one per case and image, for
        skipped.csv beside the files the run could not read (`skipped`)."""
        frame = self.store.frame()
        bad = frame[frame["error"].map(is_score_failure)]
        return [SkippedFile(image_id, f"{case_id}: {error}")
                for case_id, image_id, error in zip(bad["case_id"], bad["image_id"], bad["error"])]

    # --- claims -------------------------------------------------------------------------------------

    def claim_roles(self) -> dict[str, object]:
        """The world's roles for the claims, as run.json records them (`world_claim_roles`): with the
        backbone chosen among `[claims] backbones` once a claim has been judged (`choose_backbone`), and
        the validation AUCs it was chosen by."""
        return dict(self._chosen_roles if self._chosen_roles is not None else self._world_roles)

    @cached_property
    def _world_roles(self) -> dict[str, object]:
        return world_claim_roles(self.world)

    def choose_backbone(self) -> None:
        """Among the world's `[claims] backbones`, the one whose aligned detector (training seed 0) has the
        highest AUC on the validation photos and their round trips becomes the claims' backbone (ties: the
        first listed), by a rule fixed before any test image is scored. Trains what it reads (cached)."""
        candidates = self.world.claims.backbones
        if not candidates or self._chosen_roles is not None:
            return
        specs = detector_specs(self.world)[0]
        aucs = {}
        for backbone in candidates:
            label = DetectorSpec.label_of(backbone, "aligned")
            if label not in specs:
                raise FakebenchError(f"world {self.world.name!r}: [claims] backbones names {backbone!r}, which has "
                                     f"no {label!r} detector", fix=f"register {backbone!r} in [detectors] or drop it")
            self.detector(specs[label], 0)
            aucs[backbone] = round(float(self._sidecars[specs[label], 0]["validation"]["auc"]), 3)
        chosen = max(candidates, key=lambda b: (aucs[b], -candidates.index(b)))
        world = replace(self.world, claims=replace(self.world.claims, backbone=chosen))
        self._chosen_roles = {**world_claim_roles(world), "backbone_choice": aucs}
        log.info("the claims' backbone, by validation AUC of the aligned runs: %s (chosen: %s)",
                 ", ".join(f"{b} {auc:.3f}" for b, auc in aucs.items()), chosen)

    def claim_context(self) -> ClaimContext:
        return replace(ClaimContext.from_roles(self.store.frame(), self.claim_roles(), self.cost),
                       audit=audit_by_recipe(list(self._audits.values())))

    def audit_training_sets(self, recipes: list[tuple[str, str]] | None = None) -> list[dict]:
        """Audit (headers only, no training) the training sets of the given (recipe, reals) pairs, by
        default those of the detectors this session trained; returns every audit made so far (run.json)."""
        from fakebench.benchmark.training_audit import training_set_audit

        wanted = recipes if recipes is not None else sorted(self._trained_sets)
        for recipe, reals in wanted:
            if (recipe, reals) not in self._audits:
                try:  # the session's own training generator: a warm run builds it once
                    generator = self.generator(self.world.train_generator)
                except FakebenchError:  # e.g. a real model's weights are absent: the audit says so itself
                    generator = None
                self._audits[recipe, reals] = training_set_audit(self.world, recipe, reals, generator)
        return [self._audits[k] for k in sorted(self._audits)]

    def evaluate_claim(self, claim_id: str, seeds: tuple[int, ...]) -> ClaimResult:
        """Score every case the claim reads (per seed; cached), then judge it from the store."""
        claim = CLAIMS_BY_ID[claim_id]
        self.choose_backbone()
        if claim.reads_audit:
            audits = self.audit_training_sets(wanted := [("baseline", "corpus"), ("aligned", "corpus")])
            # a set that cannot be built for want of a real model's weights: skipped as its cases are
            absent = next((a for a in audits if (a["recipe"], a["reals"]) in wanted and a.get("weights_missing")), None)
            if absent is not None:
                raise WeightsMissingError(f"C0 audits the {absent['recipe']} training set: {absent['error']}")
        elif not claim.reads_detectors and self.cost is None:
            self.measure_cost()
        for detector, generator, perturbation in claim.needs(self.claim_context()):
            for case in build_cases(self.world, [detector], [generator], [perturbation], seeds):
                self.run_case(case)
        return evaluate(claim, self.claim_context())

    def measure_cost(self) -> dict:
        """The C5 cost record: FLOPs per image of sd15 (the paper's count) and of this world's training
        generator, counted from their configs; and, as information, the training generator's measured
        wall-clock ratio (measured once per machine and generator). Both cached in the results home;
        kept next to the store, so reports rebuilt from it judge C5 too."""
        from fakebench.generators.cost import wallclock_record
        from fakebench.generators.flops import flop_record

        try:
            wallclock = wallclock_record(self.generator(self.world.train_generator), self.device)
        except FakebenchError as exc:  # e.g. a real model's weights are absent: the count does not need them
            wallclock = {"generator": self.world.train_generator, "error": str(exc)}
        self.cost = {**flop_record(list(dict.fromkeys([FLOPS_GENERATOR, self.world.train_generator]))),
                     "wallclock": wallclock}
        if self.store.path is not None:
            atomic_write_json(cost_path(self.store.path), self.cost)
        return self.cost

    def run_record(self, seeds: tuple[int, ...] = (0,), kind: str = "pytest benchmark", **settings: object) -> dict:
        """The run's record for run.json: world and scoring settings, every detector used (spec,
        training config, checkpoint sidecar) and every image set scored (count, content hash)."""
        from fakebench.benchmark.run_record import detector_entry, set_entry

        detectors = [detector_entry(spec.label, seed, _checkpoint(det), spec,
                                    spec.train_config(self.world.train_config(spec.detector, seed))
                                    if spec.recipe else None,
                                    self._sidecars.get((spec, seed)))
                     for (spec, seed), det in self._detectors.items()]
        datasets = [set_entry(split, gen, s) for (split, gen, _), s in sorted(self._used.items())]
        settings = {"world": self.world, "bench_seed": self.bench_seed, "seeds": list(seeds),
                    "scoring": self.scoring, "device": str(self.device), **settings}
        return provenance(kind, settings={k: as_dict(v) for k, v in settings.items()}, roles=self.claim_roles(),
                          detectors=detectors, datasets=datasets,
                          training_audit=self.audit_training_sets())  # how aligned each training set was

    def write_outputs(self, out_dir: Path, seeds: tuple[int, ...] = (0,), kind: str = "pytest benchmark",
                      floors: list[FloorMiss] | None = None,
                      **settings: object) -> tuple[pd.DataFrame, dict[str, Path]]:
        """The reports and run.json (the run record: `kind` of run and any extra `settings`) in `out_dir`;
        `floors`: the cases that missed their floor (the summary groups them), None when not known."""
        from fakebench.leaderboard.reports import write_reports

        self.store.flush()
        run_record = self.run_record(seeds, kind, **settings)
        run = write_run_json(out_dir, run_record)
        board, paths = write_reports(self.store.frame(), out_dir, cost=self.cost, claims=self.claim_context(),
                                     run_record=run_record, floors=floors)
        paths["run_record"] = run
        if self.store.path is not None:
            paths["scores"] = self.store.path
        return board, paths
