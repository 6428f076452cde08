"""Tiny random-weight diffusers pipelines and autoencoders, built from configs and saved with
`save_pretrained`, so tests load them through the same code path as real models without any
download. Tokenizers are built from vocabularies written here (CLIP: the 256 byte-level symbols
and their end-of-word forms; T5: a handful of unigram pieces)."""
from __future__ import annotations

import json
from pathlib import Path

import torch

CLIP_MAX_LENGTH = 16
T5_PIECES = ["▁a", "▁photo", "▁of", "▁the", "▁on", "▁in", "▁with", "▁and", "s", "e", "a", "o", "i", "n"]


def _byte_symbols() -> list[str]:
    """GPT-2/CLIP's byte-level alphabet: printable bytes map to themselves, the rest above 255."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    codes, extra = dict(zip(printable, printable)), 0
    for b in range(256):
        if b not in codes:
            codes[b] = 256 + extra
            extra += 1
    return [chr(codes[b]) for b in range(256)]


def clip_tokenizer(folder: Path):
    """A CLIPTokenizer from a vocab.json (bytes, bytes + "</w>", specials) and a merges.txt with no merges."""
    from transformers import CLIPTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    symbols = _byte_symbols()
    vocab = {s: i for i, s in enumerate([*symbols, *(s + "</w>" for s in symbols), "<|startoftext|>", "<|endoftext|>"])}
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    (folder / "tokenizer_config.json").write_text(json.dumps({"model_max_length": CLIP_MAX_LENGTH}))
    return CLIPTokenizer.from_pretrained(folder)


def t5_tokenizer():
    """A unigram T5 tokenizer over a few pieces (unknown words fall back to <unk>)."""
    from transformers import T5Tokenizer

    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), *((p, -float(i + 1)) for i, p in enumerate(T5_PIECES))]
    return T5Tokenizer(vocab=vocab, extra_ids=0)


def clip_text_encoder(tokenizer, hidden: int = 8, projection: bool = False):
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    config = CLIPTextConfig(vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=2 * hidden,
                            num_hidden_layers=1, num_attention_heads=2, max_position_embeddings=CLIP_MAX_LENGTH,
                            projection_dim=hidden, bos_token_id=tokenizer.bos_token_id,
                            eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    return (CLIPTextModelWithProjection if projection else CLIPTextModel)(config)


def t5_text_encoder(tokenizer, d_model: int = 8):
    from transformers import T5Config, T5EncoderModel

    return T5EncoderModel(T5Config(vocab_size=len(tokenizer), d_model=d_model, d_kv=4, d_ff=16, num_layers=1,
                                   num_heads=2, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0))


# ---------------------------------------------------------------- autoencoders, one per kind


def tiny_kl_vae(latent_channels: int = 4, **extra):
    """AutoencoderKL with 4 levels (stride 8) like every real one; 16 channels + shift for SD3/FLUX."""
    from diffusers import AutoencoderKL

    return AutoencoderKL(in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 4,
                         up_block_types=("UpDecoderBlock2D",) * 4, block_out_channels=(8, 8, 8, 8),
                         layers_per_block=1, latent_channels=latent_channels, norm_num_groups=4, sample_size=32,
                         **extra)


def tiny_movq():
    """Kandinsky 2.2's MoVQ shape: VQModel with spatial norm and an attention level, stride 8."""
    from diffusers import VQModel

    # SpatialNorm has 32 groups: 2+ channels each
    return VQModel(in_channels=3, out_channels=3, block_out_channels=(64,) * 4,
                   down_block_types=("DownEncoderBlock2D",) * 3 + ("AttnDownEncoderBlock2D",),
                   up_block_types=("AttnUpDecoderBlock2D",) + ("UpDecoderBlock2D",) * 3, layers_per_block=1,
                   latent_channels=4, norm_num_groups=8, num_vq_embeddings=32, vq_embed_dim=4, norm_type="spatial",
                   sample_size=32)


