import json

import pytest
import torch

from fakebench.core.errors import FakebenchError
from fakebench.data.reals import corpus_reals
from fakebench.detectors import create_detector
from fakebench.detectors.augment import AugmentConfig
from fakebench.detectors.recipes import training_data
from fakebench.detectors.spec import DetectorSpec
from fakebench.detectors.trainable import sidecar_path
from fakebench.detectors.trained import WorldReals, trained_detector
from fakebench.detectors.training_loop import TrainConfig, fit_network
from fakebench.detectors.validation import validate
from fakebench.evaluation.scoring import score_images
from fakebench.generators import create_generator

TINY = TrainConfig(epochs=1, batch_size=4, augment=AugmentConfig(crop=32))


def test_recipes_differ_only_in_their_fakes(tiny_corpus):
    gen = create_generator("mini-sd")
    aligned = training_data("aligned", gen, *corpus_reals(tiny_corpus), 0)
    baseline = training_data("baseline", gen, *corpus_reals(tiny_corpus), 0)
    assert aligned.real.content_hash == baseline.real.content_hash
    assert aligned.val_real.content_hash == baseline.val_real.content_hash
    assert aligned.fake.content_hash != baseline.fake.content_hash
    assert len(aligned.fake) == len(baseline.fake) == len(aligned.real)
    # aligned fakes have the reals' sizes; generated fakes the generator's fixed size
    assert [(r.width, r.height) for r in aligned.fake.records] == [(r.width, r.height) for r in aligned.real.records]
    assert {(r.width, r.height) for r in baseline.fake.records} == {(64, 64)}
    with pytest.raises(FakebenchError, match="unknown recipe"):
        training_data("nope", gen, *corpus_reals(tiny_corpus), 0)


def test_one_training_epoch_updates_weights(tiny_corpus):
    gen = create_generator("mini-sd")
    data = training_data("aligned", gen, *corpus_reals(tiny_corpus), 0)
    det = create_detector("resnet50", width=8)
    before = {k: v.clone() for k, v in det.network.state_dict().items()}
    fit_network(det, data, TINY)
    val = validate(det, data)
    after = det.network.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)
    # validation reports the metrics of the trained network's own scores on the validation sets
    from sklearn.metrics import roc_auc_score

    reals, fakes = score_images(det, data.val_real), score_images(det, data.val_fake)
    labels, scores = [0] * len(reals) + [1] * len(fakes), [*reals["score"], *fakes["score"]]
    assert val["auc"] == pytest.approx(roc_auc_score(labels, scores), abs=1e-9)
    assert val["real_acc"] == pytest.approx((reals["score"] < 0.5).mean(), abs=1e-9)


def test_loader_workers_change_no_weight_and_no_checkpoint_key(tiny_corpus):
    """Workers (the default on a many-core GPU host) only feed the model: every augmentation draw comes from
    (seed, epoch, index), so two workers train the same bits as none, and the key ignores the count."""
    from dataclasses import replace

    data = training_data("aligned", create_generator("mini-sd"), *corpus_reals(tiny_corpus), 0)
    weights = []
    for workers in (0, 2):
        torch.manual_seed(0)  # the same initial weights
        det = create_detector("resnet50", width=8)
        fit_network(det, data, replace(TINY, num_workers=workers))
        weights.append(det.network.state_dict())
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    assert replace(TINY, num_workers=2).for_key() == replace(TINY, num_workers=None).for_key() == TINY.for_key()
    assert TrainConfig().num_workers is None and replace(TINY, num_workers=3).workers() == 3


def test_checkpoint_cache_round_trip_and_integrity(tiny_corpus):
    gen = create_generator("mini-sd")
    spec = DetectorSpec("resnet50", "baseline", "mini-sd", (("width", 8),))
    det, info, _ = trained_detector(spec, gen, WorldReals(corpus=tiny_corpus), TINY)
    reals = training_data("baseline", gen, *corpus_reals(tiny_corpus), 0).val_real
    first = score_images(det, reals)["score"].tolist()
    assert info.recipe == "baseline" and set(info.validation) >= {"bal_acc", "auc"}
    assert any(k.startswith("train_fake:") for k in info.data)

    again, info2, _ = trained_detector(spec, gen, WorldReals(corpus=tiny_corpus), TINY)  # loads, does not retrain
    assert info2.seconds == info.seconds and again.checkpoint_hash == det.checkpoint_hash
    assert score_images(again, reals)["score"].tolist() == pytest.approx(first, abs=1e-6)

    path = next(p for p in (gen_path for gen_path in _checkpoints()) if p.name == "model.safetensors")
    sidecar = json.loads(sidecar_path(path).read_text())
    assert sidecar["weights_sha256"] and sidecar["versions"]["torch"] == torch.__version__
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(FakebenchError, match="sha256"):
        trained_detector(spec, gen, WorldReals(corpus=tiny_corpus), TINY)


def _checkpoints():
    from fakebench.core.cache import home

    return sorted((home() / "checkpoints").rglob("*.safetensors"))


