"""Golden scores: the per-image scores of a fixed-seed `--world mini-smoke` run, committed in
`tests/golden/mini_smoke_scores.csv`, which `tests/test_golden.py` reproduces from scratch.

Regenerate (after a change that is meant to move scores; say why in the commit message):

    PYTHONPATH=. python tests/golden/regenerate.py

The run trains its detector in a fresh, temporary FAKEBENCH_HOME (nothing cached is reused), exactly
as `pytest benchmark/` does, with the selection below."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("mini_smoke_scores.csv")
# one trained detector, one generator, the clean and two quick perturbations: about half a minute on 2 cores
SELECTION = ["--world", "mini-smoke", "--detectors", "aligned-small-cnn", "--generators", "mini-sd",
             "--perturbations", "identity,jpeg75,resize0.5", "--bench-seed", "0", "--seeds", "0",
             "--batch-size", "8", "--workers", "0", "-k", "not claims"]
COLUMNS = ["case_id", "split", "image_id", "label", "score"]


def golden_run(work: Path) -> pd.DataFrame:
    """Run the selection with `pytest benchmark/` in a fresh results home under `work`; its scores."""
    from fakebench.leaderboard.store import read_store

    out = work / "out"
    env = {**os.environ, "FAKEBENCH_HOME": str(work / "home"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "benchmark"), "-p", "no:cacheprovider", "-q",
                           "--leaderboard-dir", str(out), *SELECTION], cwd=work, env=env, capture_output=True,
                          text=True, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"golden run failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    store = next(out.glob("scores.*"))
    frame = read_store(store)
    return frame[COLUMNS].sort_values(["case_id", "image_id", "label"], ignore_index=True)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="fakebench-golden-") as tmp:
        frame = golden_run(Path(tmp))
    frame.to_csv(GOLDEN, index=False, float_format="%.6f")
    print(f"wrote {len(frame)} scores of {frame['case_id'].nunique()} cases to {GOLDEN.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
