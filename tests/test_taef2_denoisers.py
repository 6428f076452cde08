"""The TAEF2-latent denoisers: registered, deterministic per (seed, index), TAEF2's round trip as
`reconstruct`, weights verified, and test fakes that never start from a training photo."""
import json
import shutil

import pytest
import torch

from fakebench.benchmark.session import TEST_FAKE_SEED
from fakebench.core.errors import IntegrityError
from fakebench.data.corpus import SPLIT_SCENES, split_photos
from fakebench.generators import create_generator, list_generators
from fakebench.generators.latent import per_image_noise
from fakebench.generators.taef2ldm.architectures import IMAGE_SIDE, LATENT_SIDE, SPECS
from fakebench.generators.taef2ldm.generator import TAEF2DiffusionGenerator
from fakebench.generators.taef2ldm.starts import start_crop, start_crops, start_split
from fakebench.generators.taef2ldm.weights import LATENT_STATS, WEIGHTS_DIR, verify_component

NAMES = [s.name for s in SPECS]


@pytest.fixture(scope="module")
def generators():
    return {name: create_generator(name) for name in NAMES}


@pytest.fixture(scope="module")
def taef2():
    return create_generator("taef2")


def test_both_register_as_latent_generators_sharing_taef2(generators, taef2):
    assert set(NAMES) <= set(list_generators("taef2-*"))
    sd, playground = generators["taef2-sd"], generators["taef2-playground"]
    for g in (sd, playground):
        assert g.can_generate and g.can_reconstruct
        assert g.info.autoencoder == taef2.info.autoencoder == "taef2"
        assert g.info.resolution == IMAGE_SIDE
        # aligned training sets built from `taef2` serve both: one reconstruction fingerprint
        assert g.reconstruction_fingerprint == taef2.fingerprint
    assert sd.fingerprint != playground.fingerprint
    assert sd.spec.prediction_type != playground.spec.prediction_type
    assert sd.spec.down_block_types != playground.spec.down_block_types


@pytest.mark.parametrize("name", NAMES)
def test_samples_are_deterministic_per_seed_and_index(generators, name):
    g = generators[name]
    a = g.generate_indices(3, range(0, 3))
    assert a.shape == (3, 3, IMAGE_SIDE, IMAGE_SIDE) and a.dtype == torch.float32
    assert 0 <= a.min() and a.max() <= 1 and a.std() > 0.02
    assert torch.equal(a, g.generate_indices(3, range(0, 3)))
    # image 2 is the same whether drawn alone or in a batch (up to batched-convolution rounding)
    assert torch.allclose(a[2:], g.generate_indices(3, range(2, 3)), atol=1e-4)
    assert not torch.allclose(a, g.generate_indices(4, range(0, 3)), atol=1e-2)


def test_samples_differ_between_the_two_denoisers_from_the_same_start(generators):
    sd, playground = (generators[n].generate_indices(0, range(2)) for n in NAMES)
    assert (sd - playground).abs().mean() > 0.005


def test_reconstruct_is_taef2s_round_trip(generators, taef2):
    x = torch.rand(2, 3, 40, 56)
    expected = taef2.reconstruct(x)
    for g in generators.values():
        assert torch.equal(g.reconstruct(x), expected)


def test_sample_is_the_denoised_start_decoded_by_taef2(generators):
    """generate = TAEF2-decode(denoise(TAEF2-encode(start crop))): the start crop is what the rule names."""
    g = generators["taef2-sd"]
    starts = g.start_images(5, range(2))
    assert starts.shape == (2, 3, IMAGE_SIDE, IMAGE_SIDE)
    noise = per_image_noise((32, LATENT_SIDE, LATENT_SIDE), 5, range(2))
    manual = g.decode(g.denoise(g.encode(starts), noise))
    assert torch.allclose(manual, g.generate_indices(5, range(2)), atol=1e-5)


def test_test_fakes_never_start_from_a_training_photo():
    train_scenes = set(SPLIT_SCENES["train"])
    test_photos = {p.name for p in split_photos("test")}
    for bench_seed in range(10):  # the benchmark's test fakes: TEST_FAKE_SEED + bench seed
        seed = TEST_FAKE_SEED + bench_seed
        assert start_split(seed) == "test"
        for i in range(200):
            crop = start_crop(seed, i)
            assert crop.photo.name in test_photos and crop.photo.scene not in train_scenes
    # the recipes' training (10_000 + s) and validation (20_000 + s) fakes start from train photos only
    for seed in (10_000, 10_002, 20_000, 20_002):
        assert start_split(seed) == "train"
        assert {start_crop(seed, i).photo.scene for i in range(100)} <= train_scenes
    # the denoisers are trained on these crops only: no val or test photo among them
    assert {c.photo.scene for c in start_crops("train")} == train_scenes


def test_altered_weights_name_the_file_and_the_command(tmp_path):
    copy = tmp_path / "weights"
    shutil.copytree(WEIGHTS_DIR, copy)
    spec = SPECS[1]
    target = copy / spec.component / "diffusion_pytorch_model.safetensors"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(IntegrityError) as info:
        TAEF2DiffusionGenerator(spec, folder=copy)
    message = str(info.value)
    assert str(target) in message and "fakebench mini train-taef2" in message and "\n" not in message
    (copy / LATENT_STATS).unlink()
    with pytest.raises(IntegrityError, match="missing"):
        verify_component(LATENT_STATS, copy)


def test_committed_denoisers_completed_their_planned_steps():
    """The committed weights are a finished training run, not one a busy machine's wall budget cut short
    (as the first committed pair was: 459 of 1,800 and 320 of 1,500 steps): a cut-short run depends on
    the machine's load, a finished one on its seed alone."""
    record = json.loads((WEIGHTS_DIR / "training.json").read_text())
    assert set(record["denoisers"]) == set(NAMES)
    for spec in SPECS:
        trained = record["denoisers"][spec.name]
        assert trained["planned_steps"] == spec.train_steps
        assert trained["steps"] == spec.train_steps, f"{spec.name}: {trained['steps']} of {spec.train_steps} steps"
