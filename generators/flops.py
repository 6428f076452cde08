"""What one image costs to make, in FLOPs, counted on the real architectures from their configs alone.

Generation = sampler steps x denoiser calls per step (two with classifier-free guidance, one when
guidance is distilled into the model) + one decode; reconstruction (the paper's alignment step) =
one encode + one decode; both per image at the model's native resolution and default sampling. Text
encoders run once per prompt, not per step, and are listed apart, not counted.

Models are built from `generators/configs/*.json` on the `meta` device, so no weights are read or
allocated, and `torch.utils.flop_counter.FlopCounterMode` counts every matmul and convolution,
attention included (on meta tensors the attention kernel is counted; on CPU tensors SDPA counts as
zero, so never count there). One multiply-accumulate is two FLOPs; MACs = FLOPs / 2."""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from fakebench.core.cache import cached_json, file_sha256, stable_hash
from fakebench.generators.hub_models import SPECS_BY_NAME, HubModelSpec
from fakebench.generators.mini.architectures import IMAGE_SIDE, UNETS, VAES
from fakebench.generators.mini.architectures import MINI_SPECS as MINI_SPECS

log = logging.getLogger(__name__)

CONFIGS_DIR = Path(__file__).with_name("configs")
CLIP_TOKENS = 77  # CLIP's prompt length, what SD 1.x / 2.x / XL cross-attend to
CANNOT_COUNT = "cannot count"  # how a count that failed (and is not kept in the cache) begins its error
FLOPS_SCHEMA = 1  # bumped when a change in counting (or in the mini architectures' code) moves a count
SD3_T5_TOKENS = 256  # StableDiffusion3Pipeline's default max_sequence_length


@dataclass(frozen=True)
class FlopCount:
    """Per image. `error` says why a generator could not be counted (then the numbers are zero)."""

    generator: str
    resolution: int = 0
    steps: int = 0
    guidance_scale: float = 0.0
    denoiser_calls: int = 0  # steps x (2 with classifier-free guidance, else 1)
    denoiser_flops: float = 0.0  # one call, one image
    decode_flops: float = 0.0
    encode_flops: float = 0.0
    text_encoders: tuple[str, ...] = ()
    note: str = ""
    error: str = ""

    @property
    def generate_flops(self) -> float:
        return self.denoiser_calls * self.denoiser_flops + self.decode_flops

    @property
    def reconstruct_flops(self) -> float:
        return self.encode_flops + self.decode_flops

    @property
    def ratio(self) -> float:
        """How many reconstructions cost as much as one generation."""
        return self.generate_flops / self.reconstruct_flops if self.reconstruct_flops else float("nan")

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "text_encoders": list(self.text_encoders), "generate_flops": self.generate_flops,
                "reconstruct_flops": self.reconstruct_flops, "ratio": None if self.error else self.ratio}


def count_flops(module: torch.nn.Module, *args: Any, **kwargs: Any) -> float:
    """FLOPs of one forward call (inputs on the meta device)."""
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        module(*args, **kwargs)
    return float(counter.get_total_flops())


def meta(*shape: int) -> torch.Tensor:
    return torch.empty(shape, device="meta")


def load_config(relative: str) -> dict[str, Any]:
    return json.loads((CONFIGS_DIR / relative).read_text(encoding="utf-8"))


def build_on_meta(config: dict[str, Any]) -> torch.nn.Module:
    """The diffusers model a config names (`_class_name`), built without allocating weights."""
    import diffusers

    cls = getattr(diffusers, config["_class_name"])
    with torch.device("meta"):
        return cls.from_config(config).eval()


