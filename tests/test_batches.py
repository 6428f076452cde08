"""Synced pairs (recipe aligned-sync): one augmentation draw per pair, pairs never split."""
import logging
import pickle
from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from fakebench.core.errors import FakebenchError
from fakebench.data.reals import corpus_reals
from fakebench.detectors.augment import PRESETS, augment_preset, sample_params
from fakebench.detectors.batches import training_loader
from fakebench.detectors.recipes import training_data
from fakebench.generators.base import Generator, GeneratorInfo

STRIDE = 8


class PaddedIdentityVAE(Generator):
    """An autoencoder round trip that changes no pixel, but pads to its stride and crops back, as the
    real ones do: a synced pair must then come out of augmentation byte-identical."""

    info = GeneratorInfo("padded-identity", family="test", autoencoder="identity", denoiser="none", resolution=64)
    fingerprint = "padded-identity-v1"

    def reconstruct(self, images: torch.Tensor) -> torch.Tensor:
        h, w = images.shape[-2:]
        padded = F.pad(images, (0, -w % STRIDE, 0, -h % STRIDE), mode="reflect")
        assert padded.shape[-1] % STRIDE == 0 and padded.shape[-2] % STRIDE == 0
        return padded[..., :h, :w]


@pytest.fixture
def paired(tiny_corpus):
    any_size = replace(tiny_corpus, side_step=1)  # crops of any size, so that padding happens
    return training_data("aligned-sync", PaddedIdentityVAE(), *corpus_reals(any_size), 0)


def test_pairs_share_byte_identical_params_and_crop_window_after_stride_padding(paired):
    sizes = [(r.width, r.height) for r in paired.real.records]
    assert any(w % STRIDE or h % STRIDE for w, h in sizes)  # the padding path is exercised
    assert sizes == [(f.width, f.height) for f in paired.fake.records]  # cropped back to the real's size
    for preset in ("light", "paper"):
        dataset, _, _ = training_loader(paired, augment_preset(preset, crop=32), 0, batch_size=4)
        for i in range(len(dataset)):
            params, real, fake = dataset.pair(i)
            assert real.size == fake.size == params.size
            # drawn independently from the same (seed, epoch, index), each half gets the same bytes
            own = [sample_params(np.random.default_rng([0, 0, i]), im.size, dataset.cfg) for im in (real, fake)]
            assert pickle.dumps(own[0]) == pickle.dumps(own[1]) == pickle.dumps(params)
            x, y = dataset[i]
            assert y.tolist() == [0.0, 1.0] and x.shape == (2, 3, 32, 32)
            assert torch.equal(x[0], x[1])  # same crop window, flip, rotation, JPEG, blur, noise, ...


def test_unsynced_aligned_pairs_do_not_share_augmentation(tiny_corpus):
    """The control: the plain aligned recipe augments a real and its reconstruction independently."""
    data = training_data("aligned", PaddedIdentityVAE(), *corpus_reals(tiny_corpus), 0)
    dataset, _, _ = training_loader(data, PRESETS["paper"], 0, batch_size=4)
    n = len(data.real)
    assert any(not torch.equal(dataset[i][0], dataset[n + i][0]) for i in range(n))


@pytest.mark.parametrize("world,workers", [(1, 0), (2, 0), (2, 2)])
def test_a_pair_is_never_split_across_batches_ranks_or_workers(paired, world, workers):
    seen = []
    for rank in range(world):
        dataset, sampler, loader = training_loader(paired, augment_preset("light", crop=16), 0, batch_size=8,
                                                   world=world, rank=rank, num_workers=workers)
        sampler.set_epoch(1)
        dataset.epoch = 1
        for x, y in loader:
            assert len(y) == 8 // world
            assert y[0::2].eq(0).all() and y[1::2].eq(1).all()  # real, its reconstruction, next real, ...
            assert torch.equal(x[0::2], x[1::2])  # both halves of every pair in this batch
        seen += list(sampler)
    assert len(seen) == len(set(seen))  # no pair on two ranks


def test_odd_batches_and_world_sizes_that_would_split_a_pair_are_refused(paired):
    with pytest.raises(FakebenchError, match="multiple of 4"):
        training_loader(paired, PRESETS["light"], 0, batch_size=6, world=2)


def test_a_real_without_reconstruction_leaves_with_its_pair(tiny_corpus, caplog):
    gen = PaddedIdentityVAE()
    full = training_data("aligned-sync", gen, *corpus_reals(tiny_corpus), 0)
    missing = {full.fake.records[0].image_id, full.fake.records[3].image_id}
    given = full.fake.subset({f.image_id for f in full.fake.records} - missing, "recon-folder")
    given.records += full.val_fake.records
    with caplog.at_level(logging.WARNING):
        data = training_data("aligned-sync", gen, *corpus_reals(tiny_corpus), 0, reconstructions=given)
    assert data.paired and data.dropped_pairs == 2
    assert len(data.real) == len(data.fake) == len(full.real) - 2
    assert {r.image_id + "-recon" for r in data.real.records} == {f.image_id for f in data.fake.records}
    assert "2 of" in caplog.text


def test_reals_without_any_reconstruction_name_the_command_that_builds_them(tiny_corpus):
    gen = PaddedIdentityVAE()
    full = training_data("aligned-sync", gen, *corpus_reals(tiny_corpus), 0)
    empty = full.fake.subset(set(), "recon-empty")
    with pytest.raises(FakebenchError, match="fakebench reconstruct"):
        training_data("aligned-sync", gen, *corpus_reals(tiny_corpus), 0, reconstructions=empty)


def test_every_trainable_kind_takes_synced_pairs(paired):
    """freq-lr reads the same paired loader (one augmented view per image, pairs together)."""
    from fakebench.detectors import create_detector
    from fakebench.detectors.training_loop import TrainConfig

    det = create_detector("freq-lr")
    facts = det.train_on(paired, TrainConfig(batch_size=7, augment=augment_preset("light", crop=32)))
    assert facts["images"] == 2 * len(paired.real)
