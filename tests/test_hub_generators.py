"""Real generators through diffusers, checked on tiny random-weight models saved with
save_pretrained and loaded through the registered generators (the path users take). Offline:
HF_HUB_OFFLINE=1 and an empty Hugging Face cache for every test."""
from __future__ import annotations

import hashlib
import inspect
import logging
import re
import shutil
import time

import diffusers
import huggingface_hub.constants
import pytest
import torch

from fakebench.core import devices
from fakebench.core.devices import (
    AdaptiveBatch,
    resolve_device,
    resolve_dtype,
    run_in_batches,
)
from fakebench.core.errors import FakebenchError, WeightsMissingError
from fakebench.generators import GENERATORS, create_generator, list_generators
from fakebench.generators.autoencoders import autoencoder_class
from fakebench.generators.hub import DiffusersGenerator
from fakebench.generators.hub_files import ModelFiles
from fakebench.generators.hub_models import (
    HUB_MODELS,
    SPECS_BY_NAME,
    component_digests,
    file_digest,
    load_prompts,
    prompts_for,
)
from tests import tiny_pipelines as tiny

REQUIRED = {"sd15", "sd21", "sdxl", "sd35", "flux-schnell", "flux-dev", "playground-v2.5", "pixart-alpha",
            "pixart-sigma", "kandinsky-2.2", "wuerstchen", "lcm-sd15", "deepfloyd-if"}
LATENT = [s.name for s in HUB_MODELS if not s.pixel_space]
TIMINGS: dict[str, float] = {}


@pytest.fixture(autouse=True)
def offline_empty_hub(tmp_path_factory, monkeypatch):
    """No network, an empty HF cache, no models folder; one torch thread (the CI box has 2 shared
    cores, and two threads fighting another process make tiny convolutions 50x slower)."""
    home = tmp_path_factory.mktemp("hf-home")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_HUB_CACHE", str(home / "hub"))
    monkeypatch.delenv("FAKEBENCH_MODELS_DIR", raising=False)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield home / "hub"
    torch.set_num_threads(threads)


@pytest.fixture(scope="module", autouse=True)
def report_timings():
    """Prints what the tiny round trips cost on this machine (visible with -s)."""
    yield
    for label, seconds in TIMINGS.items():
        print(f"\n{label}: {seconds:.2f} s", end="")


@pytest.fixture(scope="module")
def sd_folder(tmp_path_factory):
    return tiny.save_tiny_sd(tmp_path_factory.mktemp("tiny") / "sd")


def _params(fn) -> dict:
    return dict(inspect.signature(fn).parameters)


def _timed(label: str, fn):
    started = time.perf_counter()
    out = fn()
    TIMINGS[label] = time.perf_counter() - started
    return out


# ---------------------------------------------------------------- registry and metadata