@dataclass(frozen=True)
class DenoiserCall:
    """One denoiser call's inputs for a batch of one, by architecture."""

    latent_side: int
    text_tokens: int = CLIP_TOKENS
    extra: dict[str, Any] = field(default_factory=dict)

    def flops(self, model: torch.nn.Module) -> float:
        """FLOPs of one call; the model's own config (defaults filled in) gives the input shapes."""
        name, config, s, t = type(model).__name__, model.config, self.latent_side, meta(1)
        if name == "UNet2DModel":
            return count_flops(model, meta(1, config["in_channels"], s, s), t)
        if name == "UNet2DConditionModel":
            kwargs: dict[str, Any] = {"encoder_hidden_states": meta(1, self.text_tokens, config["cross_attention_dim"])}
            if config.get("addition_embed_type") == "text_time":  # SDXL micro-conditioning: pooled text + 6 size ids
                text_dim = config["projection_class_embeddings_input_dim"] - 6 * config["addition_time_embed_dim"]
                kwargs["added_cond_kwargs"] = {"text_embeds": meta(1, text_dim), "time_ids": meta(1, 6)}
            if config.get("time_cond_proj_dim"):
                kwargs["timestep_cond"] = meta(1, config["time_cond_proj_dim"])
            return count_flops(model, meta(1, config["in_channels"], s, s), t, **kwargs)
        if name == "SD3Transformer2DModel":
            text = meta(1, CLIP_TOKENS + SD3_T5_TOKENS, config["joint_attention_dim"])  # CLIP-L+G, then T5
            return count_flops(model, hidden_states=meta(1, config["in_channels"], s, s), encoder_hidden_states=text,
                               pooled_projections=meta(1, config["pooled_projection_dim"]), timestep=t)
        if name == "FluxTransformer2DModel":  # latents packed 2x2 into tokens of 4 x 16 channels
            tokens = (s // 2) ** 2
            kwargs = {"guidance": meta(1)} if config.get("guidance_embeds") else {}
            return count_flops(model, hidden_states=meta(1, tokens, config["in_channels"]),
                               encoder_hidden_states=meta(1, self.text_tokens, config["joint_attention_dim"]),
                               pooled_projections=meta(1, config["pooled_projection_dim"]), timestep=t,
                               img_ids=meta(tokens, 3), txt_ids=meta(self.text_tokens, 3), **kwargs)
        raise ValueError(f"no input recipe for a {name} denoiser")


def autoencoder_flops(vae: torch.nn.Module, resolution: int) -> tuple[float, float]:
    """(encode, decode) FLOPs of one image at `resolution` through an AutoencoderKL."""
    down = 2 ** (len(vae.config.block_out_channels) - 1)
    encode = count_flops(vae.encode, meta(1, vae.config.in_channels, resolution, resolution))
    side = resolution // down
    decode = count_flops(vae.decode, meta(1, vae.config.latent_channels, side, side))
    return encode, decode


def _text_tokens(spec: HubModelSpec) -> int:
    return int(dict(spec.call_kwargs).get("max_sequence_length", CLIP_TOKENS))


@cache
def _autoencoder_counts(relative: str, resolution: int) -> tuple[float, float, int]:
    """(encode, decode, downscale) of a committed autoencoder config; shared lineages count once."""
    vae = build_on_meta(load_config(relative))
    return *autoencoder_flops(vae, resolution), 2 ** (len(vae.config.block_out_channels) - 1)


@cache
def _denoiser_count(relative: str, latent_side: int, text_tokens: int) -> float:
    return DenoiserCall(latent_side, text_tokens).flops(build_on_meta(load_config(relative)))


def count_hub(spec: HubModelSpec) -> FlopCount:
    """A real model from its committed configs, at its native size and default sampling."""
    classifier_free = spec.guidance_scale > 1 and not spec.guidance_distilled
    base = FlopCount(spec.name, spec.resolution, spec.steps, spec.guidance_scale,
                     spec.steps * (2 if classifier_free else 1), text_encoders=spec.text_encoders, note=spec.flops_note)
    if not (spec.denoiser_config and spec.autoencoder_config):
        return FlopCount(**{**asdict(base), "denoiser_calls": 0, "error": spec.flops_note or "no architecture config"})
    encode, decode, down = _autoencoder_counts(spec.autoencoder_config, spec.resolution)
    denoiser = _denoiser_count(spec.denoiser_config, spec.resolution // down, _text_tokens(spec))
    return FlopCount(**{**asdict(base), "denoiser_flops": denoiser, "decode_flops": decode, "encode_flops": encode})


def count_mini(name: str) -> FlopCount:
    """A mini-world generator from its real modules (built on meta): unconditional, no guidance."""
    spec = next(s for s in MINI_SPECS if s.name == name)
    with torch.device("meta"):
        vae, unet = VAES[spec.vae].build().eval(), UNETS[spec.unet].build().eval()
    encode, decode = autoencoder_flops(vae, IMAGE_SIDE)
    denoiser = DenoiserCall(unet.config.sample_size).flops(unet)
    return FlopCount(name, IMAGE_SIDE, spec.num_inference_steps, 0.0, spec.num_inference_steps, denoiser, decode,
                     encode, note="mini world: unconditional, trained by fakebench")


def count_generator(name: str) -> FlopCount:
    """Count a registered generator; one that cannot be counted gets a FlopCount whose error says why."""
    try:
        if name in SPECS_BY_NAME:
            return count_hub(SPECS_BY_NAME[name])
        if any(s.name == name for s in MINI_SPECS):
            return count_mini(name)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:  # a config diffusers cannot build
        log.warning("cannot count %s: %s", name, exc)
        return FlopCount(name, error=f"{CANNOT_COUNT}: {type(exc).__name__}: {exc}")
    return FlopCount(name, error="no architecture config (FLOP counts cover the built-in generators)")


def _count_inputs(name: str) -> Any:
    """What a generator's count reads: its spec, and for a real model the bytes of its configs."""
    if name in SPECS_BY_NAME:
        spec = SPECS_BY_NAME[name]
        configs = [file_sha256(CONFIGS_DIR / c) for c in (spec.denoiser_config, spec.autoencoder_config)
                   if c and (CONFIGS_DIR / c).is_file()]
        return [asdict(spec), configs]
    mini = next((s for s in MINI_SPECS if s.name == name), None)
    return [asdict(mini), asdict(VAES[mini.vae]), asdict(UNETS[mini.unet]), IMAGE_SIDE] if mini else name


def flop_record(names: list[str]) -> dict[str, Any]:
    """The cost record's FLOP part (cost.json): per generator its counts, and what counted them. Cached
    on what the counts read (specs, configs, torch and diffusers versions): a warm run recounts nothing."""
    versions = {"torch": torch.__version__, "diffusers": version("diffusers"), "device": "meta"}
    key = stable_hash("flops", FLOPS_SCHEMA, versions, [[n, _count_inputs(n)] for n in names])
    return cached_json("flops", key, lambda: {"flops": {n: count_generator(n).as_dict() for n in names},
                                              "counted_with": versions},
                       keep=lambda record: not any(c["error"].startswith(CANNOT_COUNT)
                                                   for c in record["flops"].values()))