def tiny_paella():
    """Wuerstchen stage A: Paella VQGAN, pixel-unshuffle then one strided level, stride 4."""
    from fakebench.generators.autoencoders import autoencoder_class

    return autoencoder_class("paella")(levels=2, bottleneck_blocks=1, embed_dim=16, latent_channels=4,
                                       num_vq_embeddings=32, up_down_scale_factor=2)


def tiny_autoencoder(spec):
    """A tiny autoencoder shaped like `spec`'s (kind, latent channels, shift/scale extras)."""
    torch.manual_seed(0)
    if spec.autoencoder_kind == "vq":
        return tiny_movq()
    if spec.autoencoder_kind == "paella":
        return tiny_paella()
    if spec.autoencoder.endswith("16ch"):
        return tiny_kl_vae(16, shift_factor=0.1159, scaling_factor=0.3611, use_quant_conv=False,
                           use_post_quant_conv=False)
    if spec.name == "playground-v2.5":  # EDM latents: per-channel mean/std, scaling 0.5
        return tiny_kl_vae(4, scaling_factor=0.5, latents_mean=[-1.6, 1.9, -1.4, 2.5],
                           latents_std=[8.5, 5.9, 6.5, 5.2])
    return tiny_kl_vae(4, scaling_factor=0.18215 if spec.autoencoder == "sd-kl-f8" else 0.13025)


def save_autoencoder(spec, folder: Path) -> Path:
    """<folder>/<subfolder>/ as a pipeline would hold it; returns folder."""
    tiny_autoencoder(spec).save_pretrained(folder / spec.autoencoder_subfolder)
    return folder


# ---------------------------------------------------------------- pipelines


def _ddim():
    from diffusers import DDIMScheduler

    return DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                         set_alpha_to_one=False, steps_offset=1)


def save_tiny_sd(folder: Path) -> Path:
    """StableDiffusionPipeline: UNet2DCondition (2 levels), kl-f8 VAE, CLIP text encoder, DDIM."""
    from diffusers import StableDiffusionPipeline, UNet2DConditionModel

    torch.manual_seed(0)
    tokenizer = clip_tokenizer(folder.with_name(folder.name + "-vocab"))
    unet = UNet2DConditionModel(block_out_channels=(8, 16), layers_per_block=1, sample_size=4, in_channels=4,
                                out_channels=4, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                                up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=8,
                                norm_num_groups=4, attention_head_dim=2)
    pipe = StableDiffusionPipeline(vae=tiny_kl_vae(4, scaling_factor=0.18215),
                                   text_encoder=clip_text_encoder(tokenizer),
                                   tokenizer=tokenizer, unet=unet, scheduler=_ddim(), safety_checker=None,
                                   feature_extractor=None, requires_safety_checker=False)
    pipe.save_pretrained(folder)
    return folder


def save_tiny_sdxl(folder: Path) -> Path:
    """StableDiffusionXLPipeline: two CLIP text encoders (the second with projection), text_time
    added conditioning, Euler scheduler."""
    from diffusers import (
        EulerDiscreteScheduler,
        StableDiffusionXLPipeline,
        UNet2DConditionModel,
    )

    torch.manual_seed(0)
    tokenizer = clip_tokenizer(folder.with_name(folder.name + "-vocab"))
    time_dim, hidden = 4, 8
    unet = UNet2DConditionModel(block_out_channels=(8, 16), layers_per_block=1, sample_size=4, in_channels=4,
                                out_channels=4, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                                up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), attention_head_dim=2,
                                use_linear_projection=True, addition_embed_type="text_time",
                                addition_time_embed_dim=time_dim,
                                projection_class_embeddings_input_dim=6 * time_dim + hidden,
                                cross_attention_dim=2 * hidden, norm_num_groups=4)
    scheduler = EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                       timestep_spacing="leading", steps_offset=1)
    pipe = StableDiffusionXLPipeline(vae=tiny_kl_vae(4, scaling_factor=0.13025),
                                     text_encoder=clip_text_encoder(tokenizer, hidden),
                                     text_encoder_2=clip_text_encoder(tokenizer, hidden, projection=True),
                                     tokenizer=tokenizer, tokenizer_2=tokenizer, unet=unet, scheduler=scheduler,
                                     force_zeros_for_empty_prompt=True)
    pipe.save_pretrained(folder)
    return folder


