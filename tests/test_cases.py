"""Benchmark cases from a world and a selection: ids, the paper's expected failures, selection errors."""
import pytest

from fakebench.benchmark.cases import build_cases
from fakebench.benchmark.world_files import load_world
from fakebench.core.errors import FakebenchError

MINI_WORLD = load_world("mini")


def test_case_ids_and_expected_failures():
    cases = build_cases(MINI_WORLD)
    ids = [c.id for c in cases]
    labels = sorted({c.detector.label for c in cases})
    grid = [f"{r}-resnet50" for r in ("aligned", "baseline")]  # the paper's detector: the whole grid
    # scored under the world's four perturbations only (its [[score]] rules): the other backbones, Sync and
    # the shader experiment
    added = [f"{r}-{d}" for r in ("aligned", "baseline") for d in ("freq-lr", "small-cnn")]
    added += ["aligned-shader-resnet50", "aligned-sync-resnet50"]
    assert labels == sorted(grid + added)
    n_added = len(MINI_WORLD.perturbation_ids(MINI_WORLD.score[0].perturbations))
    added_generators = MINI_WORLD.score[1].generators
    grid_generators = [g for g in MINI_WORLD.generators if g not in added_generators]
    assert grid_generators == ["mini-sd"]
    n_grid = len(MINI_WORLD.perturbation_ids("grid"))
    assert len(ids) == (len(grid_generators) * (len(grid) * n_grid + len(added) * n_added)
                        + len(added_generators) * (len(grid) + len(added)) * n_added) == len(set(ids))
    assert "aligned-small-cnn-mini-sd-jpeg50" in ids and "aligned-small-cnn-mini-sd-blur1" not in ids
    assert "baseline-resnet50-mini-othervae-jpeg50" in ids and "baseline-resnet50-mini-othervae-blur1" not in ids
    # a run that names perturbations gets them for every detector and generator
    assert len(build_cases(MINI_WORLD, perturbations=["blur1"])) == len(labels) * len(MINI_WORLD.generators)
    assert "aligned-resnet50-taef2-jpeg50" in ids and "aligned-resnet50-taef2-blur1" not in ids
    assert "aligned-sync-resnet50-mini-sd-resize0.5+jpeg75" in ids and "aligned-sync-resnet50-mini-sd-blur1" not in ids
    assert "WebP" in next(c for c in build_cases(MINI_WORLD, ["aligned-sync-resnet50"], ["mini-sd"], ["webp50"])
                          ).expected_failure
    assert len(MINI_WORLD.perturbation_ids()) >= 20
    assert "aligned-resnet50-mini-playground-jpeg50" in ids and "aligned-resnet50-mini-playground-jpeg75" not in ids
    by_id = {c.id: c for c in build_cases(MINI_WORLD, perturbations=["grid"])}  # every detector on the grid
    assert "baseline-freq-lr-taef2-jpeg50" in by_id and len(by_id) > len(ids)
    assert by_id["aligned-resnet50-mini-playground-jpeg75"].expected_failure == ""
    assert "autoencoder" in by_id["aligned-resnet50-mini-othervae-identity"].expected_failure
    # taef2: a real pretrained decoder none of the mini detectors saw (the paper's "different autoencoder")
    assert "autoencoder" in by_id["aligned-resnet50-taef2-identity"].expected_failure
    assert "autoencoder" in by_id["baseline-freq-lr-taef2-jpeg50"].expected_failure
    assert "resolution" in by_id["baseline-resnet50-mini-sd-resize0.5"].expected_failure
    assert by_id["baseline-resnet50-mini-sd-identity"].expected_failure == ""
    assert "resolution" in by_id["baseline-resnet50-mini-sd-short48"].expected_failure  # below the native 64 px
    assert by_id["baseline-resnet50-mini-sd-short96"].expected_failure == ""
    assert "WebP" in by_id["aligned-resnet50-mini-sd-jpeg75+webp75"].expected_failure
    assert by_id["baseline-resnet50-mini-sd-webp50"].expected_failure == ""  # the paper says nothing of it


def test_detector_selection_by_label_and_glob():
    cases = build_cases(MINI_WORLD, detectors=["*-resnet50"], generators=["mini-sd"], perturbations=["identity"])
    assert [c.id for c in cases] == ["aligned-resnet50-mini-sd-identity", "aligned-shader-resnet50-mini-sd-identity",
                                     "aligned-sync-resnet50-mini-sd-identity", "baseline-resnet50-mini-sd-identity"]
    shader = next(c.detector for c in cases if "shader" in c.id)
    assert shader.recipe == "aligned" and shader.reals == "procedural:1400" and shader.procedural
    # a registered detector outside the world's defaults is selectable by name (trained, so per recipe)
    nodown = build_cases(MINI_WORLD, detectors=["aligned-resnet50-nodown"], generators=["mini-sd"],
                         perturbations=["identity"])
    assert [c.detector.detector for c in nodown] == ["resnet50-nodown"]
    with pytest.raises(FakebenchError, match="aligned-resnet50"):
        build_cases(MINI_WORLD, detectors=["resnet99"])


def test_unknown_generator_in_selection_is_a_clear_error():
    with pytest.raises(FakebenchError, match="mini-playground"):
        build_cases(MINI_WORLD, generators=["sd-xl"])
