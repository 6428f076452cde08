"""How fakebench builds its own latent denoisers (the mini world's UNets and the TAEF2 denoisers): a
diffusers UNet2DModel whose up path mirrors its down path, trained under a DDPM schedule with Stable
Diffusion's betas and sampled by DDIM on the same schedule. One builder, so the two families differ only
in the numbers their specs give."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # diffusers is imported where a model is built, not when a spec is read
    from diffusers import DDIMScheduler, DDPMScheduler, UNet2DModel

NUM_TRAIN_TIMESTEPS = 1000


def mirrored_unet(sample_size: int, channels: int, block_out_channels: tuple[int, ...],
                  down_block_types: tuple[str, ...], layers_per_block: int, norm_num_groups: int,
                  attention_head_dim: int) -> UNet2DModel:
    """A UNet2DModel on `channels`-channel latents of side `sample_size`, its up blocks the down blocks'
    mirror (`...DownBlock2D` -> `...UpBlock2D`, reversed)."""
    from diffusers import UNet2DModel

    up = tuple(t.replace("Down", "Up") for t in reversed(down_block_types))
    return UNet2DModel(sample_size=sample_size, in_channels=channels, out_channels=channels,
                       block_out_channels=block_out_channels, down_block_types=down_block_types,
                       up_block_types=up, layers_per_block=layers_per_block, norm_num_groups=norm_num_groups,
                       attention_head_dim=attention_head_dim)


def train_scheduler(beta_schedule: str, prediction_type: str) -> DDPMScheduler:
    """The training schedule: Stable Diffusion's betas (0.00085 to 0.012) over 1,000 steps, no clipping."""
    from diffusers import DDPMScheduler

    return DDPMScheduler(num_train_timesteps=NUM_TRAIN_TIMESTEPS, beta_schedule=beta_schedule, beta_start=0.00085,
                         beta_end=0.012, prediction_type=prediction_type, clip_sample=False)


def sampler(beta_schedule: str, prediction_type: str) -> DDIMScheduler:
    """DDIM on the training schedule."""
    from diffusers import DDIMScheduler

    return DDIMScheduler.from_config(train_scheduler(beta_schedule, prediction_type).config, clip_sample=False)
