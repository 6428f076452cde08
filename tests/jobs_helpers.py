"""Running the `fakebench` command (and torchrun) from tests, on tiny folders the tests write."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.folder_layouts import write_image

TINY_DETECTOR = ["--detector", "small-cnn", "--detector-arg", "channels=[8,8,16,16]"]


def reals_folder(root: Path, n: int = 24) -> Path:
    """n reals of a few sizes (batches by size are then uneven), JPEG and PNG."""
    sizes = [(64, 64), (72, 56), (40, 48)]
    for i in range(n):
        write_image(root / f"sub{i % 2}" / f"r{i:03d}.{'jpg' if i % 3 else 'png'}", i, sizes[i % 3])
    return root


def fakebench(args: list[str], home: Path, nproc: int = 1, check: bool = True, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "FAKEBENCH_HOME": str(home), "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    launcher = ([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc)]
                if nproc > 1 else [sys.executable])
    kw.setdefault("timeout", 600)  # a hung rank fails the test, not the whole run
    proc = subprocess.run([*launcher, "-m", "fakebench", *args], env=env, capture_output=True, text=True, **kw)
    if check and proc.returncode:
        raise AssertionError(f"fakebench {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc


def fakebench_in_process(args: list[str], home: Path) -> None:
    """`fakebench ARGS` in this process, as `fakebench()` runs it in a child (its own FAKEBENCH_HOME, one
    thread) but without the child's ten seconds of imports: for the one-process reference runs."""
    import pytest
    import torch

    from fakebench.cli import main

    threads = torch.get_num_threads()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FAKEBENCH_HOME", str(home))
        torch.set_num_threads(1)
        try:
            code = main(args)
        finally:
            torch.set_num_threads(threads)
    assert code == 0, f"fakebench {' '.join(args)} exited {code}"


def tree_bytes(folder: Path, suffixes=(".png",)) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix in suffixes and not p.name.startswith(".")}


def benchmark_subprocess(args: list[str], home: Path, cwd: Path, **extra_env: str) -> subprocess.CompletedProcess:
    """`pytest benchmark/ ARGS` in a child process with its own FAKEBENCH_HOME: for what needs a process of
    its own (a usage error's exit code and stderr, a world's start-up warning); other benchmark runs go
    in-process through pytester (tests/test_pytest_plugin.py)."""
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "FAKEBENCH_HOME": str(home), "PYTHONPATH": str(root), **extra_env}
    return subprocess.run([sys.executable, "-m", "pytest", str(root / "benchmark"), "-p", "no:cacheprovider", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
