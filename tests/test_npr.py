"""NPR: the residual is the nearest down-up residual (zero on constant 2 x 2 blocks, not elsewhere, any
size), the `npr` detector trains by a recipe, and the ResNets take the residual as an input option."""
import pytest
import torch
import torch.nn.functional as F

from fakebench.core.errors import FakebenchError
from fakebench.detectors import create_detector
from fakebench.detectors.augment import AugmentConfig
from fakebench.detectors.npr import NPRResidual, npr_residual
from fakebench.detectors.spec import DetectorSpec
from fakebench.detectors.trained import WorldReals, trained_detector
from fakebench.detectors.training_loop import TrainConfig
from fakebench.generators import create_generator


def test_residual_is_zero_on_constant_2x2_blocks_and_nonzero_otherwise():
    torch.manual_seed(0)
    blocks = torch.rand(2, 3, 8, 12)
    constant = blocks.repeat_interleave(2, dim=-2).repeat_interleave(2, dim=-1)  # 16 x 24, constant 2 x 2 blocks
    assert torch.equal(npr_residual(constant), torch.zeros_like(constant))
    noisy = constant.clone()
    noisy[0, 1, 5, 7] += 0.25  # a pixel that is not its block's top-left
    residual = npr_residual(noisy)
    assert residual[0, 1, 5, 7] == pytest.approx(0.25) and torch.count_nonzero(residual) == 1
    assert torch.count_nonzero(npr_residual(torch.rand(1, 3, 16, 16))) > 0.7 * 3 * 16 * 16


def test_residual_matches_nearest_interpolation_and_keeps_odd_sizes():
    x = torch.rand(2, 3, 32, 48)
    down_up = F.interpolate(F.interpolate(x, scale_factor=0.5, mode="nearest"), scale_factor=2.0, mode="nearest")
    assert torch.equal(npr_residual(x), x - down_up)  # the official formulation
    odd = torch.rand(1, 3, 17, 9)
    out = npr_residual(odd)
    assert out.shape == odd.shape and torch.equal(out[..., 16, ::2], torch.zeros(1, 3, 5))
    assert torch.allclose(NPRResidual()(x), npr_residual(x) * 2 / 3)


def test_npr_has_the_papers_size_and_scores_any_size():
    assert create_detector("npr").parameter_count() == pytest.approx(1.44e6, rel=0.01)  # the paper's network
    small = create_detector("npr", width=8)
    assert small.parameter_count() < 30_000 and small.config == {"arch": "npr", "width": 8}
    scores = small.score(torch.rand(3, 3, 40, 56))
    assert scores.shape == (3,) and bool(((scores > 0) & (scores < 1)).all())


def test_resnets_take_the_npr_input_and_raw_keeps_its_config():
    raw = create_detector("resnet50-nodown", width=8)
    npr = create_detector("resnet50-nodown", width=8, input="npr")
    assert "input" not in raw.config  # raw checkpoints keep their cache keys
    assert npr.config == {**raw.config, "input": "npr"}
    assert isinstance(npr.network[0], NPRResidual)
    flat = torch.full((2, 3, 32, 32), 0.4)  # no residual at all: every image looks the same to it
    scores = npr.score(torch.cat([flat, flat * 2]))
    assert torch.allclose(scores, scores[0].expand(4))
    assert create_detector("resnet50", width=8, input="npr").config["input"] == "npr"
    with pytest.raises(FakebenchError, match="inputs: raw, npr"):
        create_detector("resnet50-nodown", input="dct")


def test_npr_trains_by_a_recipe_and_reloads_from_its_checkpoint(tiny_corpus):
    gen = create_generator("mini-sd")
    spec = DetectorSpec("npr", "aligned", "mini-sd", (("width", 8),))
    cfg = TrainConfig(epochs=1, batch_size=4, augment=AugmentConfig(crop=32))
    torch.manual_seed(cfg.seed)
    untrained = create_detector("npr", width=8).network.state_dict()
    det, info, path = trained_detector(spec, gen, WorldReals(corpus=tiny_corpus), cfg)
    trained = det.network.state_dict()
    assert any(not torch.equal(untrained[k], trained[k]) for k in untrained)
    assert info.detector == "npr" and info.recipe == "aligned"
    assert set(info.validation) >= {"bal_acc", "auc"} and det.checkpoint_hash != "untrained"
    again, info2, _ = trained_detector(spec, gen, WorldReals(corpus=tiny_corpus), cfg)  # loads, does not retrain
    assert info2.seconds == info.seconds and again.checkpoint_hash == det.checkpoint_hash
