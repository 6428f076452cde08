"""SIGKILL at random points of reconstruction, training and scoring (20 kills in all): each job,
rerun until it finishes, leaves exactly what an uninterrupted run leaves."""
from __future__ import annotations

import random
import signal
import time

import pandas as pd
import pytest

from tests.folder_layouts import write_image
from tests.jobs_helpers import TINY_DETECTOR, fakebench, popen, reals_folder, tree_bytes


def _kill_then_finish(args, home, kills: int, window: tuple[float, float], rng: random.Random) -> int:
    """Start the job and SIGKILL it after a random delay until `kills` kills landed mid-run; then let it
    finish. Returns the number of kills that hit a running process."""
    landed = attempts = 0
    while landed < kills and attempts < 3 * kills:
        attempts += 1
        proc = popen(args, home)
        time.sleep(rng.uniform(*window))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            landed += 1
        elif proc.returncode:
            raise AssertionError(f"job failed on its own with exit {proc.returncode}")
    fakebench(args, home)
    return landed


def _window(args, home) -> tuple[float, float]:
    """Kill between the end of start-up and the end of an uninterrupted run (timed on a reference)."""
    started = time.perf_counter()
    fakebench(args, home)
    total = time.perf_counter() - started
    return 0.5 * total, 0.98 * total


@pytest.fixture(scope="module")
def rng():
    return random.Random(20261125)


@pytest.fixture(scope="module")
def reals(tmp_path_factory):
    return reals_folder(tmp_path_factory.mktemp("kill") / "reals", n=40)


def test_reconstruction_killed_7_times(reals, tmp_path, rng):
    ref_args = ["reconstruct", "--generator", "mini-sd", "--input", str(reals), "--output", str(tmp_path / "ref"),
                "--batch-size", "2"]
    window = _window(ref_args, tmp_path / "home-ref")
    args = [*ref_args[:-3], str(tmp_path / "out"), "--batch-size", "2"]
    assert _kill_then_finish(args, tmp_path / "home", 7, window, rng) == 7
    assert tree_bytes(tmp_path / "out") == tree_bytes(tmp_path / "ref") and len(tree_bytes(tmp_path / "ref")) == 40


def test_training_killed_7_times(reals, tmp_path, rng):
    def args(out):
        return ["train", "--recipe", "aligned", "--generator", "mini-sd", "--real", str(reals), *TINY_DETECTOR,
                "--epochs", "6", "--batch-size", "8", "--crop", "32", "--out", str(out)]

    window = _window(args(tmp_path / "ref"), tmp_path / "home-ref")
    assert _kill_then_finish(args(tmp_path / "out"), tmp_path / "home", 7, window, rng) == 7
    ref, out = (tmp_path / d / "model.safetensors" for d in ("ref", "out"))
    assert out.read_bytes() == ref.read_bytes()  # resumed from its epochs: the very same weights


def test_scoring_killed_6_times(reals, tmp_path, rng):
    fakebench(["train", "--recipe", "aligned", "--generator", "mini-sd", "--real", str(reals), *TINY_DETECTOR,
               "--epochs", "1", "--batch-size", "8", "--crop", "32", "--out", str(tmp_path / "ckpt")], tmp_path / "h0")
    data = tmp_path / "data"
    for i in range(40):
        write_image(data / "real" / f"r{i}.jpg", 500 + i, (56, 48 + 8 * (i % 2)))
        write_image(data / "fake" / f"f{i}.png", 600 + i, (56, 48))

    def args(out):
        return ["score", "--checkpoint", str(tmp_path / "ckpt" / "model.safetensors"), "--data", f"folder:{data}",
                "--perturbations", "identity,jpeg75,resize0.5,blur1", "--batch-size", "2", "--workers", "0",
                "--out", str(out)]

    window = _window(args(tmp_path / "ref"), tmp_path / "home-ref")
    assert _kill_then_finish(args(tmp_path / "out"), tmp_path / "home", 6, window, rng) == 6
    ref, out = (pd.read_parquet(tmp_path / d / "scores.parquet") for d in ("ref", "out"))
    assert len(ref) == 4 * 80
    pd.testing.assert_frame_equal(out, ref)