def save_tiny_flux(folder: Path) -> Path:
    """FluxPipeline: 16-channel VAE with shift, CLIP + T5 text encoders, one double and one single block."""
    from diffusers import (
        FlowMatchEulerDiscreteScheduler,
        FluxPipeline,
        FluxTransformer2DModel,
    )

    torch.manual_seed(0)
    tokenizer = clip_tokenizer(folder.with_name(folder.name + "-vocab"))
    t5_tok = t5_tokenizer()
    transformer = FluxTransformer2DModel(patch_size=1, in_channels=64, num_layers=1, num_single_layers=1,
                                         attention_head_dim=8, num_attention_heads=2, joint_attention_dim=8,
                                         pooled_projection_dim=8, axes_dims_rope=[2, 2, 4])
    vae = tiny_kl_vae(16, shift_factor=0.1159, scaling_factor=0.3611, use_quant_conv=False,
                      use_post_quant_conv=False)
    pipe = FluxPipeline(scheduler=FlowMatchEulerDiscreteScheduler(), vae=vae,
                        text_encoder=clip_text_encoder(tokenizer), tokenizer=tokenizer,
                        text_encoder_2=t5_text_encoder(t5_tok), tokenizer_2=t5_tok, transformer=transformer)
    pipe.save_pretrained(folder)
    return folder


def _if_scheduler():
    from diffusers import DDPMScheduler

    return DDPMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", thresholding=True,
                         dynamic_thresholding_ratio=0.95, sample_max_value=1.0, variance_type="learned_range")


def _if_unet(in_channels: int, **extra):
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(sample_size=8, layers_per_block=1, block_out_channels=(8, 16),
                                down_block_types=("ResnetDownsampleBlock2D", "SimpleCrossAttnDownBlock2D"),
                                mid_block_type="UNetMidBlock2DSimpleCrossAttn",
                                up_block_types=("SimpleCrossAttnUpBlock2D", "ResnetUpsampleBlock2D"),
                                in_channels=in_channels, out_channels=6, cross_attention_dim=32, encoder_hid_dim=8,
                                attention_head_dim=4, addition_embed_type="text", addition_embed_type_num_heads=2,
                                cross_attention_norm="group_norm", resnet_time_scale_shift="scale_shift",
                                act_fn="gelu", norm_num_groups=4, **extra)


def save_tiny_if(stage1: Path, stage2: Path) -> tuple[Path, Path]:
    """DeepFloyd IF: pixel-space stage I (8 px here) and stage II super-resolution, T5 text encoder."""
    from diffusers import DDPMScheduler, IFPipeline, IFSuperResolutionPipeline

    torch.manual_seed(0)
    tok = t5_tokenizer()
    IFPipeline(tokenizer=tok, text_encoder=t5_text_encoder(tok), unet=_if_unet(3), scheduler=_if_scheduler(),
               safety_checker=None, feature_extractor=None, watermarker=None,
               requires_safety_checker=False).save_pretrained(stage1)
    unet2 = _if_unet(6, class_embed_type="timestep", time_embedding_act_fn="gelu", time_embedding_dim=16)
    IFSuperResolutionPipeline(tokenizer=tok, text_encoder=None, unet=unet2, scheduler=_if_scheduler(),
                              image_noising_scheduler=DDPMScheduler(beta_schedule="squaredcos_cap_v2"),
                              safety_checker=None, feature_extractor=None, watermarker=None,
                              requires_safety_checker=False).save_pretrained(stage2)
    return stage1, stage2


def fake_hub_cache(cache: Path, repo_id: str, files_from: Path, commit: str = "0" * 40) -> Path:
    """Lay `files_from` out as the Hugging Face cache does: blobs named by sha256, a snapshot of
    symlinks, refs/main -> commit. Returns the snapshot folder."""
    import hashlib

    repo = cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / commit
    (repo / "blobs").mkdir(parents=True, exist_ok=True)
    for src in sorted(p for p in files_from.rglob("*") if p.is_file()):
        data = src.read_bytes()
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        link = snapshot / src.relative_to(files_from)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(blob)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    return snapshot
