"""A detector whose input policy re-encodes every image as a JPEG (`InputPolicy.jpeg`): training and scoring
prepare images alike, the checkpoint key names it, detectors without it keep their keys, and a bad quality
is one line."""
from __future__ import annotations

import pytest
import torch

import fakebench.detectors.training_loop as training_loop
from fakebench.core.errors import FakebenchError
from fakebench.core.imageio import decode, encode
from fakebench.core.pixels import pil_to_tensor, pil_to_uint8
from fakebench.data.reals import corpus_reals
from fakebench.detectors.augment import apply, augment_preset
from fakebench.detectors.base import Detector, InputPolicy
from fakebench.detectors.batches import training_loader
from fakebench.detectors.inference import score_imageset
from fakebench.detectors.recipes import training_data
from fakebench.detectors.registry import create_detector
from fakebench.detectors.training_loop import TrainConfig
from tests.test_batches import PaddedIdentityVAE

JPEG75 = InputPolicy("native", min_side=16, jpeg=75)


def _as_jpeg75(image) -> torch.Tensor:
    return pil_to_uint8(decode(encode(image, "JPEG", 75)))


class InputSpy(Detector):
    """Keeps the batches it is given; scores 0.5."""

    name = "input-spy"

    def __init__(self, policy: InputPolicy) -> None:
        self.policy, self.seen = policy, []

    def score(self, images: torch.Tensor) -> torch.Tensor:
        self.seen += list(images)
        return torch.full((len(images),), 0.5)


def test_training_prepares_every_image_before_its_augmentation(tiny_corpus):
    """Paired (aligned-sync) and unpaired (aligned) sets: each decoded image, the real as stored (JPEG) and its
    round trip as stored (PNG), is re-encoded as JPEG 75 before the augmentation draws its crop."""
    reals = corpus_reals(tiny_corpus)
    paired = training_data("aligned-sync", PaddedIdentityVAE(), *reals, 0)
    dataset, _, _ = training_loader(paired, augment_preset("light", crop=32), 0, batch_size=4, policy=JPEG75)
    _, real, fake = dataset.pair(0)
    stored_real, stored_fake = (s.read(s.records[0]) for s in (paired.real, paired.fake))
    assert torch.equal(pil_to_uint8(real), _as_jpeg75(stored_real))
    assert torch.equal(pil_to_uint8(fake), _as_jpeg75(stored_fake))
    assert not torch.equal(pil_to_uint8(fake), pil_to_uint8(stored_fake))  # the step ran: JPEG moved pixels
    plain, _, _ = training_loader(paired, augment_preset("light", crop=32), 0, batch_size=4)
    assert torch.equal(pil_to_uint8(plain.pair(0)[2]), pil_to_uint8(stored_fake))  # no policy: as decoded

    unpaired = training_data("aligned", PaddedIdentityVAE(), *reals, 0)
    dataset, _, _ = training_loader(unpaired, augment_preset("light", crop=32), 0, batch_size=4, policy=JPEG75)
    last = len(dataset) - 1  # the last round trip, stored as PNG
    prepared = decode(encode(unpaired.fake.read(unpaired.fake.records[-1]), "JPEG", 75))
    x, _ = dataset[last]
    assert torch.equal(x, pil_to_tensor(apply(prepared, dataset.params(last, prepared.size))))
    # prepared once, as a set of its own (read through the decoded cache at every epoch), and found again
    assert dataset.items[last][0].name == f"{unpaired.fake.name}-jpeg75"
    again, _, _ = training_loader(unpaired, augment_preset("light", crop=32), 0, batch_size=4, policy=JPEG75)
    assert again.items[last][0].root == dataset.items[last][0].root


def test_scoring_prepares_every_image_after_its_perturbation(tiny_corpus):
    """What the network is given is the perturbed image re-encoded as JPEG 75, for reals and fakes alike."""
    data = training_data("aligned", PaddedIdentityVAE(), *corpus_reals(tiny_corpus), 0)
    fakes = data.fake

    def flip(image, image_id):
        return image.transpose(0)

    spy = InputSpy(JPEG75)
    score_imageset(spy, fakes, transform=flip)
    expected = sorted(_as_jpeg75(fakes.read(r).transpose(0)).numpy().tobytes() for r in fakes.records)
    seen = sorted(x.mul(255).round().to(torch.uint8).permute(1, 2, 0).numpy().tobytes() for x in spy.seen)
    assert len(fakes.records) > 1 and seen == expected  # batched by size, so compared as a multiset


def test_the_training_loop_hands_the_detector_policy_to_its_loader(tiny_corpus, monkeypatch):
    given = []

    def spy(*args, **kwargs):
        given.append(kwargs["policy"])
        return training_loader(*args, **kwargs)

    monkeypatch.setattr(training_loop, "training_loader", spy)
    detector = create_detector("npr", width=4, jpeg=75)
    data = training_data("aligned", PaddedIdentityVAE(), *corpus_reals(tiny_corpus), 0)
    detector.train_on(data, TrainConfig(epochs=1, batch_size=4, augment=augment_preset("light", crop=32)))
    assert given == [detector.policy] and detector.policy.jpeg == 75


def test_the_config_names_the_quality_and_leaves_other_keys_alone():
    assert create_detector("npr", width=16).config == {"arch": "npr", "width": 16}  # existing checkpoints' keys
    assert create_detector("npr", width=16, jpeg=75).config == {"arch": "npr", "width": 16, "jpeg": 75}
    resnet = create_detector("resnet50", width=8, jpeg=90, input="npr")
    assert resnet.policy.jpeg == 90 and resnet.config["jpeg"] == 90 and resnet.config["input"] == "npr"
    assert "jpeg" not in create_detector("resnet50-nodown", width=8).config
    assert InputPolicy(min_side=16).for_key() == {"mode": "native", "size": None, "min_side": 16}  # score keys
    assert JPEG75.for_key()["jpeg"] == 75


@pytest.mark.parametrize("quality", [0, 101, "75", 7.5, True])
def test_a_bad_quality_is_one_line_naming_it_and_the_fix(quality):
    with pytest.raises(FakebenchError) as info:
        create_detector("npr", jpeg=quality)
    assert "\n" not in str(info.value) and repr(quality) in str(info.value) and "1 to 100" in str(info.value)
