"""`fakebench bench throughput`: how close the pipelines come to their bare models, and whether
memory stays flat as a dataset grows.

- scoring: images/s of `score_images` (decode, perturb, input policy, batching, model) vs the bare
  `detector.score` on tensors made beforehand, at the same batch size;
- reconstruction: images/s of `reconstruct_into` (decode, batching, autoencoder, PNG write) vs the
  bare `generator.reconstruct` on tensors made beforehand, at the generator's native side and at a
  larger one (per-image file costs are fixed, so a tiny autoencoder on tiny images shows them most);
- peak memory of `fakebench score` on a folder of 1k vs 20k images, each in its own child process;
- how the model runs (`fakebench.core.execution`): the detector's bare forward in contiguous (NCHW) vs
  channels-last memory, and compiled with `torch.compile` when asked (`--compile`).
The ratios are the pipelines' efficiency; both sides run in one process, one after the other.
Inputs and outputs go to a temporary folder in `scratch` (default: the system's), so a run can be
pointed at the disk a real job would use."""
from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tabulate import tabulate

from fakebench.core.imageio import load_rgb
from fakebench.core.pixels import pil_to_tensor
from fakebench.core.pngwriter import default_writer_threads
from fakebench.data.folders import image_folder, load_folder_dataset
from fakebench.evaluation.perturbations import Identity
from fakebench.evaluation.scoring import ScoringConfig, score_images

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ThroughputConfig:
    detector: str = "resnet50"
    generator: str = "mini-sd"
    images: int = 256
    batch_size: int = 32
    workers: int | None = None
    side: int = 224
    memory_sizes: tuple[int, ...] = (1000, 20000)
    memory_detector: str = "small-cnn"
    memory_side: int = 64
    recon_sides: tuple[int, ...] = (256,)  # besides the generator's native side: real images are larger
    device: str = "cpu"
    scratch: Path | None = None  # where the synthetic images and outputs go (None: the system temp folder)
    compile: bool = False  # also time the detector compiled with torch.compile (minutes on a CPU)


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


def _rate(n: int, fn, device: str = "cpu") -> float:
    """Images/s of one call of `fn` that handles n images (waiting for a GPU's queued work)."""
    _sync(device)
    start = time.perf_counter()
    fn()
    _sync(device)
    return n / (time.perf_counter() - start)


def _rates(n: int, pipeline, bare, rounds: int = 5) -> tuple[float, float]:
    """Best images/s of each side over interleaved rounds: the best round is the one least disturbed
    by the rest of the machine, and interleaving gives both sides the same conditions."""
    best = [0.0, 0.0]
    for _ in range(rounds):
        for k, fn in enumerate((pipeline, bare)):
            best[k] = max(best[k], _rate(n, fn))
    return best[0], best[1]


def _tensors(imageset, n: int, prepare: Callable[[Image.Image], Image.Image] | None = None) -> list[torch.Tensor]:
    """The first `n` images as tensors, each through `prepare` (PIL -> PIL) first when given."""
    images = (load_rgb(imageset.path(r)) for r in imageset.records[:n])
    return [pil_to_tensor(prepare(image) if prepare else image) for image in images]


def scoring_rates(cfg: ThroughputConfig, folder: Path) -> tuple[float, float]:
    from fakebench.detectors import create_detector

    detector = create_detector(cfg.detector).to(cfg.device)
    imageset, _ = image_folder(synthetic_folder(folder, cfg.images, cfg.side), name="throughput")
    scoring = ScoringConfig(batch_size=cfg.batch_size, num_workers=cfg.workers)
    # pre-made on the model's device, through the whole input policy (a JPEG input re-encoded too), so both
    # sides feed the model the same pixels and the pipeline's side alone pays decoding and preparing
    tensors = _tensors(imageset, cfg.images, detector.policy.prepare)
    batches = [torch.stack([detector.policy.apply(x) for x in tensors[s : s + cfg.batch_size]]).to(cfg.device)
               for s in range(0, cfg.images, cfg.batch_size)]
    detector.score(batches[0])  # warm-up: first-call allocations are neither side's cost
    return _rates(cfg.images, lambda: score_images(detector, imageset, Identity(), 0, scoring),
                  lambda: [detector.score(b) for b in batches])