def test_every_real_generator_builds_without_loading_and_has_complete_metadata(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("building a generator must not touch weights")

    for method in ("load_pipeline", "load_autoencoder"):
        monkeypatch.setattr(DiffusersGenerator, method, refuse)
    monkeypatch.setattr(ModelFiles, "local_root", refuse)
    real = {n for n in list_generators() if create_generator(n).info.world == "real"}
    assert REQUIRED <= real
    for name in sorted(REQUIRED):
        gen = create_generator(name)
        info, spec = gen.info, gen.spec
        assert GENERATORS.origin(name) == "built-in"
        assert info.name == name and info.world == "real"
        assert info.family and info.denoiser and info.autoencoder and info.license not in ("", "unknown")
        assert re.fullmatch(r"20\d\d-(0[1-9]|1[0-2])", info.release_date), info.release_date
        assert info.resolution in (256, 512, 768, 1024)
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", spec.hub_id) and spec.steps > 0 and spec.guidance_scale >= 0
        assert gen.can_generate and gen.can_reconstruct == (not spec.pixel_space)
        assert gen._pipe is None and gen._autoencoder is None


def test_metadata_facts_that_alignment_depends_on():
    ae = {s.name: s.autoencoder for s in HUB_MODELS}
    assert ae["sd15"] == ae["sd21"] == ae["lcm-sd15"] == ae["pixart-alpha"]
    assert ae["sdxl"] == ae["playground-v2.5"] == ae["pixart-sigma"] != ae["sd15"]
    assert ae["flux-schnell"] == ae["flux-dev"] != ae["sd35"] and "16ch" in ae["sd35"]
    lic = {s.name: s.license for s in HUB_MODELS}
    assert lic["sd15"] == "creativeml-openrail-m" and lic["sdxl"] == "openrail++"
    assert lic["sd35"] == "stabilityai-ai-community" and lic["flux-schnell"] == "apache-2.0"
    assert lic["flux-dev"] == "flux-1-dev-non-commercial-license"
    assert lic["playground-v2.5"] == "playground-v2dot5-community"
    res = {s.name: s.resolution for s in HUB_MODELS}
    assert res["sd15"] == 512 and res["sd21"] == 768 and res["sdxl"] == res["flux-dev"] == 1024
    kinds = {s.name: s.autoencoder_kind for s in HUB_MODELS}
    assert kinds["kandinsky-2.2"] == "vq" and kinds["wuerstchen"] == "paella" and kinds["deepfloyd-if"] == "none"


def test_each_spec_names_a_diffusers_class_and_only_arguments_it_takes():
    for spec in HUB_MODELS:
        cls = getattr(diffusers, spec.pipeline_class)
        takes = {n for n, p in _params(cls.__call__).items() if p.kind is not p.VAR_KEYWORD}
        kwargs = create_generator(spec.name).call_kwargs(0, [0, 1])
        if spec.pixel_space:  # DeepFloyd IF runs stage I then stage II with embeddings, not prompts
            sr = _params(diffusers.IFSuperResolutionPipeline.__call__)
            assert {"prompt_embeds", "num_inference_steps", "guidance_scale", "clean_caption"} <= takes & set(sr)
            continue
        assert set(kwargs) <= takes, (spec.name, set(kwargs) - takes)
        assert autoencoder_class(spec.autoencoder_kind).__name__ in {"AutoencoderKL", "VQModel", "PaellaVQModel"}


def test_prompt_list_is_committed_varied_and_wraps():
    prompts = load_prompts()
    assert len(prompts) >= 50 and len(set(prompts)) == len(prompts)
    assert not any(p.startswith("#") for p in prompts)
    assert prompts_for([0, 1, len(prompts), len(prompts) + 1]) == [prompts[0], prompts[1], prompts[0], prompts[1]]


# ---------------------------------------------------------------- tiny Stable Diffusion, end to end


def test_tiny_sd_generates_seeded_images_independent_of_batching(sd_folder):
    gen = create_generator("sd15", source=str(sd_folder), steps=2, resolution=32)
    assert gen._pipe is None and gen.info.resolution == 32
    x = _timed("sd15 generate 3 images (load + 2 steps)", lambda: gen.generate(3, seed=7, batch_size=2))
    assert x.shape == (3, 3, 32, 32) and x.dtype == torch.float32 and x.device.type == "cpu"
    assert 0 <= x.min() and x.max() <= 1 and x.std() > 0
    assert gen._autoencoder is None  # generation does not load a second copy of the autoencoder
    again = create_generator("sd15", source=str(sd_folder), steps=2, resolution=32).generate(3, seed=7, batch_size=3)
    torch.testing.assert_close(again, x, atol=1e-5, rtol=0)  # same seed -> same images, any batching
    alone = _timed("sd15 generate 1 image (2 steps)", lambda: gen.generate_indices(7, range(2, 3)))
    torch.testing.assert_close(alone, x[2:3], atol=1e-5, rtol=0)
    assert (gen.generate_indices(8, range(0, 1)) - x[0:1]).abs().max() > 1e-3  # another seed, another image
    assert gen.call_kwargs(7, [2])["prompt"] == [load_prompts()[2]]


def test_tiny_sd_reconstructs_any_size_loading_only_the_autoencoder(sd_folder, monkeypatch):
    monkeypatch.setattr(DiffusersGenerator, "load_pipeline", lambda self: pytest.fail("pipeline loaded"))
    gen = create_generator("sd15", source=str(sd_folder))
    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    y = _timed("sd15 reconstruct 2 x 32x32 (load + round trip)", lambda: gen.reconstruct(x))
    _timed("sd15 reconstruct 2 x 32x32 (round trip)", lambda: gen.reconstruct(x))
    vae = diffusers.AutoencoderKL.from_pretrained(sd_folder / "vae").eval()
    with torch.no_grad():
        expected = ((vae.decode(vae.encode(x * 2 - 1).latent_dist.mode()).sample + 1) / 2).clamp(0, 1)
    torch.testing.assert_close(y, expected, atol=1e-5, rtol=0)  # posterior mode, [-1, 1] pixels
    assert torch.equal(gen.reconstruct(x), y)  # deterministic
    for h, w in [(1, 1), (5, 7), (8, 8), (37, 53)]:  # smaller than the stride, odd, exact, ragged
        out = gen.reconstruct(torch.rand(2, 3, h, w))
        assert out.shape == (2, 3, h, w) and 0 <= out.min() and out.max() <= 1
    assert gen.load_autoencoder().stride == 8


def test_tiling_above_a_threshold_keeps_the_size(sd_folder):
    gen = create_generator("sd15", source=str(sd_folder), tile_above=16)
    out = gen.reconstruct(torch.rand(1, 3, 45, 70))  # sample_size 32 < 45: diffusers tiles encode and decode
    assert out.shape == (1, 3, 45, 70) and gen.load_autoencoder().model.use_tiling
    gen.reconstruct(torch.rand(1, 3, 8, 8))
    assert not gen.load_autoencoder().model.use_tiling


def test_fingerprints_are_content_addressed(sd_folder, tmp_path):
    a = create_generator("sd15", source=str(sd_folder), steps=2)
    assert a.fingerprint == create_generator("sd15", source=str(sd_folder), steps=2).fingerprint
    assert a.fingerprint != create_generator("sd15", source=str(sd_folder), steps=3).fingerprint
    assert a._pipe is None and a._autoencoder is None  # hashing files loads nothing
    # the same autoencoder weights -> the same aligned sets, whichever generator and sampler
    lcm = create_generator("lcm-sd15", source=str(sd_folder))
    assert a.reconstruction_fingerprint == lcm.reconstruction_fingerprint
    assert a.fingerprint != lcm.fingerprint
    copy = shutil.copytree(sd_folder, tmp_path / "elsewhere")
    moved = create_generator("sd15", source=str(copy), steps=2)
    assert (moved.fingerprint, moved.reconstruction_fingerprint) == (a.fingerprint, a.reconstruction_fingerprint)
    # a variant file from_pretrained never loads does not count; new weights do
    shutil.copy(copy / "vae" / "diffusion_pytorch_model.safetensors",
                copy / "vae" / "diffusion_pytorch_model.fp16.safetensors")
    assert create_generator("sd15", source=str(copy)).reconstruction_fingerprint == a.reconstruction_fingerprint
    torch.manual_seed(1)
    tiny.tiny_kl_vae(4, scaling_factor=0.18215).save_pretrained(copy / "vae")
    changed = create_generator("sd15", source=str(copy), steps=2)
    assert changed.reconstruction_fingerprint != a.reconstruction_fingerprint and changed.fingerprint != a.fingerprint


def test_oom_in_reconstruction_halves_the_batch(sd_folder, caplog):
    gen = create_generator("sd15", source=str(sd_folder), batch_size=4)
    ae = gen.load_autoencoder()
    real = ae.round_trip

    def fits_one(images):
        if len(images) > 1:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(images)

    ae.round_trip = fits_one
    with caplog.at_level(logging.WARNING, logger="fakebench.core.devices"):
        out = gen.reconstruct(torch.rand(5, 3, 8, 8))
    assert out.shape == (5, 3, 8, 8) and gen._reconstruct_batch.size == 1
    reports = _reports(caplog)
    assert len(reports) == 1 and "continuing with batch size 1" in reports[0]


# ---------------------------------------------------------------- other pipeline families


def test_tiny_sdxl_generates_with_two_text_encoders(tmp_path):
    folder = tiny.save_tiny_sdxl(tmp_path / "sdxl")
    gen = create_generator("sdxl", source=str(folder), steps=2, resolution=32)
    x = _timed("sdxl generate 2 images (load + 2 steps)", lambda: gen.generate(2, seed=0))
    assert x.shape == (2, 3, 32, 32) and 0 <= x.min() and x.max() <= 1
    torch.testing.assert_close(gen.generate_indices(0, range(1, 2)), x[1:2], atol=1e-5, rtol=0)


def test_tiny_flux_generates_with_t5_and_a_16_channel_vae(tmp_path):
    folder = tiny.save_tiny_flux(tmp_path / "flux")
    gen = create_generator("flux-schnell", source=str(folder), steps=2, resolution=32)
    x = _timed("flux-schnell generate 2 images (load + 2 steps)", lambda: gen.generate(2, seed=0))
    assert x.shape == (2, 3, 32, 32) and 0 <= x.min() and x.max() <= 1
    assert gen.reconstruct(x).shape == x.shape


def test_tiny_deepfloyd_if_generates_in_two_stages_but_has_nothing_to_align(tmp_path):
    stage1, stage2 = tiny.save_tiny_if(tmp_path / "if1", tmp_path / "if2")
    gen = create_generator("deepfloyd-if", source=str(stage1), stage2_source=str(stage2), steps=2,
                           stage2_steps=2, resolution=16)
    assert gen.can_generate and not gen.can_reconstruct
    x = _timed("deepfloyd-if generate 2 images (load + 2+2 steps)", lambda: gen.generate(2, seed=0))
    assert x.shape == (2, 3, 16, 16) and 0 <= x.min() and x.max() <= 1
    for attempt in (lambda: gen.reconstruct(x), lambda: gen.reconstruction_fingerprint):
        with pytest.raises(FakebenchError, match="pixel-space model with no autoencoder: alignment"):
            attempt()


@pytest.mark.parametrize("name", LATENT)
def test_every_latent_generator_reconstructs_with_its_autoencoder_kind(name, tmp_path):
    spec = SPECS_BY_NAME[name]
    folder = tiny.save_autoencoder(spec, tmp_path / name)  # <folder>/<vae|movq|vqgan>/ only
    gen = create_generator(name, source=str(folder))
    x = torch.rand(2, 3, 13, 21, generator=torch.Generator().manual_seed(0))
    y = gen.reconstruct(x)
    assert y.shape == x.shape and 0 <= y.min() and y.max() <= 1 and torch.equal(gen.reconstruct(x), y)
    assert gen.reconstruct(torch.rand(1, 3, 1, 1)).shape == (1, 3, 1, 1)
    ae = gen.load_autoencoder()
    model_class = {"kl": "AutoencoderKL", "vq": "VQModel", "paella": "PaellaVQModel"}[spec.autoencoder_kind]
    assert type(ae.model).__name__ == model_class
    assert ae.stride == (4 if spec.autoencoder_kind == "paella" else 8)
    assert len(gen.reconstruction_fingerprint) == 16
    with pytest.raises(FakebenchError, match=re.escape(str(folder))):  # no model_index.json there
        gen.generate(1, seed=0)


# ---------------------------------------------------------------- where weights come from


def test_hub_cache_is_read_offline_and_blob_names_are_the_sha256(sd_folder, offline_empty_hub):
    snapshot = tiny.fake_hub_cache(offline_empty_hub, SPECS_BY_NAME["sd15"].hub_id, sd_folder)
    gen = create_generator("sd15", steps=1, resolution=16)  # no source: the default repo id in the cache
    assert gen.source.kind == "hub"
    assert gen.reconstruct(torch.rand(1, 3, 9, 9)).shape == (1, 3, 9, 9)
    assert gen.generate(1, seed=0).shape == (1, 3, 16, 16)
    weights = snapshot / "vae" / "diffusion_pytorch_model.safetensors"
    assert file_digest(weights) == hashlib.sha256(weights.read_bytes()).hexdigest()
    folder_gen = create_generator("sd15", source=str(sd_folder), steps=1, resolution=16)
    assert gen.reconstruction_fingerprint == folder_gen.reconstruction_fingerprint
    assert gen.fingerprint == folder_gen.fingerprint
    assert component_digests(snapshot / "vae") == component_digests(sd_folder / "vae")


def test_models_dir_is_used_and_an_explicit_source_wins(sd_folder, tmp_path, monkeypatch):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "sd15").symlink_to(sd_folder, target_is_directory=True)
    monkeypatch.setenv("FAKEBENCH_MODELS_DIR", str(tmp_path / "models"))
    gen = create_generator("sd15")
    assert gen.source.kind == "folder" and gen.source.location == str(sd_folder.resolve())
    assert gen.reconstruct(torch.rand(1, 3, 8, 8)).shape == (1, 3, 8, 8)
    assert create_generator("sdxl").source.kind == "hub"  # no folder for it
    assert create_generator("sd15", source="someone/other-sd").source.location == "someone/other-sd"


