"""WebP as a training augmentation (the paper's suggested mitigation) and claim C7 that judges it: the
presets really apply WebP, leave the WebP-free presets' draws alone, a DetectorSpec variant trains with
them, a world lists that variant, and C7's judge reads it against C4a on synthetic results."""
import io
import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from fakebench.benchmark.cases import build_cases, detector_specs
from fakebench.benchmark.world import WEBP_RUN
from fakebench.benchmark.world_files import load_world
from fakebench.core.errors import FakebenchError
from fakebench.core.imageio import decode, encode
from fakebench.core.version import __version__
from fakebench.detectors.augment import PRESETS, AugmentParams, apply, augment_preset, sample_params, with_webp
from fakebench.detectors.spec import DetectorSpec
from fakebench.detectors.training_loop import TrainConfig
from fakebench.evaluation.claims import CLAIMS_BY_ID, ClaimContext, evaluate


def _image(side: int = 64) -> Image.Image:
    return Image.fromarray(np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8), "RGB")


def test_webp_presets_add_webp_at_the_jpeg_rate_and_range():
    for name in ("light", "paper"):
        base, webp = PRESETS[name], PRESETS[f"{name}-webp"]
        assert base.webp_prob == 0 and webp == replace(base, preset=f"{name}-webp", webp_prob=base.jpeg_prob,
                                                        webp_quality=base.jpeg_quality)
        assert augment_preset(f"{name}-webp", crop=32).webp_prob == base.jpeg_prob
    assert with_webp(PRESETS["light-webp"]) == PRESETS["light-webp"]  # adding it twice changes nothing
    draws = [sample_params(np.random.default_rng([0, i]), (80, 80), PRESETS["paper-webp"]) for i in range(1000)]
    qualities = [p.webp_quality for p in draws if p.webp_quality is not None]
    assert len(qualities) / len(draws) == pytest.approx(0.5, abs=0.05) and 30 <= min(qualities) < max(qualities) <= 100
    # independent of JPEG: some images get both
    assert any(p.jpeg_quality is not None and p.webp_quality is not None for p in draws)
    plain = [sample_params(np.random.default_rng([0, i]), (80, 80), PRESETS["paper"]) for i in range(200)]
    assert all(p.webp_quality is None for p in plain)


def test_the_webp_step_really_encodes_webp():
    im = _image()
    params = AugmentParams(size=(64, 64), webp_quality=40, crop=(0, 0, 64))
    out = np.asarray(apply(im, params))
    assert not np.array_equal(out, np.asarray(im))  # the decode differs from the input
    assert np.array_equal(out, np.asarray(decode(encode(im, "WEBP", 40))))
    assert not np.array_equal(out, np.asarray(decode(encode(im, "JPEG", 40))))
    buf = io.BytesIO(encode(im, "WEBP", 40))
    assert Image.open(buf).format == "WEBP"


def test_a_spec_variant_trains_with_webp_added_to_the_worlds_augmentation():
    spec = DetectorSpec.of("resnet50", "aligned", "mini-sd", {"width": 8}, augment="webp")
    assert spec.label == "aligned-webp-resnet50" and spec != DetectorSpec.of("resnet50", "aligned", "mini-sd",
                                                                              {"width": 8})
    world = TrainConfig(augment=augment_preset("paper", crop=32))
    assert spec.train_config(world).augment == with_webp(world.augment)
    assert spec.train_config(world).augment.crop == 32 and spec.train_config(world).epochs == world.epochs
    assert DetectorSpec("resnet50", "aligned", "mini-sd").train_config(world) is world
    with pytest.raises(FakebenchError, match="augment='webp'"):
        DetectorSpec("resnet50", "aligned", "mini-sd", augment="avif").train_config(world)


