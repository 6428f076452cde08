"""The benchmark session: builds, lazily and once, only the artifacts the selected cases need."""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from pathlib import Path

import pandas as pd
import torch

from benchmark.cases import Case, WorldConfig, build_cases
from benchmark.perturbations import Identity, Perturbation, parse_perturbation
from benchmark.scoring import ScoringConfig, detector_scores
from detectors.base import Detector
from detectors.registry import create_detector
from detectors.train import DetectorSpec, trained_detector
from fakebench.core.cache import atomic_write_json
from fakebench.core.errors import FakebenchError
from fakebench.core.version import __version__
from generators import create_generator
from generators.base import Generator
from generators.folders import FolderDataset
from generators.imagesets import ImageSet, generated_set, real_split
from leaderboard.claims import ClaimContext, ClaimResult, evaluate_claims
from leaderboard.metrics import (
    BootstrapConfig,
    CaseMetrics,
    calibrated_threshold,
    case_metrics,
)
from leaderboard.store import CALIBRATION_SPLIT, TEST_SPLIT, ScoreStore, cost_path

log = logging.getLogger(__name__)

TEST_FAKE_SEED = 0  # test fakes use seeds 0..; training fakes use 10_000+ (see detectors.train)


@dataclass
class CaseResult:
    case: Case
    metrics: CaseMetrics
    checkpoint: str


def _checkpoint(detector: Detector) -> str:
    return getattr(detector, "checkpoint_hash", "") or "none"


class BenchSession:
    def __init__(self, world: WorldConfig, bench_seed: int = 0, device: str = "cpu",
                 store_path: Path | None = None, scoring: ScoringConfig = ScoringConfig(),
                 datasets: list[FolderDataset] = ()) -> None:
        self.world, self.bench_seed, self.device = world, bench_seed, torch.device(device)
        self.scoring = scoring
        self.store = ScoreStore(store_path)
        # generators whose test images come from folder datasets (`--data folder:PATH`): name -> (reals, fakes)
        self.folder_sets: dict[str, tuple[ImageSet, ImageSet]] = {}
        self.skipped: list = []
        for ds in datasets:
            self.skipped += ds.skipped + ds.failed()
            for gen in ds.generators:
                reals = ds.real_set(gen)
                if reals is None:
                    raise FakebenchError(f"folder dataset {str(ds.root)!r} has fakes of {gen!r} but no reals",
                                         fix="add a real/ (or 0_real/, nature/) folder")
                self.folder_sets[gen if gen == ds.name else f"{ds.name}-{gen}"] = (reals, ds.fakes[gen])
        self._generators: dict[str, Generator] = {}
        self._detectors: dict[tuple[DetectorSpec, int], Detector] = {}
        self._fakes: dict[str, ImageSet] = {}
        self._thresholds: dict[tuple[DetectorSpec, int], float] = {}
        self.cost: dict | None = None  # the C5 cost record, once measured

    def generator(self, name: str) -> Generator:
        if name not in self._generators:
            self._generators[name] = create_generator(name, device=self.device)
        return self._generators[name]

    @cached_property
    def test_reals(self) -> ImageSet:
        return real_split("test", self.world.corpus)

    @cached_property
    def calibration_reals(self) -> ImageSet:
        """Clean held-out reals (the validation photos) that set each detector's 5%-FPR threshold."""
        return real_split("val", self.world.corpus)

    def test_fakes(self, generator: str) -> ImageSet:
        if generator not in self._fakes:
            self._fakes[generator] = generated_set(self.generator(generator), self.world.n_test_fakes,
                                                   seed=TEST_FAKE_SEED + self.bench_seed)
        return self._fakes[generator]

    def detector(self, spec: DetectorSpec, seed: int = 0) -> Detector:
        """Trained by its recipe under a training seed (cached checkpoint), or built as it comes when it
        has no recipe (then the seed changes nothing)."""
        if (spec, seed) not in self._detectors:
            if spec.recipe:
                detector, _, _ = trained_detector(spec, self.generator(spec.generator), self.world.corpus,
                                               replace(self.world.train, seed=seed), device=self.device)
            else:
                detector = create_detector(spec.detector, **dict(spec.kwargs))
                if isinstance(detector, torch.nn.Module):
                    detector = detector.to(self.device)
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
        """Score the clean calibration reals once per detector and seed, store them, return the threshold."""
        if (spec, seed) not in self._thresholds:
            detector = self.detector(spec, seed)
            frame = self._scores(detector, self.calibration_reals, Identity())
            rows = self.store.add(self._rows(frame, spec, seed, _checkpoint(detector), f"{spec.label}-calibration",
                                             "", "identity", CALIBRATION_SPLIT))
            self._thresholds[spec, seed] = calibrated_threshold(rows.loc[rows["error"] == "", "score"])
        return self._thresholds[spec, seed]

    def run_case(self, case: Case) -> CaseResult:
        detector = self.detector(case.detector, case.seed)
        threshold = self.calibration_threshold(case.detector, case.seed)
        perturbation = parse_perturbation(case.perturbation)
        sets = self.folder_sets.get(case.generator) or (self.test_reals, self.test_fakes(case.generator))
        parts = [self._scores(detector, imageset, perturbation) for imageset in sets]
        frame = self.store.add(self._rows(pd.concat(parts, ignore_index=True), case.detector, case.seed,
                                          _checkpoint(detector), case.case_id, case.generator, case.perturbation,
                                          TEST_SPLIT))
        ok = frame[frame["error"] == ""]
        metrics = case_metrics(ok["label"], ok["score"], n_failed=int((frame["error"] != "").sum()),
                               threshold_cal=threshold, bootstrap=BootstrapConfig(resamples=0))
        return CaseResult(case, metrics, _checkpoint(detector))

    # --- claims -------------------------------------------------------------------------------------

    def claim_context(self) -> ClaimContext:
        w = self.world
        return ClaimContext(self.store.frame(), cost=self.cost, trained_on=w.train_generator,
                            denoiser_differs=w.denoiser_differs, autoencoder_differs=w.autoencoder_differs)

    def evaluate_claim(self, claim_id: str, seeds: tuple[int, ...]) -> ClaimResult:
        """Score every case the claim reads (per seed; cached), then judge it from the store."""
        if claim_id == "C5" and self.cost is None:
            self.measure_cost()
        for detector, generator, perturbation in self.claim_context().needs()[claim_id]:
            for case in build_cases(self.world, [detector], [generator], [perturbation], seeds):
                self.run_case(case)
        return next(r for r in evaluate_claims(self.claim_context()) if r.id == claim_id)

    def measure_cost(self) -> dict:
        """Time generation and reconstruction of the training generator in this run (C5), and keep the
        record next to the store so that reports rebuilt from the store can judge C5 too."""
        from generators.cost import measure_cost

        result = measure_cost(self.generator(self.world.train_generator))
        self.cost = {**asdict(result), "ratio": result.ratio, "breakdown": result.breakdown(),
                     "device": str(self.device), "threads": torch.get_num_threads()}
        if self.store.path is not None:
            atomic_write_json(cost_path(self.store.path), self.cost)
        return self.cost

    def write_outputs(self, out_dir: Path) -> tuple[pd.DataFrame, dict[str, Path]]:
        from leaderboard.reports import write_reports

        board, paths = write_reports(self.store.frame(), out_dir, cost=self.cost)
        if self.store.path is not None:
            paths["scores"] = self.store.path
        return board, paths
