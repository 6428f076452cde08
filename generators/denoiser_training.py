"""One training step of a latent denoiser, shared by the mini world's UNets and the TAEF2 denoisers:
both learn the same loss with the same clipping and EMA, so their training code differs only in data,
schedule and budget."""
from __future__ import annotations

import torch
import torch.nn.functional as F


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
