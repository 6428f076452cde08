"""ImageNet initialisation: the committed MobileNetV2 file verifies and loads into every backbone tensor
(not the head) with no network and no torch cache; a tampered, missing or misfitting file is refused in
one line naming it, the expected sha256 and how to get it; the ResNet-50's torch-cache path goes through
the same registry; a mobilenet detector trains from it; a world file asks for it per detector."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torchvision
from safetensors.torch import load_file, save_file

from fakebench.core.cache import file_sha256
from fakebench.core.errors import FakebenchError, IntegrityError
from fakebench.detectors import create_detector, imagenet_files
from fakebench.detectors.augment import AugmentConfig
from fakebench.detectors.imagenet import init_pretrained
from fakebench.detectors.imagenet_files import IMAGENET_FILES, WEIGHTS_DIR
from fakebench.detectors.spec import DetectorSpec
from fakebench.detectors.trained import WorldReals, trained_detector
from fakebench.detectors.training_loop import TrainConfig
from fakebench.generators import create_generator
from fakebench.generators.manifest import read_manifest

MOBILENET = IMAGENET_FILES["mobilenet_v2-b0353104"]
COMMITTED = WEIGHTS_DIR / MOBILENET.vendored


@pytest.fixture(autouse=True)
def empty_torch_cache(tmp_path, monkeypatch) -> Path:
    """No test sees the user's torch hub cache; each gets an empty one."""
    hub = tmp_path / "torch-home"
    monkeypatch.setenv("TORCH_HOME", str(hub))
    return hub / "hub" / "checkpoints"


def _one_line_naming(exc: pytest.ExceptionInfo, *parts: str) -> None:
    message = str(exc.value)
    assert "\n" not in message and exc.value.fix, message
    for part in parts:
        assert part in message, (part, message)


def test_the_committed_file_matches_its_manifest_and_torchvisions_architecture():
    manifest = read_manifest(WEIGHTS_DIR, "ImageNet", "")
    assert set(manifest) == {"LICENSE", "SOURCE.md", MOBILENET.vendored}
    assert all(file_sha256(WEIGHTS_DIR / name) == digest for name, digest in manifest.items())
    assert "BSD 3-Clause" in (WEIGHTS_DIR / "LICENSE").read_text()
    assert MOBILENET.sha256 in (WEIGHTS_DIR / "SOURCE.md").read_text()


@pytest.mark.parametrize("name,kwargs,prefix", [("mobilenetv2", {}, ""), ("mobilenetv2-nodown", {}, ""),
                                                ("mobilenetv2", {"input": "npr"}, "1.")])
def test_imagenet_init_loads_every_backbone_tensor_and_leaves_the_head_fresh(name, kwargs, prefix):
    torch.manual_seed(0)
    detector = create_detector(name, **kwargs)
    fresh = {k: v.clone() for k, v in detector.network.state_dict().items()}
    digest = init_pretrained(detector, "imagenet")  # no network, an empty torch cache: the committed copy
    assert digest == file_sha256(COMMITTED)
    committed = load_file(str(COMMITTED))
    own = detector.network.state_dict()
    backbone = [k for k in committed if not k.startswith(MOBILENET.head)]
    assert len(backbone) == 312 and all(torch.equal(own[prefix + k], committed[k]) for k in backbone)
    head = [k for k in own if k[len(prefix):].startswith(MOBILENET.head)]
    assert head and all(torch.equal(own[k], fresh[k]) for k in head)
    assert own[prefix + "classifier.1.weight"].shape == (1, 1280)


def test_a_nodown_mobilenet_keeps_the_resolution_of_its_stem():
    stem = create_detector("mobilenetv2").network.features[0][0]
    nodown = create_detector("mobilenetv2-nodown").network.features[0][0]
    assert (stem.stride, nodown.stride) == ((2, 2), (1, 1))
    assert create_detector("mobilenetv2-nodown").config == {"arch": "mobilenetv2", "stem_stride": 1}


def test_a_tampered_file_is_refused_naming_it_the_expected_sha256_and_the_fix(tmp_path, monkeypatch):
    copy = tmp_path / "weights"
    copy.mkdir()
    for item in WEIGHTS_DIR.iterdir():
        (copy / item.name).write_bytes(item.read_bytes())
    data = bytearray((copy / MOBILENET.vendored).read_bytes())
    data[-1] ^= 1  # one bit of one weight
    (copy / MOBILENET.vendored).write_bytes(bytes(data))
    monkeypatch.setattr(imagenet_files, "WEIGHTS_DIR", copy)
    with pytest.raises(IntegrityError) as exc:
        init_pretrained(create_detector("mobilenetv2"), "imagenet")
    expected = read_manifest(WEIGHTS_DIR, "ImageNet", "")[MOBILENET.vendored]
    _one_line_naming(exc, str(copy / MOBILENET.vendored), expected)
    assert "git checkout detectors/weights" in exc.value.fix and "imagenet_convert" in exc.value.fix
    # torchvision's own file name given as a file is checked against torchvision's full sha256
    pth = tmp_path / MOBILENET.file
    save_file({"w": torch.zeros(2)}, str(pth))
    with pytest.raises(IntegrityError) as exc:
        init_pretrained(create_detector("mobilenetv2"), str(pth))
    _one_line_naming(exc, str(pth), MOBILENET.sha256)


