import json

import pytest
import torch

from benchmark.scoring import score_images
from detectors import create_detector
from detectors.augment import AugmentConfig
from detectors.train import (
    DetectorSpec,
    TrainConfig,
    fit,
    trained_detector,
    training_data,
)
from detectors.trainable import sidecar_path
from fakebench.errors import FakebenchError
from generators import create_generator

TINY = TrainConfig(epochs=1, batch_size=4, augment=AugmentConfig(crop=32))


def test_recipes_differ_only_in_their_fakes(tiny_corpus):
    gen = create_generator("mini-sd")
    aligned = training_data("aligned", gen, tiny_corpus, seed=0)
    baseline = training_data("baseline", gen, tiny_corpus, seed=0)
    assert aligned.real.content_hash == baseline.real.content_hash
    assert aligned.val_real.content_hash == baseline.val_real.content_hash
    assert aligned.fake.content_hash != baseline.fake.content_hash
    assert len(aligned.fake) == len(baseline.fake) == len(aligned.real)
    # aligned fakes have the reals' sizes; generated fakes the generator's fixed size
    assert [(r.width, r.height) for r in aligned.fake.records] == [(r.width, r.height) for r in aligned.real.records]
    assert {(r.width, r.height) for r in baseline.fake.records} == {(64, 64)}
    with pytest.raises(FakebenchError, match="unknown recipe"):
        training_data("nope", gen, tiny_corpus, seed=0)


def test_one_training_epoch_updates_weights(tiny_corpus):
    gen = create_generator("mini-sd")
    data = training_data("aligned", gen, tiny_corpus, seed=0)
    det = create_detector("resnet50", width=8)
    before = {k: v.clone() for k, v in det.network.state_dict().items()}
    val = fit(det, data, TINY)
    after = det.network.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)
    assert 0.0 <= val["bal_acc"] <= 1.0 and 0.0 <= val["auc"] <= 1.0


def test_checkpoint_cache_round_trip_and_integrity(tiny_corpus):
    gen = create_generator("mini-sd")
    spec = DetectorSpec("resnet50", "baseline", "mini-sd", (("width", 8),))
    det, info = trained_detector(spec, gen, tiny_corpus, TINY)
    reals = training_data("baseline", gen, tiny_corpus, 0).val_real
    first = score_images(det, reals)["score"].tolist()
    assert info.recipe == "baseline" and set(info.validation) >= {"bal_acc", "auc"}
    assert any(k.startswith("train_fake:") for k in info.data)

    again, info2 = trained_detector(spec, gen, tiny_corpus, TINY)  # loads, does not retrain
    assert info2.seconds == info.seconds and again.checkpoint_hash == det.checkpoint_hash
    assert score_images(again, reals)["score"].tolist() == pytest.approx(first, abs=1e-6)

    path = next((p for p in (gen_path for gen_path in _checkpoints()) if p.name == "model.safetensors"))
    sidecar = json.loads(sidecar_path(path).read_text())
    assert sidecar["weights_sha256"] and sidecar["versions"]["torch"] == torch.__version__
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(FakebenchError, match="sha256"):
        trained_detector(spec, gen, tiny_corpus, TINY)


def _checkpoints():
    from fakebench.cache import home

    return sorted((home() / "checkpoints").rglob("*.safetensors"))


def test_training_is_reproducible_whatever_ran_before(tiny_corpus, tmp_path, monkeypatch):
    """Same seed, data and config give the same weights, even if the process used its global
    random state differently beforehand (initial weights are seeded, not inherited)."""
    gen = create_generator("mini-sd")
    spec = DetectorSpec("resnet50", "aligned", "mini-sd", (("width", 8),))
    det_a, info_a = trained_detector(spec, gen, tiny_corpus, TINY)
    torch.rand(1234)  # disturb the global generator
    monkeypatch.setenv("FAKEBENCH_HOME", str(tmp_path / "other-home"))
    det_b, info_b = trained_detector(spec, gen, tiny_corpus, TINY)
    assert info_b.weights_sha256 == info_a.weights_sha256