def reconstruction_rates(cfg: ThroughputConfig, folder: Path, side: int, native: int) -> tuple[float, float]:
    """Images/s of `reconstruct_into` and of the bare round trip at `side`; above the native side
    a round holds fewer images (by area, at least two batches), so every side costs about the same."""
    from fakebench.generators import create_generator
    from fakebench.generators.fakesets import reconstruct_into

    generator = create_generator(cfg.generator, device=cfg.device)
    n = min(cfg.images, max(32, round(cfg.images * (native / side) ** 2)))
    imageset, _ = image_folder(synthetic_folder(folder / f"recon{side}", n, side), name="throughput-recon")
    batches = [torch.stack(b).to(cfg.device) for b in (lambda t: [t[s : s + 16] for s in range(0, len(t), 16)])(
        _tensors(imageset, n))]
    generator.reconstruct(batches[0])
    rounds = iter(range(1_000))  # a fresh output folder each round: reconstruct_into skips finished files

    def pipeline() -> None:
        out = folder / f"recon{side}-out{next(rounds)}"
        reconstruct_into(generator, imageset, lambda r: out / f"{r.image_id}.png", batch_size=16)

    return _rates(n, pipeline, lambda: [generator.reconstruct(b) for b in batches])


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def execution_rates(cfg: ThroughputConfig) -> list[tuple[str, float, float]]:
    """Bare forward images/s of the detector's network by memory format (and compiled, if asked),
    on one batch of the benchmark's side: (variant, images/s, seconds spent compiling)."""
    from fakebench.detectors import create_detector
    from fakebench.detectors.trainable import NetworkDetector

    detector = create_detector(cfg.detector).to(cfg.device)
    if not isinstance(detector, NetworkDetector):  # no torch network to time bare
        return []
    network = detector.network
    network.eval()
    x = torch.rand(cfg.batch_size, 3, cfg.side, cfg.side, device=cfg.device)
    rows = []

    def rate(fn) -> float:
        with torch.inference_mode():
            fn()  # warm-up
            return max(_rate(len(x), fn, cfg.device) for _ in range(3))

    for label, fmt in (("contiguous (NCHW)", torch.contiguous_format), ("channels-last (NHWC)", torch.channels_last)):
        network.to(memory_format=fmt)
        xf = x.contiguous(memory_format=fmt)
        rows.append((label, rate(lambda xf=xf: network(xf)), 0.0))
    if cfg.compile:
        xf = x.contiguous(memory_format=torch.channels_last)
        detector.compile_network()
        start = time.perf_counter()
        with torch.inference_mode():
            network(xf)
        _sync(cfg.device)
        rows.append(("channels-last + torch.compile", rate(lambda: network(xf)), time.perf_counter() - start))
    return rows


def peak_memory(cfg: ThroughputConfig, folder: Path) -> list[tuple[int, float, float]]:
    """Peak memory of `fakebench score` on folders of each size, each in its own child process."""
    from fakebench.perf.reports import run_child

    rows = []
    for n in cfg.memory_sizes:
        data = folder / f"mem{n}"
        synthetic_folder(data / "real", n // 2, cfg.memory_side, seed=1)
        synthetic_folder(data / "fake", n - n // 2, cfg.memory_side, seed=2)
        load_folder_dataset(data)  # scan once here, so the child measures scoring alone
        seconds, peak = run_child("fakebench", ["score", "--data", f"folder:{data}", "--detector", cfg.memory_detector,
                                                "--batch-size", str(cfg.batch_size), "--out", str(folder / f"out{n}"),
                                                "--device", cfg.device])
        rows.append((n, peak / 2**20, seconds))
    return rows


def bench_throughput(cfg: ThroughputConfig) -> str:
    with tempfile.TemporaryDirectory(prefix="fakebench-throughput-", dir=cfg.scratch) as tmp:
        folder = Path(tmp)
        s_pipe, s_bare = scoring_rates(cfg, folder / "score")
        log.info("scoring: pipeline %.1f img/s, bare %.1f img/s", s_pipe, s_bare)  # a long run shows its progress
        from fakebench.generators import create_generator

        native = create_generator(cfg.generator).info.resolution
        recon = []
        for side in dict.fromkeys((native, *cfg.recon_sides)):
            recon.append((side, *reconstruction_rates(cfg, folder, side, native)))
            log.info("reconstruction at %d px: pipeline %.1f img/s, bare %.1f img/s", *recon[-1])
        memory = peak_memory(cfg, folder) if cfg.memory_sizes else []
    execution = execution_rates(cfg)
    workers = ScoringConfig(num_workers=cfg.workers).workers
    table = tabulate([
        [f"scoring ({cfg.detector}, {cfg.side}px JPEG)", s_pipe, s_bare, s_pipe / s_bare],
        *([f"reconstruction ({cfg.generator}, {side}px)", r_pipe, r_bare, r_pipe / r_bare]
          for side, r_pipe, r_bare in recon),
    ], headers=["", "pipeline img/s", "bare model img/s", "pipeline / bare"], floatfmt=".3f")
    mem = tabulate([[n, f"{mb:.0f}", f"{s:.1f}", f"{mb / memory[0][1]:.3f}"] for n, mb, s in memory],
                   headers=[f"images ({cfg.memory_detector}, {cfg.memory_side}px)", "peak MB", "seconds",
                            "peak / first"]) if memory else "(peak memory not measured: no --memory-sizes)"
    exe = tabulate([[label, rate, rate / execution[0][1], f"{secs:.0f}" if secs else ""]
                    for label, rate, secs in execution],
                   headers=[f"{cfg.detector} bare forward ({cfg.side}px)", "img/s", "vs NCHW", "compile s"],
                   floatfmt=".2f") if execution else ""
    return (f"{table}\n\n{mem}\n\n{exe}\n\n{cfg.images} images per rate (reconstruction above {native} px: "
            f"fewer, by area), batch size {cfg.batch_size}, decoding "
            f"workers {workers}, PNG writer threads {default_writer_threads()}, torch threads "
            f"{torch.get_num_threads()}, device {cfg.device}, scratch {cfg.scratch or tempfile.gettempdir()}")
