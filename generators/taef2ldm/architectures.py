"""Two small denoisers in TAEF2's latent space (32 channels, 1/8 resolution), as configs.

`taef2-sd` plays Stable Diffusion (the training generator): a UNet2D with epsilon prediction on the
scaled-linear schedule. `taef2-playground` plays Playground v2.5 (the paper's "denoiser differs"
generator): another block layout (attention first, two layers per block), v-prediction on the
cosine schedule. Both decode through the same TAEF2, so their samples carry its trace.

Sampling is img2img-style (SDEdit): a photo crop's TAEF2 latent is noised to `strength` of the
schedule and denoised with DDIM. Trained for CPU minutes, these denoisers give grey textures from
pure noise but photo-structured images with their own artifacts from partly noised latents; which
photos a sample may start from is fixed by its seed (`fakebench.generators.taef2ldm.starts`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fakebench.generators.info import GeneratorInfo
from fakebench.generators.latent_unets import NUM_TRAIN_TIMESTEPS, mirrored_unet, sampler, train_scheduler
from fakebench.generators.taef2.spec import LATENT_CHANNELS, STRIDE

if TYPE_CHECKING:  # diffusers is imported where a model is built: listing generators never pays for it
    from diffusers import DDIMScheduler, DDPMScheduler, UNet2DModel

IMAGE_SIDE = 128  # samples are PNG at this fixed size, as real generators emit one native size
LATENT_SIDE = IMAGE_SIDE // STRIDE


@dataclass(frozen=True)
class DenoiserSpec:
    """One denoiser: its UNet layout, what it predicts, its noise schedule and how it samples."""

    name: str  # the registered generator name
    component: str  # its folder under the weights directory
    block_out_channels: tuple[int, ...]
    down_block_types: tuple[str, ...]
    label: str  # the denoiser as `fakebench list generators` shows it
    layers_per_block: int = 1
    attention_head_dim: int = 32
    prediction_type: str = "epsilon"
    beta_schedule: str = "scaled_linear"
    strength: float = 0.5  # img2img: the fraction of the schedule a start latent is noised to
    num_inference_steps: int = 20  # DDIM steps over the full schedule; int(20 * strength) of them run
    train_steps: int = 1500  # optimizer steps of `DenoiserTrainConfig.batch` latents
    description: str = ""

    def build(self) -> UNet2DModel:
        return mirrored_unet(LATENT_SIDE, LATENT_CHANNELS, self.block_out_channels, self.down_block_types,
                             self.layers_per_block, 16, self.attention_head_dim)

    def train_scheduler(self) -> DDPMScheduler:
        return train_scheduler(self.beta_schedule, self.prediction_type)

    def sampler(self) -> DDIMScheduler:
        return sampler(self.beta_schedule, self.prediction_type)

    @property
    def max_train_timestep(self) -> int:
        """Training draws t below this: sampling never starts above `strength` of the schedule, so the
        budget goes to the noise levels it uses (with a margin above them)."""
        return min(NUM_TRAIN_TIMESTEPS, int(NUM_TRAIN_TIMESTEPS * min(1.0, self.strength + 0.2)))


SPECS: tuple[DenoiserSpec, ...] = (
    DenoiserSpec(
        "taef2-sd", "unet-sd", block_out_channels=(64, 96, 96),
        down_block_types=("DownBlock2D", "DownBlock2D", "AttnDownBlock2D"), train_steps=1800,
        label="UNet2D 3-level 64/96/96, attn at 4x4, eps, scaled-linear, TAEF2 latents",
        description="the faithful CPU world's Stable Diffusion: detectors are trained on it",
    ),
    DenoiserSpec(
        "taef2-playground", "unet-playground", block_out_channels=(64, 96),
        down_block_types=("DownBlock2D", "AttnDownBlock2D"), layers_per_block=2, attention_head_dim=24,
        prediction_type="v_prediction", beta_schedule="squaredcos_cap_v2", train_steps=1500,
        label="UNet2D 2-level 64/96, 2 layers per block, attn at 8x8, v-pred, cosine, TAEF2 latents",
        description="same autoencoder (TAEF2), another denoiser: Playground v2.5's role",
    ),
)


def denoiser_info(spec: DenoiserSpec) -> GeneratorInfo:
    """What a listing shows of a TAEF2-latent denoiser, and what the built generator carries."""
    return GeneratorInfo(
        name=spec.name,
        family="taef2-ldm",
        autoencoder="taef2",  # the same id as the `taef2` generator: they share aligned training sets
        denoiser=spec.label,
        resolution=IMAGE_SIDE,
        license="MIT (denoisers trained by fakebench on scikit-image/scikit-learn sample photos; "
                "TAEF2 by Ollin Boer Bohan)",
        release_date="2026-12",
        world="lite",
    )


@dataclass(frozen=True)
class DenoiserTrainConfig:
    """Everything that determines the committed denoiser weights (besides the wall budget, which
    only says when to stop: the step count reached is recorded in training.json)."""

    seed: int = 0
    batch: int = 32
    wall_seconds: float = 720.0  # per denoiser: a cap on a busy machine; the step reached is recorded
    lr: float = 5e-4
    ema: float = 0.995
    threads: int = 2
