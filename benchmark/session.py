"""The benchmark session: builds, lazily and once, only the artifacts the selected cases need."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd
import torch

from benchmark.cases import Case, WorldConfig
from benchmark.perturbations import Identity, Perturbation, parse_perturbation
from benchmark.scoring import cached_scores, score_images
from detectors.base import Detector
from detectors.registry import create_detector
from detectors.train import DetectorSpec, trained_detector
from fakebench import __version__
from generators import create_generator
from generators.base import Generator
from generators.imagesets import ImageSet, generated_set, real_split
from leaderboard.metrics import (
    BootstrapConfig,
    CaseMetrics,
    calibrated_threshold,
    case_metrics,
)
from leaderboard.store import CALIBRATION_SPLIT, TEST_SPLIT, ScoreStore

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
    def __init__(self, world: WorldConfig, seed: int = 0, device: str = "cpu", store_path: Path | None = None) -> None:
        self.world, self.seed, self.device = world, seed, torch.device(device)
        self.store = ScoreStore(store_path)
        self._generators: dict[str, Generator] = {}
        self._detectors: dict[DetectorSpec, Detector] = {}
        self._fakes: dict[str, ImageSet] = {}
        self._thresholds: dict[DetectorSpec, float] = {}

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
                                                   seed=TEST_FAKE_SEED + self.seed)
        return self._fakes[generator]

    def detector(self, spec: DetectorSpec) -> Detector:
        """Trained by its recipe (cached checkpoint), or built as it comes when it has no recipe."""
        if spec not in self._detectors:
            if spec.recipe:
                detector, _ = trained_detector(spec, self.generator(spec.generator), self.world.corpus,
                                               self.world.train, device=self.device)
            else:
                detector = create_detector(spec.detector, **dict(spec.kwargs))
                if isinstance(detector, torch.nn.Module):
                    detector = detector.to(self.device)
            self._detectors[spec] = detector
        return self._detectors[spec]

    def _scores(self, detector: Detector, imageset: ImageSet, perturbation: Perturbation) -> pd.DataFrame:
        """Scores are cached only for a detector that names its weights (`checkpoint_hash`): a plugin
        without one is scored afresh each run, so an edit to it can never meet stale scores."""
        checkpoint = getattr(detector, "checkpoint_hash", "")
        if checkpoint:
            return cached_scores(detector, checkpoint, imageset, perturbation, self.seed)
        return score_images(detector, imageset, perturbation, self.seed, progress=True)

    def _rows(self, frame: pd.DataFrame, spec: DetectorSpec, checkpoint: str, case_id: str, generator: str,
              perturbation: str, split: str) -> pd.DataFrame:
        return frame.assign(case_id=case_id, detector=spec.label, checkpoint=checkpoint, generator=generator,
                            split=split, perturbation=perturbation, seed=self.seed, fakebench_version=__version__)

    def calibration_threshold(self, spec: DetectorSpec) -> float:
        """Score the clean calibration reals once per detector, store them, return the threshold."""
        if spec not in self._thresholds:
            detector = self.detector(spec)
            frame = self._scores(detector, self.calibration_reals, Identity())
            rows = self.store.add(self._rows(frame, spec, _checkpoint(detector), f"{spec.label}-calibration", "",
                                             "identity", CALIBRATION_SPLIT))
            self._thresholds[spec] = calibrated_threshold(rows.loc[rows["error"] == "", "score"])
        return self._thresholds[spec]

    def run_case(self, case: Case) -> CaseResult:
        detector = self.detector(case.detector)
        threshold = self.calibration_threshold(case.detector)
        perturbation = parse_perturbation(case.perturbation)
        parts = [self._scores(detector, imageset, perturbation)
                 for imageset in (self.test_reals, self.test_fakes(case.generator))]
        frame = self.store.add(self._rows(pd.concat(parts, ignore_index=True), case.detector, _checkpoint(detector),
                                          case.id, case.generator, case.perturbation, TEST_SPLIT))
        ok = frame[frame["error"] == ""]
        metrics = case_metrics(ok["label"], ok["score"], n_failed=int((frame["error"] != "").sum()),
                               threshold_cal=threshold, bootstrap=BootstrapConfig(resamples=0))
        return CaseResult(case, metrics, _checkpoint(detector))

    def write_outputs(self, out_dir: Path) -> tuple[pd.DataFrame, dict[str, Path]]:
        from leaderboard.reports import write_reports

        board, paths = write_reports(self.store.frame(), out_dir)
        if self.store.path is not None:
            paths["scores"] = self.store.path
        return board, paths
