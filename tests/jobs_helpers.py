"""Running the `fakebench` command and the `pytest benchmark/` suite from tests, on tiny folders the tests
write."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.folder_layouts import write_image

ROOT = Path(__file__).resolve().parents[1]
TINY_DETECTOR = ["--detector", "small-cnn", "--detector-arg", "channels=[8,8,16,16]"]


def reals_folder(root: Path, n: int = 24) -> Path:
    """n reals of a few sizes (batches by size are then uneven), JPEG and PNG."""
    sizes = [(64, 64), (72, 56), (40, 48)]
    for i in range(n):
        write_image(root / f"sub{i % 2}" / f"r{i:03d}.{'jpg' if i % 3 else 'png'}", i, sizes[i % 3])
    return root


def fakebench_in_process(args: list[str], home: Path) -> None:
    """`fakebench ARGS` in this process, as a child would run it (its own FAKEBENCH_HOME, one thread) but
    without a child's ten seconds of imports: for the one-process reference runs."""
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


def benchmark_in_process(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """`pytest benchmark/ ARGS` in this process, through pytester. Ask for `prepared_mini_smoke` (or
    `mini_smoke_home`) too: it imports what a benchmark run imports before pytester's sys.modules
    snapshot, since an inner run's new modules are dropped when it ends."""
    return pytester.runpytest_inprocess(str(ROOT / "benchmark"), "-p", "no:cacheprovider", *args)
