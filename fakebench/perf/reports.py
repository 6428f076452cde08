"""`fakebench bench report`: time and peak memory of rebuilding every report from a large store.

The store is synthetic (scores drawn from two overlapping distributions) but has the shape of a real
one: 2 detectors x 5 generators x 20 perturbations, half reals and half fakes, plus calibration rows.
The report runs in a child process, so its peak memory is its own, not the synthesiser's."""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from fakebench.core.version import __version__
from fakebench.evaluation.store import default_store_name, write_store

DETECTORS = ("aligned-resnet50", "baseline-resnet50")
GENERATORS = tuple(f"gen{i}" for i in range(5))
PERTURBATIONS = ("identity", "resize0.25", "resize0.5", "resize0.75", "resize1.5", "resize2", "jpeg95", "jpeg75",
                 "jpeg50", "jpeg30", "webp95", "webp75", "webp50", "blur1", "blur2", "short48", "short96", "short128",
                 "resize0.5+jpeg75", "jpeg75+webp75")


def synthetic_store(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cases = [(d, g, p) for d in DETECTORS for g in GENERATORS for p in PERTURBATIONS]
    per_case = max(2, rows // len(cases))
    n = per_case * len(cases)
    label = np.tile(np.arange(per_case) % 2, len(cases))
    case_idx = np.repeat(np.arange(len(cases)), per_case)
    score = 1 / (1 + np.exp(-(rng.normal(size=n) + 2.0 * label - 1.0)))
    det, gen, pert = (np.array([c[i] for c in cases], dtype=object)[case_idx] for i in range(3))
    image_ids = np.array([f"img{i:07d}" for i in range(per_case)], dtype=object)
    frame = pd.DataFrame({
        "case_id": np.array([f"{d}-{g}-{p}" for d, g, p in cases], dtype=object)[case_idx],
        "detector": det, "checkpoint": "0" * 64, "generator": gen, "split": "test", "perturbation": pert,
        "seed": 0, "bench_seed": 0, "image_id": np.tile(image_ids, len(cases)),
        "label": label, "score": score, "error": "", "fakebench_version": __version__,
    })
    n_cal = 1000
    calib = pd.DataFrame({
        "case_id": np.repeat([f"{d}-calibration" for d in DETECTORS], n_cal), "detector": np.repeat(DETECTORS, n_cal),
        "checkpoint": "0" * 64, "generator": "", "split": "calibration", "perturbation": "identity", "seed": 0,
        "bench_seed": 0, "image_id": np.tile([f"cal{i:04d}" for i in range(n_cal)], len(DETECTORS)), "label": 0,
        "score": 1 / (1 + np.exp(-(rng.normal(size=n_cal * len(DETECTORS)) - 1.0))), "error": "",
        "fakebench_version": __version__,
    })
    return pd.concat([frame, calib], ignore_index=True)


PEAK_MARK = "FAKEBENCH_PEAK_KB="
_REPORT_PEAK = (f"import atexit, sys; atexit.register(lambda: print('{PEAK_MARK}' + next(l.split()[1] for l in "
                "open('/proc/self/status') if l.startswith('VmHWM')), file=sys.stderr))")


def run_child(module: str, args: list[str]) -> tuple[float, int]:
    """Run `python -m module args` in a child; its wall seconds and its own peak resident bytes.

    The peak is the child's VmHWM, printed by the child as it exits: unlike wait4's ru_maxrss, it
    does not inherit the parent's high-water mark through fork."""
    code = (f"{_REPORT_PEAK}; import runpy; sys.argv = {[module, *args]!r}; "
            f"runpy.run_module({module!r}, run_name='__main__')")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise RuntimeError(f"python -m {module} {' '.join(args[:3])} ... failed ({proc.returncode}): "
                           f"{proc.stderr[-2000:]}")
    peaks = [line[len(PEAK_MARK):] for line in proc.stderr.splitlines() if line.startswith(PEAK_MARK)]
    if not peaks:
        raise RuntimeError(f"python -m {module} reported no peak memory (needs Linux /proc)")
    return seconds, int(peaks[-1]) * 1024


def bench_report(rows: int, bootstrap: int = 1000) -> str:
    with tempfile.TemporaryDirectory(prefix="fakebench-bench-") as tmp:
        store = Path(tmp) / default_store_name()
        frame = synthetic_store(rows)
        write_store(frame, store)
        size_mb = store.stat().st_size / 2**20
        seconds, peak = run_child("fakebench", ["report", str(store), "--out", str(Path(tmp) / "out"),
                                                "--bootstrap", str(bootstrap)])
        peak_gb = peak / 2**30
        outputs = sorted(p.name for p in (Path(tmp) / "out").iterdir())
    return (f"fakebench report on {len(frame):,} rows ({store.suffix[1:]}, {size_mb:.1f} MB, {bootstrap} bootstrap "
            f"resamples): {seconds:.1f} s wall, peak memory {peak_gb:.2f} GB; wrote {', '.join(outputs)}")
