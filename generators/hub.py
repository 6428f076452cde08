"""Real latent-diffusion generators through diffusers, registered as `sd15`, `sdxl`, `flux-dev`, ...
(declared with their metadata in `fakebench.generators.catalog`; this module is imported on first build).

Building one is free: it only records options. Weights load on first use, from (in this order) the
`source` the caller gives (a Hub repo id or a folder written by `save_pretrained`), the folder
`$FAKEBENCH_MODELS_DIR/<name>`, or the model's repo in the Hugging Face cache (HF_HUB_CACHE /
HF_HOME). Nothing is downloaded unless the caller passes `local_files_only=False`; a missing model
raises `WeightsMissingError` with the command that fetches it.

`reconstruct` loads the autoencoder alone (the paper's cheap alignment step); `generate` loads the
whole pipeline and samples the committed prompt list with one seeded torch.Generator per image.
"""
from __future__ import annotations

import inspect
import json
import logging
import os
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fakebench.core.cache import stable_hash
from fakebench.core.devices import DTYPE_NAMES, AdaptiveBatch, resolve_device, resolve_dtype
from fakebench.core.errors import FakebenchError
from fakebench.core.execution import channels_last
from fakebench.core.seeds import derived_seed
from fakebench.data.hf_cache import hf_hub_cache
from fakebench.generators.autoencoders import AutoencoderRoundTrip, autoencoder_class
from fakebench.generators.base import Generator
from fakebench.generators.hub_files import ModelFiles
from fakebench.generators.hub_models import (
    HUB_MODELS,
    PROMPTS_PATH,
    HubModelSpec,
    ModelSource,
    component_digests,
    file_digest,
    pipeline_digests,
    prompts_for,
    resolve_source,
)

log = logging.getLogger(__name__)

@lru_cache(maxsize=1)
def dtype_kwarg() -> str:
    """diffusers renamed from_pretrained's `torch_dtype` to `dtype` (the old name now warns)."""
    from diffusers import DiffusionPipeline

    try:
        source = inspect.getsource(DiffusionPipeline.from_pretrained)
    except (OSError, TypeError):
        return "torch_dtype"
    return "dtype" if 'kwargs.pop("dtype"' in source else "torch_dtype"


def images_to_tensor(images: Any) -> torch.Tensor:
    """Pipeline output ("np": N x H x W x 3, or "pt": N x 3 x H x W, in [0, 1]) -> float N x 3 x H x W on CPU."""
    if isinstance(images, np.ndarray):
        t = torch.from_numpy(np.ascontiguousarray(images))
        if t.ndim == 3:
            t = t[None]
        t = t.permute(0, 3, 1, 2)
    elif isinstance(images, torch.Tensor):
        t = images
    else:
        raise FakebenchError(f"unexpected pipeline output of type {type(images).__name__}",
                             fix="report this: the pipeline was asked for output_type='np'")
    return t.detach().float().cpu().clamp(0, 1).contiguous()


# ---------------------------------------------------------------- the generator


