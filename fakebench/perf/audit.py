"""Header-only audit speed and memory vs set size: `python -m fakebench.perf.audit`.

Writes N synthetic files per size (copies of a few dozen small JPEGs and PNGs of varied size; just
written, so the page cache is warm), audits them in a fresh process each (peak RSS of that process),
and deletes them. Reports files/s of the header pass alone (wall clock and CPU time: on a shared
machine the second is the one to compare) and the whole audit's time."""
from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

CHILD = """
import json, resource, sys, time
from fakebench.audit.shortcut import audit_source
from fakebench.audit.headers import read_header
from fakebench.benchmark.training_audit import resolve_audit_source
source = resolve_audit_source(sys.argv[1])
t, c = time.perf_counter(), time.process_time()
for f in source.files:
    read_header(f.path)
headers_s, headers_cpu = time.perf_counter() - t, time.process_time() - c
t, c = time.perf_counter(), time.process_time()
result = audit_source(source)
audit_s, audit_cpu = time.perf_counter() - t, time.process_time() - c
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"files": len(source.files), "headers_s": headers_s, "headers_cpu": headers_cpu,
                  "audit_s": audit_s, "audit_cpu": audit_cpu, "auc": result.shortcut.auc, "peak_rss_mb": peak}))
"""


def templates(n: int = 40, seed: int = 0) -> list[tuple[str, bytes, str]]:
    """(label, bytes, suffix): reals JPEG q96 of varied size, fakes PNG of one size (small: headers are
    what is read, and 100k files must fit a scratch disk)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        w, h = (int(v) for v in rng.integers(48, 160, 2))
        small = (rng.random((h // 8 + 1, w // 8 + 1, 3)) * 255).astype(np.uint8)
        buf = io.BytesIO()
        Image.fromarray(small).resize((w, h)).save(buf, "JPEG", quality=96)
        out.append(("real", buf.getvalue(), ".jpg"))
        buf = io.BytesIO()
        Image.fromarray(small).resize((64, 64)).save(buf, "PNG")
        out.append(("fake", buf.getvalue(), ".png"))
    return out


def write_set(root: Path, n: int) -> None:
    made = templates()
    for label in ("real", "fake"):
        (root / label).mkdir(parents=True, exist_ok=True)
    for i in range(n):
        label, data, suffix = made[i % len(made)]
        (root / label / f"{i:07d}{suffix}").write_bytes(data)


def genimage_like(root: Path, n: int, debiased: bool = False, seed: int = 0) -> Path:
    """A small synthetic set built to GenImage's published layout (Grommelt et al.): reals JPEG quality
    96 at ImageNet-like varied sizes, fakes PNG at 512x512. `debiased`: the fakes re-saved as JPEG 96
    and resized to the reals' size distribution (the paper's fix). Content is smooth noise: only the
    metadata is modelled."""
    rng = np.random.default_rng(seed)
    for label in ("real", "fake"):
        (root / label).mkdir(parents=True, exist_ok=True)
    for i in range(n):
        for label in ("real", "fake"):
            w, h = int(rng.integers(300, 800)), int(rng.integers(250, 600))
            if label == "fake" and not debiased:
                w = h = 512
            im = Image.fromarray((rng.random((h // 16 + 1, w // 16 + 1, 3)) * 255).astype(np.uint8)).resize((w, h))
            if label == "fake" and not debiased:
                im.save(root / label / f"{i:05d}.png")
            else:
                im.save(root / label / f"{i:05d}.jpg", quality=96)
    return root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--scratch", type=Path, default=None, help="where the files go (deleted after)")
    parser.add_argument("--genimage", type=Path, default=None,
                        help="instead: write a GenImage-like synthetic set here (and a de-biased one beside it)")
    parser.add_argument("--images", type=int, default=500, help="with --genimage: images per class")
    args = parser.parse_args(argv)
    if args.genimage:
        for debiased, name in ((False, "genimage-like"), (True, "genimage-like-debiased")):
            print(genimage_like(args.genimage / name, args.images, debiased))
        return 0
    for n in args.sizes:
        root = Path(tempfile.mkdtemp(prefix="auditbench-", dir=args.scratch))
        try:
            write_set(root, n)
            started = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", CHILD, str(root)], check=True, capture_output=True, text=True)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            row["wall_s"] = time.perf_counter() - started
            print(f"{n} files: headers {row['files'] / row['headers_s']:.0f} files/s by wall clock, "
                  f"{row['files'] / row['headers_cpu']:.0f} files/s of CPU time; whole audit {row['audit_s']:.1f} s "
                  f"({row['audit_cpu']:.1f} s CPU); process wall {row['wall_s']:.1f} s, peak RSS "
                  f"{row['peak_rss_mb']:.0f} MB; shortcut AUC {row['auc']:.2f}", flush=True)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