def test_training_is_reproducible_whatever_ran_before(tiny_corpus, tmp_path, monkeypatch):
    """Same seed, data and config give the same weights, even if the process used its global
    random state differently beforehand (initial weights are seeded, not inherited)."""
    gen = create_generator("mini-sd")
    spec = DetectorSpec("resnet50", "aligned", "mini-sd", (("width", 8),))
    det_a, info_a, _ = trained_detector(spec, gen, WorldReals(corpus=tiny_corpus), TINY)
    torch.rand(1234)  # disturb the global generator
    monkeypatch.setenv("FAKEBENCH_HOME", str(tmp_path / "other-home"))
    det_b, info_b, _ = trained_detector(spec, gen, WorldReals(corpus=tiny_corpus), TINY)
    assert info_b.weights_sha256 == info_a.weights_sha256


def test_every_zoo_detector_trains_by_the_recipes_and_reloads(tiny_corpus):
    """small-cnn and freq-lr go through the same recipe, cache and checkpoint path as resnet50."""
    gen = create_generator("mini-sd")
    for name, kwargs in (("small-cnn", (("channels", (4, 8, 8, 8)),)), ("freq-lr", ())):
        spec = DetectorSpec(name, "aligned", "mini-sd", kwargs)
        det, info, _ = trained_detector(spec, gen, WorldReals(corpus=tiny_corpus), TINY)
        data = training_data("aligned", gen, *corpus_reals(tiny_corpus), 0)
        assert info.detector == name and info.validation == pytest.approx(validate(det, data), abs=1e-9)
        again, info2, _ = trained_detector(spec, gen, WorldReals(corpus=tiny_corpus), TINY)  # from the checkpoint
        assert info2.weights_sha256 == info.weights_sha256 and again.checkpoint_hash == det.checkpoint_hash
        a, b = score_images(det, data.val_fake), score_images(again, data.val_fake)
        assert a["score"].between(0, 1).all() and list(a["score"]) == list(b["score"])


def test_a_detector_without_training_methods_cannot_take_a_recipe(tiny_corpus):
    from fakebench.detectors import InputPolicy, register_detector
    from fakebench.detectors.registry import DETECTORS

    class Fixed:  # the detector protocol, duck-typed, without train_on/save/load
        name, policy = "fixed-test", InputPolicy()

        def score(self, images):
            return torch.full((len(images),), 0.5)

    register_detector("fixed-test", Fixed)
    try:
        with pytest.raises(FakebenchError, match="cannot be trained"):
            trained_detector(DetectorSpec("fixed-test", "aligned", "mini-sd"), create_generator("mini-sd"),
                             WorldReals(corpus=tiny_corpus), TINY)
    finally:
        DETECTORS.unregister("fixed-test")


def test_a_reconstruct_only_generator_is_enough_for_the_aligned_recipe(tiny_corpus):
    """The documented generator plugin (docs/tutorials/plugin-detector.md): info, fingerprint and reconstruct,
    nothing else."""
    from fakebench.generators.base import Generator, GeneratorInfo

    class BlurVAE(Generator):
        info = GeneratorInfo("blur-vae", family="test", autoencoder="blur", denoiser="none", resolution=64)
        fingerprint = "blur-vae-v1"

        def reconstruct(self, images):
            return torch.nn.functional.avg_pool2d(images, 3, stride=1, padding=1, count_include_pad=False)

    gen = BlurVAE()
    assert gen.can_reconstruct and not gen.can_generate
    data = training_data("aligned", gen, *corpus_reals(tiny_corpus), 0)
    assert len(data.fake) == len(data.real)
    with pytest.raises(FakebenchError, match="cannot generate"):
        training_data("baseline", gen, *corpus_reals(tiny_corpus), 0)


def test_aligned_fakes_stored_like_their_reals_differ_by_pixels_alone(tiny_corpus):
    """`like-reals`: each reconstruction a JPEG with its real's tables, in pair order for aligned-sync; the
    key moves with the bytes, the sidecar says how they were stored; an unknown storage is one line."""
    from PIL import Image

    gen = create_generator("mini-sd")
    png = training_data("aligned-sync", gen, *corpus_reals(tiny_corpus), 0)
    like = training_data("aligned-sync", gen, *corpus_reals(tiny_corpus), 0, storage="like-reals")
    assert like.paired and like.fakes_stored == "like-reals" and png.fakes_stored == "png"
    assert like.real.content_hash == png.real.content_hash and like.fake.content_hash != png.fake.content_hash
    for reals, fakes in ((like.real, like.fake), (like.val_real, like.val_fake)):
        assert len(fakes) == len(reals)
        for real, fake in zip(reals.records, fakes.records):
            with Image.open(reals.path(real)) as r, Image.open(fakes.path(fake)) as f:
                assert f.format == r.format == "JPEG" and f.quantization == r.quantization and f.size == r.size
    assert training_data("baseline", gen, *corpus_reals(tiny_corpus), 0, storage="like-reals").fakes_stored == ""
    with pytest.raises(FakebenchError, match="unknown storage of aligned fakes 'jpeg'") as info:
        training_data("aligned", gen, *corpus_reals(tiny_corpus), 0, storage="jpeg")
    assert "\n" not in str(info.value)
    spec = DetectorSpec("small-cnn", "aligned", "mini-sd")
    _, as_png, path_png = trained_detector(spec, gen, WorldReals(corpus=tiny_corpus), TINY)
    _, stored, path_like = trained_detector(spec, gen, WorldReals(corpus=tiny_corpus), TINY, storage="like-reals")
    assert path_png != path_like
    assert as_png.training["fakes_stored"] == "png" and stored.training["fakes_stored"] == "like-reals"
