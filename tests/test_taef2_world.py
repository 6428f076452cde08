"""The taef2 worlds at the case and session level: which detectors and cases exist, what the test
fakes of a reconstruction-only generator are, and what a CPU run of the GPU-sized world says."""
from dataclasses import replace

import pytest

from fakebench.benchmark.cases import build_cases
from fakebench.benchmark.session import BenchSession
from fakebench.benchmark.world_files import load_world
from tests.jobs_helpers import benchmark_in_process

MINI_SMOKE_WORLD, TAEF2_WORLD, TAEF2_SMOKE_WORLD = (load_world(n) for n in ("mini-smoke", "taef2", "taef2-smoke"))


def test_taef2_world_trains_the_paper_recipe_on_taef2_and_tests_the_mini_generators_too():
    cases = build_cases(TAEF2_WORLD)
    assert {c.detector.label for c in cases} == {"aligned-resnet50-nodown", "aligned-sync-resnet50-nodown",
                                                 "aligned-shader-resnet50-nodown"}
    shader = next(c.detector for c in cases if c.detector.procedural)
    assert shader.reals == f"procedural:{TAEF2_WORLD.reals.procedural}" and shader.recipe == "aligned"
    assert TAEF2_WORLD.train.schedule == "paper" and TAEF2_WORLD.train.augment.preset == "paper"
    assert all(c.detector.generator == "taef2" for c in cases)
    assert {c.generator for c in cases} == {"taef2", "mini-sd", "mini-playground", "mini-othervae"}
    by_id = {c.id: c for c in cases}
    assert by_id["aligned-resnet50-nodown-taef2-identity"].expected_failure == ""
    assert by_id["aligned-resnet50-nodown-taef2-jpeg75"].expected_failure == ""
    assert "WebP" in by_id["aligned-resnet50-nodown-taef2-webp50"].expected_failure
    assert "autoencoder" in by_id["aligned-resnet50-nodown-mini-sd-identity"].expected_failure
    assert TAEF2_WORLD.reals.corpus.min_side == 96 and TAEF2_WORLD.reals.corpus.max_side == 256
    assert TAEF2_WORLD.cpu_warning and "taef2-smoke" in TAEF2_WORLD.cpu_warning


def test_reconstruction_only_generator_tests_on_the_held_out_reals_round_trips(tiny_corpus):
    session = BenchSession(TAEF2_SMOKE_WORLD)
    fakes, reals = session.test_fakes("taef2"), session.test_reals
    assert len(fakes) == len(reals) > 0 and fakes.label == 1
    assert [f.image_id for f in fakes.records] == [f"{r.image_id}-recon" for r in reals.records]
    assert [(f.width, f.height) for f in fakes.records] == [(r.width, r.height) for r in reals.records]
    # a world can test on the round trips of an evenly spaced part of the held-out reals
    session = BenchSession(replace(TAEF2_SMOKE_WORLD, test=replace(TAEF2_SMOKE_WORLD.test, reconstructions=3)))
    part = session.test_fakes("taef2")
    assert len(part) == 3 and {r.image_id for r in part.records} <= {f"{r.image_id}-recon" for r in reals.records}
    assert len({r.image_id.rsplit("-", 2)[0] for r in part.records}) == 3  # one from each test photo
    # a generating generator still gets fresh samples
    assert len(BenchSession(MINI_SMOKE_WORLD).test_fakes("mini-sd")) == MINI_SMOKE_WORLD.test.fakes


@pytest.mark.integration
def test_gpu_world_on_cpu_warns_once_and_points_to_smoke(prepared_mini_smoke, pytester):
    result = benchmark_in_process(pytester, "--world", "taef2", "--collect-only", "-q")
    assert result.ret == 0, result.stderr.str()[-2000:]
    warnings = [line for line in result.stderr.lines if "warning" in line]
    assert len(warnings) == 1 and "taef2-smoke" in warnings[0] and "hours" in warnings[0]
    assert "aligned-resnet50-nodown-taef2-identity" in result.stdout.str()


@pytest.mark.integration
def test_claims_the_taef2_world_cannot_judge_are_skipped_with_why(prepared_mini_smoke, pytester):
    result = benchmark_in_process(pytester, "--world", "taef2-smoke", "-k", "C1 or C2 or C5", "-rs", "-q")
    stdout = result.stdout.str()
    assert result.ret == 0, stdout[-2000:]
    assert "4 skipped" in stdout and stdout.count("cannot judge") == 4  # C1, C2a, C2b, C5
    assert "TAEF2 cannot generate" in stdout
