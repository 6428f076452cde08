"""Benchmark cases from a world and a selection: ids, the paper's expected failures, selection errors."""
import pytest

from benchmark.cases import MINI_WORLD, build_cases
from fakebench.core.errors import FakebenchError


def test_case_ids_and_expected_failures():
    cases = build_cases(MINI_WORLD)
    ids = [c.id for c in cases]
    labels = sorted({c.detector.label for c in cases})
    assert labels == [f"{r}-{d}" for r in ("aligned", "baseline") for d in ("freq-lr", "resnet50", "small-cnn")]
    assert len(ids) == len(labels) * 3 * len(MINI_WORLD.perturbation_ids()) == len(set(ids))
    assert len(MINI_WORLD.perturbation_ids()) >= 20
    assert "aligned-resnet50-mini-playground-jpeg75" in ids
    by_id = {c.id: c for c in cases}
    assert by_id["aligned-resnet50-mini-playground-jpeg75"].expected_failure == ""
    assert "autoencoder" in by_id["aligned-resnet50-mini-othervae-identity"].expected_failure
    assert "resolution" in by_id["baseline-resnet50-mini-sd-resize0.5"].expected_failure
    assert by_id["baseline-resnet50-mini-sd-identity"].expected_failure == ""
    assert "resolution" in by_id["baseline-resnet50-mini-sd-short48"].expected_failure  # below the native 64 px
    assert by_id["baseline-resnet50-mini-sd-short96"].expected_failure == ""
    assert "WebP" in by_id["aligned-resnet50-mini-sd-jpeg75+webp75"].expected_failure
    assert by_id["baseline-resnet50-mini-sd-webp50"].expected_failure == ""  # the paper says nothing of it


def test_detector_selection_by_label_and_glob():
    cases = build_cases(MINI_WORLD, detectors=["*-resnet50"], generators=["mini-sd"], perturbations=["identity"])
    assert [c.id for c in cases] == ["aligned-resnet50-mini-sd-identity", "baseline-resnet50-mini-sd-identity"]
    # a registered detector outside the world's defaults is selectable by name (trained, so per recipe)
    nodown = build_cases(MINI_WORLD, detectors=["aligned-resnet50-nodown"], generators=["mini-sd"],
                         perturbations=["identity"])
    assert [c.detector.detector for c in nodown] == ["resnet50-nodown"]
    with pytest.raises(FakebenchError, match="aligned-resnet50"):
        build_cases(MINI_WORLD, detectors=["resnet99"])


def test_unknown_generator_in_selection_is_a_clear_error():
    with pytest.raises(FakebenchError, match="mini-playground"):
        build_cases(MINI_WORLD, generators=["sd-xl"])