class DiffusersGenerator(Generator):
    """A Hub text-to-image model: cheap to build, loads its autoencoder or pipeline on first use."""

    def __init__(
        self,
        spec: HubModelSpec,
        *,
        source: str | os.PathLike | None = None,
        device: str | torch.device = "cpu",
        dtype: str | torch.dtype = "fp32",
        local_files_only: bool = True,
        steps: int | None = None,
        guidance_scale: float | None = None,
        resolution: int | None = None,
        batch_size: int = 4,
        tile_above: int | None = 1024,
        vae_slicing: bool = True,
    ) -> None:
        self.spec = spec
        self.info = spec.info(resolution)
        self.device = resolve_device(device)
        self.dtype = resolve_dtype(dtype, self.device)
        self.local_files_only = bool(local_files_only)
        self.steps = int(steps) if steps is not None else spec.steps
        self.guidance_scale = float(guidance_scale) if guidance_scale is not None else spec.guidance_scale
        self.resolution = int(resolution) if resolution else spec.resolution
        self.tile_above = tile_above
        self.vae_slicing = vae_slicing
        self.source = resolve_source(spec.name, spec.hub_id, source)
        self.files = ModelFiles(spec, self.source, self._connected_sources(), self.local_files_only)
        if self.source.kind == "folder":
            self.files.check_folder(Path(self.source.location))
        self._generate_batch = AdaptiveBatch(batch_size, f"generation with {spec.name}", self.device)
        self._reconstruct_batch = AdaptiveBatch(batch_size, f"reconstruction with {spec.name}", self.device)
        self._pipe: Any = None
        self._autoencoder: AutoencoderRoundTrip | None = None
        self._fingerprint: str | None = None
        self._reconstruction_fingerprint: str | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.spec.name!r}, {self.source.describe()}, device={self.device})"

    # -- capabilities ---------------------------------------------------------------------------

    @property
    def can_generate(self) -> bool:
        return True

    @property
    def can_reconstruct(self) -> bool:
        return not self.spec.pixel_space

    def _connected_sources(self) -> list[ModelSource]:
        """Other repos generation needs (priors, super-resolution): from the Hub cache, unless the
        main source is a folder, which then holds the whole (combined) pipeline."""
        if self.source.kind == "folder":
            return []
        return [ModelSource("hub", repo) for repo in self.spec.connected_hub_ids]

    # -- reconstruction ------------------------------------------------------------------------

    def _autoencoder_dtype(self, folder: Path) -> torch.dtype:
        """fp16 autoencoders that ask for it (SDXL's VAE overflows in fp16) run in fp32."""
        if self.dtype == torch.float16:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
            if config.get("force_upcast", False):
                return torch.float32
        return self.dtype

    def load_autoencoder(self) -> AutoencoderRoundTrip:
        """The autoencoder alone (never the pipeline), loaded once."""
        if self._autoencoder is None:
            folder = self.files.autoencoder_folder()
            dtype = self._autoencoder_dtype(folder)
            cls = autoencoder_class(self.spec.autoencoder_kind)
            try:
                model = cls.from_pretrained(str(folder), **{dtype_kwarg(): dtype})
            except (OSError, ValueError, RuntimeError) as exc:
                raise self.files.load_error(exc, "reconstruction") from None
            model = channels_last(model.to(self.device).eval())
            if self.vae_slicing and hasattr(model, "use_slicing"):
                model.enable_slicing()
            self._autoencoder = AutoencoderRoundTrip(model, self.spec.autoencoder_kind, self.device, dtype,
                                                     self.tile_above)
            log.info("%s: loaded %s from %s", self.spec.name, cls.__name__, folder)
        return self._autoencoder

    def reconstruct(self, images: torch.Tensor) -> torch.Tensor:
        """Autoencoder round trip of N x 3 x H x W in [0, 1], any H and W (padded to the latent
        stride and cropped back). Halves the batch on out-of-memory."""
        if images.ndim != 4 or images.shape[1] != 3:
            raise FakebenchError(f"reconstruct expects N x 3 x H x W images, got shape {tuple(images.shape)}")
        ae = self.load_autoencoder()
        if len(images) == 0:
            return images.detach().float().cpu().clone()
        return self._reconstruct_batch.run(lambda a, b: ae.round_trip(images[a:b]), len(images))

    @property
    def reconstruction_fingerprint(self) -> str:
        """Hash of the autoencoder's config and weights (sha256), and how it is run."""
        if self._reconstruction_fingerprint is None:
            folder = self.files.autoencoder_folder()
            self._reconstruction_fingerprint = stable_hash(
                "hub-autoencoder", self.spec.autoencoder_kind, component_digests(folder),
                DTYPE_NAMES[self._autoencoder_dtype(folder)], self.tile_above)
        return self._reconstruction_fingerprint

    # -- generation ------------------------------------------------------------------------------

    def _pipeline_class(self) -> type:
        import diffusers

        try:
            return getattr(diffusers, self.spec.pipeline_class)
        except AttributeError:
            raise FakebenchError(f"{self.spec.name} needs diffusers' {self.spec.pipeline_class}, which "
                                 f"diffusers {diffusers.__version__} does not have",
                                 fix="install a diffusers version that has it") from None

    def _from_pretrained(self, cls: type, root: Path, **overrides: Any) -> Any:
        params = inspect.signature(cls.__init__).parameters
        kwargs: dict[str, Any] = {dtype_kwarg(): self.dtype, "local_files_only": self.local_files_only,
                                  "cache_dir": str(hf_hub_cache())}
        # The safety checker replaces flagged images with black ones: not what the model makes.
        if "safety_checker" in params:
            kwargs["safety_checker"] = None
        if "requires_safety_checker" in params:
            kwargs["requires_safety_checker"] = False
        kwargs.update(overrides)
        try:
            pipe = cls.from_pretrained(str(root), **kwargs)
        except (OSError, ValueError, RuntimeError, TypeError) as exc:
            raise self.files.load_error(exc, "generation") from None
        pipe.to(self.device)
        pipe.set_progress_bar_config(disable=True)
        vae = getattr(pipe, "vae", None)
        if vae is not None:
            if self.vae_slicing and hasattr(vae, "use_slicing"):
                vae.enable_slicing()
            if self.tile_above is not None and self.resolution > self.tile_above and hasattr(vae, "use_tiling"):
                vae.enable_tiling()
        return pipe

    def _load_pipeline(self) -> Any:
        for src in self._connected_sources():  # fetch (or check) them first, for a clear error
            self.files.generation_root(src)
        return self._from_pretrained(self._pipeline_class(), self.files.generation_root(self.source))

    def load_pipeline(self) -> Any:
        """The whole pipeline, loaded once (on the generator's device, in its dtype)."""
        if self._pipe is None:
            self._pipe = self._load_pipeline()
            log.info("%s: loaded %s from %s", self.spec.name, self.spec.pipeline_class, self.source.describe())
        return self._pipe

    def generator_seeds(self, seed: int, indices: Sequence[int], stage: str = "") -> list[torch.Generator]:
        """One CPU torch.Generator per image, seeded by (seed, i): image i ignores batching and device."""
        parts = (stage,) if stage else ()
        return [torch.Generator().manual_seed(derived_seed(seed, i, *parts)) for i in indices]

    def call_kwargs(self, seed: int, indices: Sequence[int]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "prompt": prompts_for(indices),
            "height": self.resolution,
            "width": self.resolution,
            "generator": self.generator_seeds(seed, indices),
            "output_type": "np",
            self.spec.steps_kwarg: self.steps,
            self.spec.guidance_kwarg: self.guidance_scale,
        }
        kwargs.update(dict(self.spec.call_kwargs))
        return kwargs

    def _sample(self, pipe: Any, seed: int, indices: Sequence[int]) -> torch.Tensor:
        return images_to_tensor(pipe(**self.call_kwargs(seed, indices)).images)

    @torch.inference_mode()
    def generate_indices(self, seed: int, indices: range) -> torch.Tensor:
        """Images `indices` of the seeded stream at the native resolution: prompt i % len(prompts),
        noise from derived_seed(seed, i). Batches halve on out-of-memory."""
        idx = list(indices)
        if not idx:
            return torch.empty(0, 3, self.resolution, self.resolution)
        pipe = self.load_pipeline()
        return self._generate_batch.run(lambda a, b: self._sample(pipe, seed, idx[a:b]), len(idx))

    def sampler_settings(self) -> list[Any]:
        """What besides weights and prompts decides the generated images."""
        return [self.steps, self.guidance_scale, self.resolution, DTYPE_NAMES[self.dtype], self.spec.steps_kwarg,
                self.spec.guidance_kwarg, [list(kv) for kv in self.spec.call_kwargs]]

    @property
    def fingerprint(self) -> str:
        """Hash of every component's weights and config (scheduler included), the sampler settings
        and the prompt list."""
        if self._fingerprint is None:
            self._fingerprint = stable_hash(
                "hub-generator", self.spec.pipeline_class, [pipeline_digests(r) for r in self.files.generation_roots()],
                self.sampler_settings(), file_digest(PROMPTS_PATH))
        return self._fingerprint


