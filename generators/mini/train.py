"""Retrain the whole mini world from a seed: `fakebench mini train`.

Autoencoders learn to reconstruct random patches of the training photos' crops; denoisers learn
the autoencoder's latents of 64 x 64 patches. Only the corpus's *train* split is used, so test
photos stay unseen by every generator. The output is a folder of diffusers components plus a
SHA256SUMS manifest, ready to commit.
"""
from __future__ import annotations

import logging
import shutil
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from diffusers.utils import logging as diffusers_logging
from tqdm.auto import tqdm

from fakebench.core.cache import atomic_write_json
from fakebench.core.imageio import decode
from fakebench.core.pixels import pil_to_tensor
from fakebench.core.schedules import warmup_cosine
from fakebench.data.corpus import CorpusConfig, crop_jpeg_bytes, crop_specs
from fakebench.generators.denoiser_training import denoiser_step, training_start
from fakebench.generators.mini.architectures import (
    IMAGE_SIDE,
    MINI_SPECS,
    UNETS,
    VAES,
    MiniTrainConfig,
    UNetSpec,
    VAESpec,
)
from fakebench.generators.mini.weights import WEIGHTS_DIR, write_manifest

log = logging.getLogger(__name__)


def train_images(corpus: CorpusConfig) -> list[torch.Tensor]:
    """The train split exactly as stored (JPEG round trip included), as 3 x H x W tensors."""
    specs = crop_specs("train", corpus)
    return [pil_to_tensor(decode(crop_jpeg_bytes(s))) for s in tqdm(specs, desc="train crops", leave=False)]


def random_patches(images: list[torch.Tensor], n: int, side: int, rng: np.random.Generator) -> torch.Tensor:
    out = torch.empty(n, 3, side, side)
    for k in range(n):
        img = images[int(rng.integers(len(images)))]
        _, h, w = img.shape
        top, left = int(rng.integers(h - side + 1)), int(rng.integers(w - side + 1))
        patch = img[:, top : top + side, left : left + side]
        out[k] = patch.flip(-1) if rng.random() < 0.5 else patch
    return out


def train_vae(name: str, spec: VAESpec, images: list[torch.Tensor], cfg: MiniTrainConfig, seed: int):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    vae = spec.build()
    opt = torch.optim.AdamW(vae.parameters(), lr=cfg.vae_lr, weight_decay=0.0)
    bar = tqdm(range(cfg.vae_steps), desc=f"train {name}")
    for step in bar:
        for g in opt.param_groups:
            g["lr"] = cfg.vae_lr * warmup_cosine(step, cfg.vae_steps, warmup=50)
        x = random_patches(images, cfg.vae_batch, cfg.vae_patch, rng) * 2 - 1
        post = vae.encode(x).latent_dist
        # decode the posterior mode: a sampled posterior converges far too slowly on a CPU budget;
        # the KL term stays as a small regulariser of the latent mean
        y = vae.decode(post.mode()).sample
        rec = (y - x).abs().mean() if spec.recon_loss == "l1" else F.mse_loss(y, x)
        loss = rec + spec.kl_weight * post.kl().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        if step % 50 == 0:
            bar.set_postfix(rec=f"{rec.item():.4f}")
    return vae.eval()


@torch.no_grad()
def encode_latents(vae, images: list[torch.Tensor], cfg: MiniTrainConfig, seed: int) -> torch.Tensor:
    """Latents (posterior mode, as `reconstruct` uses) of 64 x 64 patches, flips included; also sets
    the VAE's latent scaling factor to 1 / their std, as Stable Diffusion's 0.18215 does."""
    rng = np.random.default_rng(seed)
    latents = []
    for start in tqdm(range(0, cfg.latent_patches, 128), desc="encode latents", leave=False):
        n = min(128, cfg.latent_patches - start)
        latents.append(vae.encode(random_patches(images, n, IMAGE_SIDE, rng) * 2 - 1).latent_dist.mode())
    z = torch.cat(latents)
    vae.register_to_config(scaling_factor=float(1.0 / z.std()))
    return z


def train_unet(name: str, spec: UNetSpec, latents: torch.Tensor, scaling: float,
               cfg: MiniTrainConfig, seed: int):
    unet, ema, sched, opt, g = training_start(spec, cfg.unet_lr, seed)
    bar = tqdm(range(cfg.unet_steps), desc=f"train {name}")
    for step in bar:
        for pg in opt.param_groups:
            pg["lr"] = cfg.unet_lr * warmup_cosine(step, cfg.unet_steps, warmup=50)
        idx = torch.randint(0, latents.shape[0], (cfg.unet_batch,), generator=g)
        z0 = latents[idx] * scaling
        noise = torch.randn(z0.shape, generator=g)
        t = torch.randint(0, sched.config.num_train_timesteps, (cfg.unet_batch,), generator=g)
        loss = denoiser_step(unet, ema, opt, sched, z0, noise, t, spec.prediction_type, cfg.unet_ema, step)
        if step % 50 == 0:
            bar.set_postfix(loss=f"{loss.item():.4f}")
    return ema.eval()


def component_seed(cfg: MiniTrainConfig, name: str) -> int:
    return cfg.seed * 1000 + sorted(list(VAES) + list(UNETS)).index(name)


def train_mini_world(cfg: MiniTrainConfig = MiniTrainConfig(), out_dir: Path = WEIGHTS_DIR,
                     corpus: CorpusConfig = CorpusConfig()) -> dict[str, float]:
    """Train every component and write them (fp16 safetensors) plus the manifest to `out_dir`."""
    torch.set_num_threads(max(1, torch.get_num_threads()))
    started = time.perf_counter()
    images = train_images(corpus)
    timings: dict[str, float] = {}
    staging = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    diffusers_logging.set_verbosity_error()  # fp16 export warns about casting; that is intended here
    vaes = {}
    latents = {}
    for vname, vspec in VAES.items():
        t0 = time.perf_counter()
        vae = train_vae(vname, vspec, images, cfg, component_seed(cfg, vname))
        latents[vname] = encode_latents(vae, images, cfg, component_seed(cfg, vname))
        vaes[vname] = vae
        vae.to(torch.float16).save_pretrained(staging / vname, safe_serialization=True)
        timings[vname] = time.perf_counter() - t0
    for gspec in MINI_SPECS:
        uname = gspec.unet
        if (staging / uname).exists():
            continue
        t0 = time.perf_counter()
        scaling = float(vaes[gspec.vae].config.scaling_factor)
        unet = train_unet(uname, UNETS[uname], latents[gspec.vae], scaling, cfg, component_seed(cfg, uname))
        unet.to(torch.float16).save_pretrained(staging / uname, safe_serialization=True)
        timings[uname] = time.perf_counter() - t0
    atomic_write_json(staging / "training.json", {"config": asdict(cfg), "corpus": asdict(corpus),
                                                   "seconds": timings})
    write_manifest(staging)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    staging.rename(out_dir)
    timings["total"] = time.perf_counter() - started
    log.info("mini world trained in %.0f s into %s", timings["total"], out_dir)
    return timings