def test_a_missing_file_is_refused_naming_where_it_was_looked_for_and_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setattr(imagenet_files, "WEIGHTS_DIR", tmp_path / "nothing-here")
    with pytest.raises(FakebenchError) as exc:
        init_pretrained(create_detector("mobilenetv2"), "imagenet")
    _one_line_naming(exc, MOBILENET.vendored, MOBILENET.file, MOBILENET.sha256)
    with pytest.raises(FakebenchError) as exc:
        init_pretrained(create_detector("mobilenetv2"), str(tmp_path / "mine.safetensors"))
    _one_line_naming(exc, "mine.safetensors", MOBILENET.sha256)
    with pytest.raises(FakebenchError) as exc:  # the ResNet-50's files are looked up in the torch cache only
        init_pretrained(create_detector("resnet50"), "imagenet")
    _one_line_naming(exc, "resnet50-0676ba61.pth", "resnet50-11ad3fa6.pth", "hub", "sha256 starting")
    assert "download.pytorch.org" in exc.value.fix


def test_weights_of_another_architecture_are_refused_before_any_tensor_loads(tmp_path):
    half = tmp_path / "mobilenet-half.safetensors"
    save_file(torchvision.models.mobilenet_v2(width_mult=0.5).state_dict(), str(half))
    detector = create_detector("mobilenetv2")
    before = {k: v.clone() for k, v in detector.network.state_dict().items()}
    with pytest.raises(FakebenchError) as exc:
        init_pretrained(detector, str(half))
    _one_line_naming(exc, str(half), "do not fit", "mobilenet_v2", MOBILENET.sha256)
    assert all(torch.equal(v, before[k]) for k, v in detector.network.state_dict().items())
    with pytest.raises(FakebenchError) as exc:
        init_pretrained(create_detector("resnet50"), str(COMMITTED))  # a known file, of another architecture
    _one_line_naming(exc, "do not fit", "resnet50")
    for name, kwargs in (("small-cnn", {}), ("resnet50", {"width": 16})):
        with pytest.raises(FakebenchError, match="no ImageNet backbone"):
            init_pretrained(create_detector(name, **kwargs), "imagenet")


def test_the_resnet50_torch_cache_path_goes_through_the_registry(tmp_path, empty_torch_cache):
    torch.manual_seed(0)
    weights = torchvision.models.resnet50().state_dict()
    mine = tmp_path / "my-resnet50.safetensors"  # the user's own file: no digest to check, only the fit
    save_file(weights, str(mine))
    detector = create_detector("resnet50", input="npr")
    assert init_pretrained(detector, str(mine)) == file_sha256(mine)
    own = detector.network.state_dict()
    assert all(torch.equal(own["1." + k], v) for k, v in weights.items() if not k.startswith("fc."))
    # a file in the torch cache under torchvision's name is found there and checked by its name's prefix
    empty_torch_cache.mkdir(parents=True)
    (empty_torch_cache / "resnet50-0676ba61.pth").write_bytes(mine.read_bytes())
    with pytest.raises(IntegrityError) as exc:
        init_pretrained(create_detector("resnet50"), "imagenet")
    _one_line_naming(exc, str(empty_torch_cache / "resnet50-0676ba61.pth"), "starting 0676ba61")


@pytest.mark.slow
def test_an_imagenet_mobilenet_trains_by_a_recipe_and_keys_its_checkpoint_on_the_weights(tiny_corpus):
    gen = create_generator("mini-sd")
    spec = DetectorSpec("mobilenetv2", "aligned", "mini-sd")
    cfg = TrainConfig(epochs=1, batch_size=4, augment=AugmentConfig(crop=32), pretrained="imagenet")
    det, info, path = trained_detector(spec, gen, WorldReals(corpus=tiny_corpus), cfg)
    assert info.train_config["pretrained"] == "imagenet" and det.checkpoint_hash != "untrained"
    assert set(info.validation) >= {"bal_acc", "auc"}
    again, info2, path2 = trained_detector(spec, gen, WorldReals(corpus=tiny_corpus), cfg)  # from the cache
    assert path2 == path and info2.weights_sha256 == info.weights_sha256


def test_a_world_asks_for_imagenet_init_per_detector(tmp_path):
    from fakebench.benchmark.world_files import load_world

    path = tmp_path / "w.toml"
    path.write_text('extends = "mini-smoke"\n[detectors.mobilenetv2]\ntrain = { pretrained = "imagenet" }\n')
    world = load_world(str(path))
    assert world.train_config("mobilenetv2", seed=0).pretrained == "imagenet"
    assert world.train_config("small-cnn", seed=0).pretrained == ""
