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

from fakebench.core import numerics

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("mini_smoke_scores.csv")
# one trained detector, one generator, the clean and two quick perturbations: about half a minute on 2 cores.
# Default batch size and decoding workers, as a user runs it: tests/test_numerics.py runs this selection
# under load and compares its store with this run's (the `golden_store` fixture), byte for byte.
SELECTION = ["--world", "mini-smoke", "--detectors", "aligned-small-cnn", "--generators", "mini-sd",
             "--perturbations", "identity,jpeg75,resize0.5", "--bench-seed", "0", "--seeds", "0", "-k", "not claims"]
COLUMNS = ["case_id", "split", "image_id", "label", "score"]
# the environment variables that set a process's numerics (fakebench.core.numerics): a fresh process has none
PROCESS_KNOBS = (*numerics.KNOB_NAMES, *numerics.THREAD_ENV, numerics.MODE_ENV)


def fresh_process_env(home: Path) -> dict[str, str]:
    """This process's environment without any numerics knob (a fresh process on this host pins its own), with
    FAKEBENCH_HOME=home."""
    return {**{k: v for k, v in os.environ.items() if k not in PROCESS_KNOBS}, "FAKEBENCH_HOME": str(home),
            "PYTHONPATH": str(ROOT)}


def selection_store(work: Path) -> Path:
    """Run the selection with `pytest benchmark/` in a fresh process and a fresh results home under `work`;
    the path of its score store."""
    work.mkdir(parents=True, exist_ok=True)
    out = work / "out"
    env = fresh_process_env(work / "home")
    proc = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "benchmark"), "-p", "no:cacheprovider", "-q",
                           "--leaderboard-dir", str(out), *SELECTION], cwd=work, env=env, capture_output=True,
                          text=True, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"golden run failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return next(out.glob("scores.*"))


def golden_scores(store: Path) -> pd.DataFrame:
    """A selection store's scores in the golden file's columns and order."""
    from fakebench.evaluation.store import read_store

    frame = read_store(store)
    return frame[COLUMNS].sort_values(["case_id", "image_id", "label"], ignore_index=True)


def golden_run(work: Path) -> pd.DataFrame:
    """Run the selection in a fresh results home under `work`; its scores."""
    return golden_scores(selection_store(work))


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="fakebench-golden-") as tmp:
        frame = golden_run(Path(tmp))
    frame.to_csv(GOLDEN, index=False, float_format="%.6f")
    print(f"wrote {len(frame)} scores of {frame['case_id'].nunique()} cases to {GOLDEN.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
