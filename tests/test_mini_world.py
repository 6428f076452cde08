import shutil

import pytest
import torch

from fakebench.core.errors import FakebenchError, IntegrityError
from fakebench.generators import create_generator
from fakebench.generators.mini.architectures import IMAGE_SIDE
from fakebench.generators.mini.architectures import MINI_SPECS as SPECS
from fakebench.generators.mini.generator import build_mini_generator
from fakebench.generators.mini.weights import WEIGHTS_DIR, read_manifest, verify_component


def test_committed_weights_match_manifest_and_are_small():
    manifest = read_manifest()
    total = sum((WEIGHTS_DIR / name).stat().st_size for name in manifest)
    assert total < 8 * 2**20, f"mini-world weights are {total / 2**20:.1f} MB"
    for spec in SPECS:
        assert verify_component(spec.vae) and verify_component(spec.unet)


def test_corrupted_weights_name_the_file_and_the_fix(tmp_path):
    copy = tmp_path / "weights"
    shutil.copytree(WEIGHTS_DIR, copy)
    target = copy / "vae-sd" / "diffusion_pytorch_model.safetensors"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(IntegrityError) as info:
        build_mini_generator(SPECS[0], weights_dir=copy)
    assert str(target) in str(info.value) and "fakebench mini train" in str(info.value)
    target.unlink()
    with pytest.raises(IntegrityError, match="missing"):
        verify_component("vae-sd", copy)


def test_missing_manifest_is_a_clear_error(tmp_path):
    with pytest.raises(FakebenchError, match="SHA256SUMS"):
        verify_component("vae-sd", tmp_path)


def test_generation_is_seeded_per_image_and_fixed_size():
    gen = create_generator("mini-sd")
    a = gen.generate(3, seed=5, batch_size=3)
    b = gen.generate(3, seed=5, batch_size=2)
    assert a.shape == (3, 3, IMAGE_SIDE, IMAGE_SIDE)
    assert torch.allclose(a, b, atol=1e-4)
    assert not torch.allclose(a, gen.generate(3, seed=6), atol=1e-2)
    assert 0.0 <= a.min() and a.max() <= 1.0


def test_generators_share_or_differ_in_autoencoder():
    sd, pg, other = (create_generator(n) for n in ("mini-sd", "mini-playground", "mini-othervae"))
    assert sd.reconstruction_fingerprint == pg.reconstruction_fingerprint
    assert sd.reconstruction_fingerprint != other.reconstruction_fingerprint
    assert len({sd.fingerprint, pg.fingerprint, other.fingerprint}) == 3
    assert sd.info.autoencoder == pg.info.autoencoder != other.info.autoencoder
