"""The benchmark session: builds, lazily and once, only the artifacts the selected cases need."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd
import torch

from benchmark.cases import Case, WorldConfig
from benchmark.perturbations import parse_perturbation
from benchmark.scoring import cached_scores
from detectors.trainable import CheckpointInfo, NetworkDetector
from detectors.train import DetectorSpec, trained_detector
from generators import create_generator
from generators.base import Generator
from generators.imagesets import ImageSet, generated_set, real_split
from leaderboard.metrics import CaseMetrics, case_metrics
from leaderboard.store import ScoreStore

log = logging.getLogger(__name__)

TEST_FAKE_SEED = 0  # test fakes use seeds 0..; training fakes use 10_000+ (see detectors.train)


@dataclass
class CaseResult:
    case: Case
    metrics: CaseMetrics
    checkpoint: str


class BenchSession:
    def __init__(self, world: WorldConfig, seed: int = 0, device: str = "cpu") -> None:
        self.world, self.seed, self.device = world, seed, torch.device(device)
        self.store = ScoreStore()
        self._generators: dict[str, Generator] = {}
        self._detectors: dict[DetectorSpec, tuple[NetworkDetector, CheckpointInfo]] = {}
        self._fakes: dict[str, ImageSet] = {}

    def generator(self, name: str) -> Generator:
        if name not in self._generators:
            self._generators[name] = create_generator(name, device=self.device)
        return self._generators[name]

    @cached_property
    def test_reals(self) -> ImageSet:
        return real_split("test", self.world.corpus)

    def test_fakes(self, generator: str) -> ImageSet:
        if generator not in self._fakes:
            self._fakes[generator] = generated_set(self.generator(generator), self.world.n_test_fakes,
                                                   seed=TEST_FAKE_SEED + self.seed)
        return self._fakes[generator]

    def detector(self, spec: DetectorSpec) -> tuple[NetworkDetector, CheckpointInfo]:
        if spec not in self._detectors:
            self._detectors[spec] = trained_detector(spec, self.generator(spec.generator), self.world.corpus,
                                                     self.world.train, device=self.device)
        return self._detectors[spec]

    def run_case(self, case: Case) -> CaseResult:
        detector, _ = self.detector(case.detector)
        perturbation = parse_perturbation(case.perturbation)
        parts = []
        for imageset in (self.test_reals, self.test_fakes(case.generator)):
            frame = cached_scores(detector, detector.checkpoint_hash, imageset, perturbation, self.seed)
            parts.append(frame)
        frame = pd.concat(parts, ignore_index=True)
        frame = frame.assign(case_id=case.id, detector=case.detector.label, checkpoint=detector.checkpoint_hash,
                             generator=case.generator, perturbation=case.perturbation, seed=self.seed, split="test")
        frame = self.store.add(frame)
        ok = frame[frame["error"] == ""]
        metrics = case_metrics(ok["label"], ok["score"], n_failed=int((frame["error"] != "").sum()))
        return CaseResult(case, metrics, detector.checkpoint_hash)

    def write_outputs(self, out_dir: Path) -> dict[str, Path]:
        from leaderboard.tables import write_reports

        paths = write_reports(self.store.frame(), out_dir)
        paths["scores"] = self.store.save(out_dir / "scores.csv")
        return paths
