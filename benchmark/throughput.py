"""`fakebench bench throughput`: how close the pipelines come to their bare models, and whether
memory stays flat as a dataset grows.

- scoring: images/s of `score_images` (decode, perturb, input policy, batching, model) vs the bare
  `detector.score` on tensors made beforehand, at the same batch size;
- reconstruction: images/s of `reconstruct_into` (decode, batching, autoencoder, PNG write) vs the
  bare `generator.reconstruct` on tensors made beforehand;
- peak memory of scoring a folder of 1k vs 20k images, each in its own child process.
The ratios are the pipelines' efficiency; both sides run in one process, one after the other."""
from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tabulate import tabulate

from benchmark.perturbations import Identity
from benchmark.scoring import ScoringConfig, score_images
from fakebench.imageio import load_rgb, pil_to_tensor
from generators.folders import image_folder


@dataclass(frozen=True)
class ThroughputConfig:
    detector: str = "resnet50"
    generator: str = "mini-sd"
    images: int = 512
    batch_size: int = 32
    workers: int | None = None
    side: int = 224
    memory_sizes: tuple[int, ...] = (1000, 20000)
    memory_detector: str = "small-cnn"
    memory_side: int = 64


def synthetic_folder(folder: Path, n: int, side: int, seed: int = 0) -> Path:
    """n JPEG photos-like images (smooth colour fields plus noise), written once."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:side, 0:side] / side
    for i in range(n):
        path = folder / f"img{i:06d}.jpg"
        if path.exists():
            continue
        a, b, c = rng.uniform(0, 6, 3)
        base = np.stack([np.sin(a * xx + b), np.cos(b * yy + c), np.sin(c * (xx + yy) + a)], -1) * 0.4 + 0.5
        arr = np.clip(base + rng.normal(0, 0.05, base.shape), 0, 1)
        Image.fromarray((arr * 255).astype(np.uint8)).save(path, quality=90)
    return folder


def _rate(n: int, fn) -> float:
    start = time.perf_counter()
    fn()
    return n / (time.perf_counter() - start)


def _tensors(imageset, n: int) -> list[torch.Tensor]:
    return [pil_to_tensor(load_rgb(imageset.path(r))) for r in imageset.records[:n]]


def scoring_rates(cfg: ThroughputConfig, folder: Path) -> tuple[float, float]:
    from detectors import create_detector

    detector = create_detector(cfg.detector)
    imageset, _ = image_folder(synthetic_folder(folder, cfg.images, cfg.side), name="throughput")
    scoring = ScoringConfig(batch_size=cfg.batch_size, num_workers=cfg.workers)
    batches = [torch.stack([detector.policy.apply(x) for x in _tensors(imageset, cfg.images)[s : s + cfg.batch_size]])
               for s in range(0, cfg.images, cfg.batch_size)]
    detector.score(batches[0])  # warm-up: first-call allocations are neither side's cost
    bare = _rate(cfg.images, lambda: [detector.score(b) for b in batches])
    pipeline = _rate(cfg.images, lambda: score_images(detector, imageset, Identity(), 0, scoring))
    return pipeline, bare


def reconstruction_rates(cfg: ThroughputConfig, folder: Path) -> tuple[float, float]:
    from generators import create_generator
    from generators.imagesets import reconstruct_into

    generator = create_generator(cfg.generator)
    side = generator.info.resolution
    imageset, _ = image_folder(synthetic_folder(folder / f"recon{side}", cfg.images, side), name="throughput-recon")
    batches = [torch.stack(b) for b in (lambda t: [t[s : s + 16] for s in range(0, len(t), 16)])(
        _tensors(imageset, cfg.images))]
    generator.reconstruct(batches[0])
    bare = _rate(cfg.images, lambda: [generator.reconstruct(b) for b in batches])
    out = folder / "recon-out"
    pipeline = _rate(cfg.images, lambda: reconstruct_into(generator, imageset, lambda r: out / f"{r.image_id}.png",
                                                          batch_size=16))
    return pipeline, bare


def memory_child(detector: str, folder: str, batch_size: int) -> None:
    """Entry point of the child that scores a folder (its peak memory is what is measured)."""
    from detectors import create_detector

    imageset, _ = image_folder(folder, name="memory")
    score_images(create_detector(detector), imageset, Identity(), 0, ScoringConfig(batch_size=batch_size))


def peak_memory(cfg: ThroughputConfig, folder: Path) -> list[tuple[int, float, float]]:
    from leaderboard.bench import run_child

    rows = []
    for n in cfg.memory_sizes:
        data = synthetic_folder(folder / f"mem{n}", n, cfg.memory_side, seed=1)
        image_folder(data, name="memory")  # scan once here, so the child measures scoring alone
        code = (f"from benchmark.throughput import memory_child; "
                f"memory_child({cfg.memory_detector!r}, {str(data)!r}, {cfg.batch_size})")
        seconds, peak = run_child([sys.executable, "-c", code])
        rows.append((n, peak / 2**20, seconds))
    return rows


def bench_throughput(cfg: ThroughputConfig) -> str:
    with tempfile.TemporaryDirectory(prefix="fakebench-throughput-") as tmp:
        folder = Path(tmp)
        s_pipe, s_bare = scoring_rates(cfg, folder / "score")
        r_pipe, r_bare = reconstruction_rates(cfg, folder)
        memory = peak_memory(cfg, folder)
    workers = ScoringConfig(num_workers=cfg.workers).workers
    table = tabulate([
        [f"scoring ({cfg.detector}, {cfg.side}px JPEG)", s_pipe, s_bare, s_pipe / s_bare],
        [f"reconstruction ({cfg.generator})", r_pipe, r_bare, r_pipe / r_bare],
    ], headers=["", "pipeline img/s", "bare model img/s", "pipeline / bare"], floatfmt=".3f")
    mem = tabulate([[n, f"{mb:.0f}", f"{s:.1f}", f"{mb / memory[0][1]:.3f}"] for n, mb, s in memory],
                   headers=[f"images ({cfg.memory_detector}, {cfg.memory_side}px)", "peak MB", "seconds",
                            "peak / first"])
    return (f"{table}\n\n{mem}\n\n{cfg.images} images per rate, batch size {cfg.batch_size}, decoding workers "
            f"{workers}, torch threads {torch.get_num_threads()}")