def test_missing_weights_say_which_model_and_how_to_fetch_it(offline_empty_hub):
    sdxl = create_generator("sdxl")
    with pytest.raises(WeightsMissingError) as err:
        sdxl.reconstruct(torch.rand(1, 3, 8, 8))
    text = str(err.value)
    assert "sdxl" in text and str(offline_empty_hub) in text and "\n" not in text
    assert 'hf download stabilityai/stable-diffusion-xl-base-1.0 --include "vae/*"' in text
    with pytest.raises(WeightsMissingError, match=r"hf download stabilityai/stable-diffusion-xl-base-1\.0 --include"):
        sdxl.generate(1, seed=0)
    with pytest.raises(WeightsMissingError, match="hf download"):
        _ = sdxl.fingerprint
    with pytest.raises(WeightsMissingError) as err:  # generation needs the prior repo too
        create_generator("kandinsky-2.2").generate(1, seed=0)
    assert "kandinsky-2-2-decoder" in str(err.value)
    assert "hf download kandinsky-community/kandinsky-2-2-prior" in str(err.value)
    with pytest.raises(WeightsMissingError, match=r'--include "vqgan/\*"'):
        create_generator("wuerstchen").reconstruct(torch.rand(1, 3, 8, 8))
    with pytest.raises(WeightsMissingError, match="gated.*hf auth login"):
        create_generator("flux-dev").reconstruct(torch.rand(1, 3, 8, 8))
    with pytest.raises(WeightsMissingError, match="hf download someone/not-cached"):
        create_generator("sd15", source="someone/not-cached").reconstruct(torch.rand(1, 3, 8, 8))


