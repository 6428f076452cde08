"""The mini world's model family, as configs: two autoencoders and three denoisers.

mini-sd and mini-playground share the autoencoder `vae-sd` but differ in denoiser (architecture,
size, prediction target, noise schedule), the relation of SD and Playground v2.5 in the paper.
mini-othervae has its own autoencoder `vae-other`, the paper's stated limitation.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fakebench.generators.info import GeneratorInfo
from fakebench.generators.latent_unets import mirrored_unet, sampler, train_scheduler

if TYPE_CHECKING:  # diffusers is imported where a model is built: listing or scoring never pays for it
    from diffusers import AutoencoderKL, DDIMScheduler, DDPMScheduler, UNet2DModel

IMAGE_SIDE = 64  # generated images are PNG at this fixed size, as real generators emit
LATENT_CHANNELS = 4
VAE_LEVELS = 4  # 3 downsamples: 8x spatial compression, as in Stable Diffusion


@dataclass(frozen=True)
class VAESpec:
    block_out_channels: tuple[int, ...]
    norm_num_groups: int = 8
    layers_per_block: int = 1
    recon_loss: str = "l1"  # "l1" or "mse"
    kl_weight: float = 1e-6

    def build(self, scaling_factor: float = 1.0) -> AutoencoderKL:
        from diffusers import AutoencoderKL

        assert len(self.block_out_channels) == VAE_LEVELS
        return AutoencoderKL(
            in_channels=3,
            out_channels=3,
            down_block_types=("DownEncoderBlock2D",) * VAE_LEVELS,
            up_block_types=("UpDecoderBlock2D",) * VAE_LEVELS,
            block_out_channels=self.block_out_channels,
            layers_per_block=self.layers_per_block,
            latent_channels=LATENT_CHANNELS,
            norm_num_groups=self.norm_num_groups,
            sample_size=IMAGE_SIDE,
            scaling_factor=scaling_factor,
        )


@dataclass(frozen=True)
class UNetSpec:
    block_out_channels: tuple[int, ...]
    down_block_types: tuple[str, ...]
    layers_per_block: int = 1
    norm_num_groups: int = 8
    attention_head_dim: int = 16
    prediction_type: str = "epsilon"
    beta_schedule: str = "scaled_linear"

    def build(self) -> UNet2DModel:
        return mirrored_unet(IMAGE_SIDE // 2 ** (VAE_LEVELS - 1), LATENT_CHANNELS, self.block_out_channels,
                             self.down_block_types, self.layers_per_block, self.norm_num_groups,
                             self.attention_head_dim)

    def train_scheduler(self) -> DDPMScheduler:
        return train_scheduler(self.beta_schedule, self.prediction_type)

    def sampler(self) -> DDIMScheduler:
        return sampler(self.beta_schedule, self.prediction_type)


@dataclass(frozen=True)
class MiniGeneratorSpec:
    name: str
    vae: str
    unet: str
    denoiser_label: str
    num_inference_steps: int = 20
    description: str = ""


VAES: dict[str, VAESpec] = {
    "vae-sd": VAESpec(block_out_channels=(16, 32, 64, 64), recon_loss="l1"),
    "vae-other": VAESpec(block_out_channels=(32, 32, 48, 48), recon_loss="mse", layers_per_block=1),
}

UNETS: dict[str, UNetSpec] = {
    "unet-sd": UNetSpec(
        block_out_channels=(32, 64),
        down_block_types=("DownBlock2D", "AttnDownBlock2D"),
    ),
    "unet-playground": UNetSpec(
        block_out_channels=(32, 32, 64),
        down_block_types=("AttnDownBlock2D", "DownBlock2D", "AttnDownBlock2D"),
        attention_head_dim=8,
        prediction_type="v_prediction",
        beta_schedule="squaredcos_cap_v2",
    ),
    "unet-othervae": UNetSpec(
        block_out_channels=(32, 64),
        down_block_types=("DownBlock2D", "AttnDownBlock2D"),
    ),
}

MINI_SPECS: tuple[MiniGeneratorSpec, ...] = (
    MiniGeneratorSpec("mini-sd", "vae-sd", "unet-sd", "UNet2D 2-level 32/64, eps, scaled-linear",
                      description="the mini world's Stable Diffusion: detectors are trained on it"),
    MiniGeneratorSpec("mini-playground", "vae-sd", "unet-playground",
                      "UNet2D 3-level 32/32/64 attn-first, v-pred, cosine",
                      description="same autoencoder, different denoiser (Playground v2.5's role)"),
    MiniGeneratorSpec("mini-othervae", "vae-other", "unet-othervae", "UNet2D 2-level 32/64, eps, scaled-linear",
                      description="a different autoencoder (the paper's stated limitation)"),
)



def mini_info(spec: MiniGeneratorSpec) -> GeneratorInfo:
    """What a listing shows of a mini generator, and what the built generator carries."""
    return GeneratorInfo(
        name=spec.name,
        family="mini-ldm",
        autoencoder=f"mini/{spec.vae}",
        denoiser=spec.denoiser_label,
        resolution=IMAGE_SIDE,
        license="MIT (trained by fakebench on scikit-image/scikit-learn sample photos)",
        release_date="2026-11",
        world="mini",
    )


@dataclass(frozen=True)
class MiniTrainConfig:
    """Everything that determines the committed mini-world weights."""

    seed: int = 0
    vae_steps: int = 2000
    vae_batch: int = 16
    vae_patch: int = 32
    vae_lr: float = 1e-3
    latent_patches: int = 4096
    unet_steps: int = 800
    unet_batch: int = 64
    unet_lr: float = 1e-3
    unet_ema: float = 0.995
    components: tuple[str, ...] = field(default=tuple(VAES) + tuple(UNETS))
