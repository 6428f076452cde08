"""`fakebench bench hf`: peak memory of `fakebench score --data hf:PATH` as the dataset grows.

For each size a synthetic `save_to_disk` dataset of tiny JPEGs (half real, half fake of two
generators) is written row by row (`Dataset.from_generator`, so the writer holds no whole set), then
`fakebench score` runs on it in its own child process, in a fresh results home: the figure covers the
whole streamed path (reading Arrow batches, writing the image cache, decoding, scoring, the store).
The peak is the child's VmHWM (see `fakebench.perf.reports.run_child`). Memory is flat when the last
size's peak stays near the first's."""
from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from tabulate import tabulate

from fakebench.perf.reports import run_child


@dataclass(frozen=True)
class HFBenchConfig:
    sizes: tuple[int, ...] = (1000, 20000)
    side: int = 32
    detector: str = "small-cnn"
    batch_size: int = 64
    scratch: Path | None = None


def _rows(n: int, side: int, seed: int):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:side, 0:side] / side
    for i in range(n):
        a, b, c = rng.uniform(0, 6, 3)
        base = np.stack([np.sin(a * xx + b), np.cos(b * yy + c), np.sin(c * (xx + yy) + a)], -1) * 0.4 + 0.5
        arr = np.clip(base + rng.normal(0, 0.05, base.shape), 0, 1)
        buf = io.BytesIO()
        Image.fromarray((arr * 255).astype(np.uint8)).save(buf, format="JPEG", quality=90)
        fake = i % 2
        yield {"image": {"bytes": buf.getvalue(), "path": None}, "label": fake,
               "generator": f"gen-{'ab'[(i // 2) % 2]}" if fake else None}


def synthetic_hf_dataset(path: Path, n: int, side: int, seed: int = 0) -> Path:
    """n tiny JPEG rows (image, label, generator) saved with save_to_disk, written row by row."""
    import datasets
    from datasets import ClassLabel, Dataset, Features, Value
    from datasets import Image as HFImage

    datasets.disable_progress_bars()
    features = Features({"image": HFImage(), "label": ClassLabel(names=["real", "fake"]),
                         "generator": Value("string")})
    ds = Dataset.from_generator(_rows, gen_kwargs={"n": n, "side": side, "seed": seed}, features=features,
                                cache_dir=str(path.parent / "hf-cache"))
    ds.save_to_disk(str(path))
    return path


def bench_hf(cfg: HFBenchConfig) -> str:
    rows = []
    saved = os.environ.get("FAKEBENCH_HOME")
    with tempfile.TemporaryDirectory(prefix="fakebench-bench-hf-", dir=cfg.scratch) as tmp:
        try:
            for n in cfg.sizes:
                data = synthetic_hf_dataset(Path(tmp) / f"ds{n}", n, cfg.side)
                os.environ["FAKEBENCH_HOME"] = str(Path(tmp) / f"home{n}")  # fresh: the child scans too
                seconds, peak = run_child("fakebench", ["score", "--data", f"hf:{data}", "--detector", cfg.detector,
                                                        "--batch-size", str(cfg.batch_size),
                                                        "--out", str(Path(tmp) / f"out{n}")])
                size_mb = sum(f.stat().st_size for f in data.rglob("*") if f.is_file()) / 2**20
                rows.append((n, size_mb, peak / 2**20, seconds))
        finally:
            if saved is None:
                os.environ.pop("FAKEBENCH_HOME", None)
            else:
                os.environ["FAKEBENCH_HOME"] = saved
    return tabulate([[n, f"{mb:.1f}", f"{peak:.0f}", f"{s:.1f}", f"{peak / rows[0][2]:.3f}"]
                     for n, mb, peak, s in rows],
                    headers=[f"rows ({cfg.side}px JPEG, {cfg.detector})", "dataset MB", "peak MB", "seconds",
                             "peak / first"])
