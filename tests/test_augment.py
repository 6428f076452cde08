"""Augmentation presets: light and paper, drawn as params then applied."""
import pickle
from dataclasses import asdict

import numpy as np
import pytest
from PIL import Image

from fakebench.core.errors import FakebenchError
from fakebench.detectors.augment import PRESETS, AugmentConfig, apply, augment_config, augment_preset, sample_params


def _image(w: int, h: int, seed: int = 0) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8), "RGB")


def test_presets_are_configs_with_the_papers_probabilities():
    assert PRESETS["light"] == AugmentConfig()  # today's augmentation is the light preset
    paper = PRESETS["paper"]
    assert (paper.resized_crop_prob, paper.jitter_prob, paper.grayscale_prob, paper.cutout_prob, paper.noise_prob,
            paper.blur_prob, paper.jpeg_prob) == (0.2, 0.8, 0.2, 0.2, 0.2, 0.5, 0.5)
    assert paper.blur_sigma == (0.0, 3.0) and paper.jpeg_quality == (30, 100) and paper.rot90 and paper.crop == 96
    assert augment_preset("paper", crop=48).crop == 48  # a world sets its crop
    assert augment_config(asdict(paper)) == paper  # round-trips through a sidecar's JSON
    with pytest.raises(FakebenchError, match="presets: light, paper"):
        augment_preset("heavy")


@pytest.mark.parametrize("preset", ["light", "paper"])
def test_params_are_a_pure_function_of_the_generator_state(preset):
    cfg = augment_preset(preset, crop=40)
    for i in range(20):
        a = sample_params(np.random.default_rng([3, 1, i]), (70 + i, 50 + 2 * i), cfg)
        b = sample_params(np.random.default_rng([3, 1, i]), (70 + i, 50 + 2 * i), cfg)
        assert pickle.dumps(a) == pickle.dumps(b)
        image = _image(70 + i, 50 + 2 * i, i)
        out = apply(image, a)
        assert out.size == (40, 40) and np.array_equal(np.asarray(out), np.asarray(apply(image, b)))
    with pytest.raises(ValueError, match="drawn for size"):
        apply(_image(30, 30), a)


def test_paper_preset_draws_each_operation_at_its_rate():
    cfg = PRESETS["paper"]
    draws = [sample_params(np.random.default_rng([0, 0, i]), (128, 100), cfg) for i in range(2000)]
    rate = {
        "resized crop": np.mean([p.resized_crop is not None for p in draws]),
        "jitter": np.mean([p.jitter is not None for p in draws]),
        "gray": np.mean([p.grayscale for p in draws]),
        "cutout": np.mean([p.cutout is not None for p in draws]),
        "noise": np.mean([p.noise_sigma > 0 for p in draws]),
        "blur": np.mean([p.blur_sigma is not None for p in draws]),
        "jpeg": np.mean([p.jpeg_quality is not None for p in draws]),
        "flip": np.mean([p.flip for p in draws]),
    }
    expected = {"resized crop": 0.2, "jitter": 0.8, "gray": 0.2, "cutout": 0.2, "noise": 0.2, "blur": 0.5,
                "jpeg": 0.5, "flip": 0.5}
    assert rate == pytest.approx(expected, abs=0.04)
    assert {p.rot90 for p in draws} == {0, 1, 2, 3}
    qualities = [p.jpeg_quality for p in draws if p.jpeg_quality is not None]
    assert min(qualities) >= 30 and max(qualities) <= 100
    assert all(0 <= p.blur_sigma <= 3 for p in draws if p.blur_sigma is not None)
    # small images are padded (paper) or upscaled (light) to the crop, never dropped
    small = sample_params(np.random.default_rng(1), (50, 40), cfg)
    assert small.pad != (0, 0) or small.resized_crop is not None
    assert apply(_image(50, 40), small).size == (96, 96)
    assert sample_params(np.random.default_rng(1), (30, 20), PRESETS["light"]).upscale_to is not None
