"""What one image costs to make: generation (the full sampler) vs reconstruction (one autoencoder
round trip), timed in one run, on one device, at one batch size and the generator's native size,
so their ratio is the paper's "about 10x cheaper" claim measured rather than assumed."""
from __future__ import annotations

import platform
import time
from dataclasses import asdict, dataclass

import torch

from fakebench.core.cache import cached_json, stable_hash
from fakebench.generators.base import Generator
from fakebench.generators.latent import LatentDiffusionGenerator


@dataclass(frozen=True)
class CostResult:
    generator: str
    steps: int | None  # sampler steps per generated image (None when the generator does not say)
    batch_size: int
    images: int
    generate_ips: float  # images per second
    reconstruct_ips: float
    decode_ips: float | None = None  # the decoder alone, where the generator exposes it (latent models)

    @property
    def ratio(self) -> float:
        """How many reconstructions cost as much as one generation."""
        return self.reconstruct_ips / self.generate_ips

    def breakdown(self) -> str:
        """Per-image milliseconds: generation = steps x denoiser + decode; reconstruction = encode + decode."""
        gen, rec = 1000 / self.generate_ips, 1000 / self.reconstruct_ips
        if self.decode_ips is None:
            return f"generate {gen:.1f} ms/img, reconstruct {rec:.1f} ms/img"
        dec = 1000 / self.decode_ips
        steps = f"{self.steps} denoiser steps" if self.steps else "denoising"
        return (f"generate {gen:.1f} ms/img = {steps} {gen - dec:.1f} + decode {dec:.1f}; "
                f"reconstruct {rec:.1f} ms/img = encode {rec - dec:.1f} + decode {dec:.1f}")


def _images_per_second(fn, batches: int, batch_size: int) -> float:
    fn(0)  # warm-up: first-call allocations and lazy initialisation are not the steady cost
    started = time.perf_counter()
    for b in range(batches):
        fn(b + 1)
    return batches * batch_size / (time.perf_counter() - started)


@torch.inference_mode()
def measure_cost(generator: Generator, images: int = 32, batch_size: int = 8) -> CostResult:
    batches = max(1, images // batch_size)
    side = generator.info.resolution
    inputs = torch.rand(batch_size, 3, side, side, generator=torch.Generator().manual_seed(0))
    gen_ips = _images_per_second(lambda b: generator.generate_indices(b, range(batch_size)), batches, batch_size)
    rec_ips = _images_per_second(lambda b: generator.reconstruct(inputs), batches, batch_size)
    dec_ips = None
    if isinstance(generator, LatentDiffusionGenerator):
        unet = generator.unet.config
        latents = torch.randn(batch_size, unet.in_channels, unet.sample_size, unet.sample_size,
                              generator=torch.Generator().manual_seed(0)).to(generator.device)
        dec_ips = _images_per_second(lambda b: generator.decode(latents), batches, batch_size)
    return CostResult(generator.info.name, generator.num_inference_steps, batch_size,
                      batches * batch_size, gen_ips, rec_ips, dec_ips)


def wallclock_record(generator: Generator, device: torch.device) -> dict:
    """`measure_cost` as the cost record keeps it (information beside C5's FLOP counts). Measured once per
    generator (fingerprint) and machine (host, processor, device, threads, torch), then read from the
    results home: a warm run times nothing."""
    threads = torch.get_num_threads()
    key = stable_hash("wallclock", generator.fingerprint, str(device), threads, torch.__version__,
                      platform.node(), platform.processor())

    def measure() -> dict:
        timed = measure_cost(generator)
        return {**asdict(timed), "ratio": timed.ratio, "breakdown": timed.breakdown(), "device": str(device),
                "threads": threads}
    return cached_json("wallclock", key, measure)