def test_a_world_lists_the_webp_variant_and_expects_no_webp_failure_from_it():
    smoke = load_world("mini-smoke")
    world = replace(smoke, detectors=tuple(replace(d, runs=(*d.runs, WEBP_RUN)) if d.name == "resnet50" else d
                                           for d in smoke.detectors))
    specs, defaults = detector_specs(world)
    assert "aligned-webp-resnet50" in specs and "aligned-webp-resnet50" in defaults
    assert "aligned-webp-resnet50" not in detector_specs(smoke)[0]
    cases = {(c.detector.label, c.perturbation): c
             for c in build_cases(world, ["aligned-resnet50", "aligned-webp-resnet50"], ["mini-sd"], ["webp50"])}
    assert cases["aligned-resnet50", "webp50"].expected_failure.startswith("known limit: WebP")
    assert cases["aligned-webp-resnet50", "webp50"].expected_failure == ""


# ------------------------------------------------------------------------------------------- C7

N = 80


def _case(detector: str, pert: str, fake_acc: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng([seed, len(detector), len(pert)])
    real = rng.uniform(0.0, 0.49, N)
    fake = np.where(rng.random(N) < fake_acc, rng.uniform(0.51, 1.0, N), rng.uniform(0.0, 0.49, N))
    return pd.DataFrame({
        "case_id": f"{detector}-mini-sd-{pert}", "detector": detector, "checkpoint": f"ck{seed}",
        "generator": "mini-sd", "split": "test", "perturbation": pert, "seed": seed, "bench_seed": 0,
        "image_id": [f"r{i}" for i in range(N)] + [f"f{i}" for i in range(N)],
        "label": [0] * N + [1] * N, "score": np.r_[real, fake], "error": "", "fakebench_version": __version__,
    })


def _mini(scores: pd.DataFrame) -> ClaimContext:
    """C7's context in the mini world: its detectors trained on mini-sd (the world's training generator)."""
    return ClaimContext(scores, trained_on=load_world("mini").train_generator)


def _store(plain_webp_acc: float, webp_trained_webp_acc: float) -> pd.DataFrame:
    parts = [_case(det, pert, acc, seed) for seed in (0, 1, 2)
             for det, pert, acc in (("aligned-resnet50", "identity", 1.0),
                                    ("aligned-resnet50", "webp50", plain_webp_acc),
                                    ("aligned-webp-resnet50", "identity", 1.0),
                                    ("aligned-webp-resnet50", "webp50", webp_trained_webp_acc))]
    return pd.concat(parts, ignore_index=True)


def test_c7_reads_the_webp_trained_detector_and_needs_c4as_cases():
    needs = CLAIMS_BY_ID["C7"].needs(_mini(pd.DataFrame()))
    assert ("aligned-webp-resnet50", "mini-sd", "webp50") in needs
    assert ("aligned-resnet50", "mini-sd", "webp50") in needs
    other = CLAIMS_BY_ID["C7"].needs(ClaimContext(pd.DataFrame(), backbone="npr", trained_on="taef2"))
    assert ("aligned-webp-npr", "taef2", "identity") in other


def test_c7_holds_when_webp_training_removes_a_shown_limit():
    r = evaluate(CLAIMS_BY_ID["C7"], _mini(_store(plain_webp_acc=0.5, webp_trained_webp_acc=1.0)))
    assert r.judged and r.outcome == "holds" and r.value == pytest.approx(0.0, abs=1e-9) and r.margin == 0.05
    assert re.search(r"aligned-resnet50 \(C4a\) drops \+0\.2\d\d \[", r.detail) and "shows the limit" in r.detail


def test_c7_fails_when_the_webp_trained_detector_still_drops():
    r = evaluate(CLAIMS_BY_ID["C7"], _mini(_store(plain_webp_acc=0.5, webp_trained_webp_acc=0.6)))
    assert r.judged and r.outcome == "fails" and r.value == pytest.approx(0.2, abs=0.03)


def test_c7_says_when_there_was_no_limit_to_remove_and_when_its_detector_is_missing():
    r = evaluate(CLAIMS_BY_ID["C7"], _mini(_store(plain_webp_acc=1.0, webp_trained_webp_acc=1.0)))
    assert r.outcome == "holds" and "there was none to remove" in r.detail
    store = _store(0.5, 1.0)
    r = evaluate(CLAIMS_BY_ID["C7"], _mini(store[store["detector"] == "aligned-resnet50"]))
    assert r.verdict == "no data" and "aligned-webp-resnet50" in r.detail