def test_sources_that_are_not_pipelines_fail_clearly(sd_folder, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FakebenchError, match=re.escape(str(empty)) + ".*not a diffusers pipeline"):
        create_generator("sd15", source=str(empty))
    (tmp_path / "weights.safetensors").write_bytes(b"x")
    with pytest.raises(FakebenchError, match="is a file"):
        create_generator("sd15", source=str(tmp_path / "weights.safetensors"))
    with pytest.raises(FakebenchError, match="neither an existing folder nor a Hugging Face repo id"):
        create_generator("sd15", source="./no/such/folder")
    broken = shutil.copytree(sd_folder, tmp_path / "broken")
    (broken / "unet" / "diffusion_pytorch_model.safetensors").unlink()
    with pytest.raises(FakebenchError, match="cannot load sd15 for generation from folder .*broken") as err:
        create_generator("sd15", source=str(broken)).generate(1, seed=0)
    assert not isinstance(err.value, WeightsMissingError)


# ---------------------------------------------------------------- devices and batch fallback


def test_resolve_device(monkeypatch):
    assert resolve_device("cpu") == torch.device("cpu") == resolve_device(torch.device("cpu"))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(devices, "_mps_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    with pytest.raises(FakebenchError, match="'cuda' is not available"):
        resolve_device("cuda")
    with pytest.raises(FakebenchError, match="'mps' is not available"):
        resolve_device("mps")
    with pytest.raises(FakebenchError, match="unknown device 'banana'"):
        resolve_device("banana")
    monkeypatch.setattr(devices, "_mps_available", lambda: True)
    assert resolve_device("auto") == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert resolve_device("auto") == torch.device("cuda") and resolve_device("cuda:0") == torch.device("cuda:0")
    with pytest.raises(FakebenchError, match="'cuda:1' is not available: this machine has 1 CUDA device"):
        resolve_device("cuda:1")


def test_resolve_dtype():
    assert resolve_dtype("fp32") is torch.float32 and resolve_dtype("bf16") is torch.bfloat16
    assert resolve_dtype("float16", "cuda") is torch.float16 and resolve_dtype(torch.bfloat16) is torch.bfloat16
    with pytest.raises(FakebenchError, match="fp16 is not supported on CPU.*bf16"):
        resolve_dtype("fp16", "cpu")
    with pytest.raises(FakebenchError, match="unknown dtype 'fp8'"):
        resolve_dtype("fp8")
    with pytest.raises(FakebenchError, match="fp16 is not supported on CPU"):
        create_generator("sd15", dtype="fp16")  # refused when built, not halfway through a run


def test_batch_fallback_halves_on_oom_and_reports_once(caplog):
    tried: list[int] = []

    def fn(start: int, stop: int) -> torch.Tensor:
        tried.append(stop - start)
        if stop - start > 3:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 1.00 GiB")
        return torch.arange(start, stop)

    batch = AdaptiveBatch(8, "test work")
    with caplog.at_level(logging.WARNING, logger="fakebench.core.devices"):
        out = batch.run(fn, 10)
        assert torch.equal(out, torch.arange(10)) and batch.size == 2 and tried[:3] == [8, 4, 2]
        assert _reports(caplog) == ["out of memory in test work at batch size 8; continuing with batch size 2"]
        assert torch.equal(batch.run(fn, 5), torch.arange(5))  # remembers: no new retries, no new report
    assert len(_reports(caplog)) == 1 and max(tried[3:]) == 2

    def mps(start: int, stop: int) -> torch.Tensor:
        if stop - start > 1:
            raise RuntimeError("MPS backend out of memory (MPS allocated: 8.00 GB)")
        return torch.arange(start, stop)

    assert torch.equal(run_in_batches(mps, 3, 4), torch.arange(3))

    def never_fits(start: int, stop: int) -> torch.Tensor:
        raise torch.OutOfMemoryError("CUDA out of memory")

    with pytest.raises(FakebenchError, match="even at batch size 1"):
        run_in_batches(never_fits, 3, 4, what="reconstruction", device="cpu")
    with pytest.raises(ValueError, match="not memory"):  # other errors pass through untouched
        run_in_batches(lambda a, b: (_ for _ in ()).throw(ValueError("not memory")), 3, 2)


def _reports(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "fakebench.core.devices"]
