"""One training step of a latent denoiser, shared by the mini world's UNets and the TAEF2 denoisers:
both learn the same loss with the same clipping and EMA, so their training code differs only in data,
schedule and budget."""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F


def training_start(spec, lr: float, seed: int) -> tuple:
    """Seed, then build the denoiser, its EMA copy, its training scheduler, AdamW and the batch generator:
    one start for both worlds, so a seed gives the same weights and the same draws in either.
    Returns (unet, ema, scheduler, optimizer, generator)."""
    torch.manual_seed(seed)
    unet = spec.build()
    ema = copy.deepcopy(unet).requires_grad_(False)
    sched = spec.train_scheduler()
    opt = torch.optim.AdamW(unet.parameters(), lr=lr, weight_decay=0.0)
    return unet, ema, sched, opt, torch.Generator().manual_seed(seed)


def denoiser_step(unet: torch.nn.Module, ema: torch.nn.Module, opt: torch.optim.Optimizer, sched,
                  z0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor, prediction_type: str,
                  ema_cap: float, step: int) -> torch.Tensor:
    """Noise `z0` to `t`, regress the target `prediction_type` names (epsilon or v), clip the gradient
    norm at 1, step, and move the EMA copy (decay warming up to `ema_cap`); returns the loss."""
    zt = sched.add_noise(z0, noise, t)
    target = noise if prediction_type == "epsilon" else sched.get_velocity(z0, noise, t)
    loss = F.mse_loss(unet(zt, t).sample, target)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
    opt.step()
    with torch.no_grad():
        decay = min(ema_cap, (1 + step) / (10 + step))
        for pe, p in zip(ema.parameters(), unet.parameters()):
            pe.lerp_(p, 1 - decay)
    return loss
