"""Retrain both TAEF2-latent denoisers from a seed: `fakebench mini train-taef2`.

The data are TAEF2's latents of the train split's start crops (`starts.start_crops("train")`: 80
JPEG-stored 128-px crops per train photo, each flipped or not by the seed), encoded once. Each
denoiser then trains for its `train_steps` (batch 32, AdamW, warm-up + cosine, EMA kept) on noise
levels below `max_train_timestep`, or until the wall budget runs out on a busy machine: the cosine
then follows elapsed time, and the step reached is recorded in training.json (so a wall-capped run
is not bit-reproducible; one that completes its steps is). Test and val photos are never read. The output is a folder of
diffusers components, `latent_stats.json` and a SHA256SUMS manifest, ready to commit.
"""
from __future__ import annotations

import logging
import shutil
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from diffusers.utils import logging as diffusers_logging
from tqdm.auto import tqdm

from fakebench.core.cache import atomic_write_json
from fakebench.core.imageio import decode
from fakebench.core.pixels import pil_to_tensor
from fakebench.core.schedules import warmup_cosine
from fakebench.data.corpus import crop_jpeg_bytes
from fakebench.generators.denoiser_training import denoiser_step, training_start
from fakebench.generators.manifest import write_manifest
from fakebench.generators.taef2.architecture import COMPONENTS
from fakebench.generators.taef2.weights import load_component
from fakebench.generators.taef2ldm.architectures import SPECS, DenoiserSpec, DenoiserTrainConfig
from fakebench.generators.taef2ldm.starts import START_CROPS_PER_PHOTO, start_crops
from fakebench.generators.taef2ldm.weights import LATENT_STATS, WEIGHTS_DIR

log = logging.getLogger(__name__)


@torch.inference_mode()
def training_latents(seed: int, batch: int = 50) -> torch.Tensor:
    """TAEF2 latents (N x 32 x 16 x 16) of the train split's start crops, each flipped with probability 1/2."""
    rng = np.random.default_rng(seed)
    encoder = load_component(COMPONENTS[0]).to(memory_format=torch.channels_last)
    crops = start_crops("train")
    out = []
    for start in tqdm(range(0, len(crops), batch), desc="encode train crops", leave=False):
        images = [pil_to_tensor(decode(crop_jpeg_bytes(s))) for s in crops[start:start + batch]]
        x = torch.stack([im.flip(-1) if rng.random() < 0.5 else im for im in images])
        out.append(encoder(x.contiguous(memory_format=torch.channels_last)).float().contiguous())
    return torch.cat(out)


def train_denoiser(spec: DenoiserSpec, latents: torch.Tensor, cfg: DenoiserTrainConfig, seed: int) -> tuple:
    """Train one denoiser on normalised latents; return (EMA model, steps done, final loss)."""
    unet, ema, sched, opt, g = training_start(spec, cfg.lr, seed)
    started = time.perf_counter()
    bar = tqdm(range(spec.train_steps), desc=f"train {spec.name}")
    steps, loss_avg = 0, float("nan")
    for step in bar:
        # the schedule runs on whichever runs out first, the planned steps or the wall budget, so a
        # busy machine still ends on a decayed learning rate (and the EMA on settled weights)
        progress = max(step / spec.train_steps, (time.perf_counter() - started) / cfg.wall_seconds)
        if progress >= 1:
            log.warning("%s: wall budget of %.0f s reached at step %d of %d", spec.name, cfg.wall_seconds, step,
                        spec.train_steps)
            break
        for pg in opt.param_groups:
            pg["lr"] = cfg.lr * warmup_cosine(round(progress * spec.train_steps), spec.train_steps, warmup=50)
        idx = torch.randint(0, latents.shape[0], (cfg.batch,), generator=g)
        z0 = latents[idx]
        flip = torch.rand(cfg.batch, generator=g) < 0.5  # latent flips: cheap extra variety
        z0 = torch.where(flip.view(-1, 1, 1, 1), z0.flip(-1), z0)
        noise = torch.randn(z0.shape, generator=g)
        t = torch.randint(0, spec.max_train_timestep, (cfg.batch,), generator=g)
        loss = denoiser_step(unet, ema, opt, sched, z0, noise, t, spec.prediction_type, cfg.ema, step)
        loss_avg = loss.item() if step == 0 else 0.98 * loss_avg + 0.02 * loss.item()
        steps = step + 1
        if step % 25 == 0:
            bar.set_postfix(loss=f"{loss_avg:.4f}")
    return ema.eval(), steps, loss_avg


def train_denoisers(cfg: DenoiserTrainConfig | None = None, out_dir: Path = WEIGHTS_DIR) -> dict:
    """Encode the training crops, train every denoiser, write them (fp16 safetensors), the latent
    statistics, training.json and the manifest to `out_dir`; return what training.json records."""
    cfg = cfg or DenoiserTrainConfig()
    torch.set_num_threads(cfg.threads)
    started = time.perf_counter()
    staging = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    diffusers_logging.set_verbosity_error()  # fp16 export warns about casting; that is intended here
    latents = training_latents(cfg.seed)
    mean = latents.mean(dim=(0, 2, 3), keepdim=True)
    std = latents.std(dim=(0, 2, 3), keepdim=True)
    atomic_write_json(staging / LATENT_STATS, {"mean": mean.flatten().tolist(), "std": std.flatten().tolist()})
    normalised = (latents - mean) / std
    record: dict = {"config": asdict(cfg), "data": {
        "crops": len(latents), "crops_per_photo": START_CROPS_PER_PHOTO, "split": "train",
        "encode_seconds": round(time.perf_counter() - started, 1)}, "denoisers": {}}
    for i, spec in enumerate(SPECS):
        t0 = time.perf_counter()
        unet, steps, loss = train_denoiser(spec, normalised, cfg, seed=cfg.seed * 1000 + i)
        unet.to(torch.float16).save_pretrained(staging / spec.component, safe_serialization=True)
        record["denoisers"][spec.name] = {"steps": steps, "planned_steps": spec.train_steps, "batch": cfg.batch,
                                          "final_loss_ema": round(loss, 5),
                                          "seconds": round(time.perf_counter() - t0, 1)}
    atomic_write_json(staging / "training.json", record)
    write_manifest(staging)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    staging.rename(out_dir)
    log.info("TAEF2 denoisers trained in %.0f s into %s", time.perf_counter() - started, out_dir)
    return record