class DeepFloydIFGenerator(DiffusersGenerator):
    """DeepFloyd IF: stage I (64 px) then stage II super-resolution (256 px), both in pixel space.

    `stage2_source` is stage II's repo id or folder (default: the spec's connected repo, or
    $FAKEBENCH_MODELS_DIR/<name>-stage2). Stage III (x4 upscaler) is not run.
    """

    def __init__(self, spec: HubModelSpec, *, stage2_source: str | os.PathLike | None = None,
                 stage2_steps: int = 50, stage2_guidance_scale: float = 4.0, **kwargs: Any) -> None:
        self.stage2 = resolve_source(f"{spec.name}-stage2", spec.connected_hub_ids[0], stage2_source)
        super().__init__(spec, **kwargs)  # after stage2: the model's files include it
        self.stage2_steps = int(stage2_steps)
        self.stage2_guidance_scale = float(stage2_guidance_scale)

    def _connected_sources(self) -> list[ModelSource]:
        return [self.stage2]

    def sampler_settings(self) -> list[Any]:
        return [*super().sampler_settings(), self.stage2_steps, self.stage2_guidance_scale]

    def _load_pipeline(self) -> Any:
        import diffusers

        stage1 = self._from_pretrained(self._pipeline_class(), self.files.generation_root(self.source))
        stage2 = self._from_pretrained(diffusers.IFSuperResolutionPipeline, self.files.generation_root(self.stage2),
                                       text_encoder=None)  # stage I's T5 embeddings are reused
        return stage1, stage2

    def _sample(self, pipe: Any, seed: int, indices: Sequence[int]) -> torch.Tensor:
        stage1, stage2 = pipe
        extra = dict(self.spec.call_kwargs)
        cfg = max(self.guidance_scale, self.stage2_guidance_scale) > 1  # either stage may need negatives
        embeds, negative = stage1.encode_prompt(prompts_for(indices), do_classifier_free_guidance=cfg,
                                                device=self.device, clean_caption=extra.get("clean_caption", False))
        low = stage1(prompt_embeds=embeds, negative_prompt_embeds=negative, num_inference_steps=self.steps,
                     guidance_scale=self.guidance_scale, generator=self.generator_seeds(seed, indices),
                     output_type="pt", **extra).images  # [-1, 1], stage II's input
        out = stage2(image=low, prompt_embeds=embeds, negative_prompt_embeds=negative, height=self.resolution,
                     width=self.resolution, num_inference_steps=self.stage2_steps,
                     guidance_scale=self.stage2_guidance_scale,
                     generator=self.generator_seeds(seed, indices, "stage2"), output_type="np", **extra).images
        return images_to_tensor(out)




def _factory(spec: HubModelSpec) -> Callable[..., DiffusersGenerator]:
    cls = DeepFloydIFGenerator if spec.pipeline_class == "IFPipeline" else DiffusersGenerator

    def create(**kwargs: Any) -> DiffusersGenerator:
        return cls(spec, **kwargs)

    create.__name__ = create.__qualname__ = f"create_{re.sub(r'[^0-9a-zA-Z]+', '_', spec.name)}"
    create.__doc__ = f"{spec.name}: {spec.hub_id} via diffusers' {spec.pipeline_class} ({spec.license})."
    return create


# the registry's factory of each real model, by name (declared `by_name` in `fakebench.generators.catalog`)
FACTORIES = {spec.name: _factory(spec) for spec in HUB_MODELS}
