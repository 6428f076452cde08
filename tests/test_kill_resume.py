"""SIGKILL at random points of reconstruction, training and scoring (20 kills in all): each job,
rerun until it finishes, leaves exactly what an uninterrupted run leaves. Jobs run the `fakebench`
command in children of a forkserver that imported everything once, so kills land in the work."""
from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time

import pandas as pd
import pytest
import torch

from tests.folder_layouts import write_image
from tests.jobs_helpers import TINY_DETECTOR, reals_folder, tree_bytes

pytestmark = pytest.mark.integration  # SIGKILLed child processes


def _job(args: list[str], home: str) -> None:
    """A child forked from the forkserver, which already holds the imports, so a kill lands in the
    job's work rather than in ten seconds of importing torch."""
    os.environ["FAKEBENCH_HOME"] = home
    torch.set_num_threads(1)
    code = 1
    try:
        from fakebench.cli import main

        code = main(args)
    finally:
        os._exit(code)


TIMEOUT = 300  # a job that hangs fails the test instead of the whole run


def _context():
    """forkserver: children fork from a clean server process that imported fakebench once and started
    no thread (forking this pytest process, whose earlier tests left threads and locks, can deadlock)."""
    ctx = multiprocessing.get_context("forkserver")
    # diffusers' model modules load lazily on a job's first use (about 5 s): preloaded, so that kills land
    # in the reconstruction, training and scoring, not in an import
    ctx.set_forkserver_preload(["fakebench.cli", "fakebench.jobs", "fakebench.generators",
                                "fakebench.detectors.trained", "fakebench.evaluation.scoring",
                                "fakebench.leaderboard.reports", "diffusers.models.autoencoders",
                                "diffusers.models.unets", "tests.test_kill_resume"])
    return ctx


def _start(args, home) -> multiprocessing.Process:
    proc = _context().Process(target=_job, args=(args, str(home)))
    proc.start()
    return proc


def _run(args, home) -> float:
    started = time.perf_counter()
    proc = _start(args, home)
    proc.join(TIMEOUT)
    if proc.is_alive():
        proc.kill()
        proc.join()
        raise AssertionError(f"fakebench {' '.join(args)} hung for {TIMEOUT} s")
    assert proc.exitcode == 0, f"fakebench {' '.join(args)} exited {proc.exitcode}"
    return time.perf_counter() - started


def _kill_then_finish(args, home, kills: int, window: tuple[float, float], rng: random.Random) -> int:
    """Start the job and SIGKILL it after a random delay, `kills` times (each run resumes from the
    leftovers of the one before), then let it finish. Returns the number of kills that hit a running
    process."""
    landed = 0
    for _ in range(kills):
        proc = _start(args, home)
        proc.join(rng.uniform(*window))
        if proc.is_alive():
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except ProcessLookupError:  # it finished between the check and the kill: not a landed kill
                proc.join()
                assert proc.exitcode == 0, f"job failed on its own with exit {proc.exitcode}"
                continue
            proc.join()
            landed += proc.exitcode == -signal.SIGKILL
        else:
            assert proc.exitcode == 0, f"job failed on its own with exit {proc.exitcode}"
    _run(args, home)
    return landed


def _episodes(make_args, tmp_path, kills: int, rng: random.Random) -> list:
    """Kill-resume episodes (up to four kills, then a finish), each from an empty state, until `kills`
    kills landed mid-run; returns each episode's output folder, to compare with the reference's. A kill
    that comes after the job finished (a busy machine slows the reference run) is not counted, and the
    episodes go on until enough landed."""
    window = _window(make_args(tmp_path / "ref"), tmp_path / "home-ref")
    outs, landed = [], 0
    while landed < kills:
        n = len(outs)
        # a kill drawn after the job finished does not count; on a busy machine job times vary, so allow
        # several episodes per kill before calling the window wrong
        assert n < 4 * kills, f"only {landed} of {kills} kills landed while the job ran"
        landed += _kill_then_finish(make_args(tmp_path / f"out{n}"), tmp_path / f"home{n}", min(4, kills - landed),
                                    window, rng)
        outs.append(tmp_path / f"out{n}")
    return outs


def _noop() -> None:
    pass


def _window(args, home) -> tuple[float, float]:
    """Kill anywhere in the first 95% of an uninterrupted run (timed on a reference run, once the
    forkserver is up: its start-up is no part of a job)."""
    warm = _context().Process(target=_noop)
    warm.start()
    warm.join(TIMEOUT)
    total = _run(args, home)
    return 0.02 * total, 0.95 * total


@pytest.fixture(scope="module")
def rng():
    return random.Random(20261125)


@pytest.fixture(scope="module")
def reals(tmp_path_factory):
    return reals_folder(tmp_path_factory.mktemp("kill") / "reals", n=12)


def test_reconstruction_killed_7_times(reals, tmp_path, rng):
    def args(out):
        return ["reconstruct", "--generator", "mini-sd", "--input", str(reals), "--output", str(out),
                "--batch-size", "2"]

    outs = _episodes(args, tmp_path, 7, rng)
    ref = tree_bytes(tmp_path / "ref")
    assert len(ref) == 12 and all(tree_bytes(out) == ref for out in outs)


def test_training_killed_7_times(reals, tmp_path, rng):
    def args(out):
        return ["train", "--recipe", "aligned", "--generator", "mini-sd", "--real", str(reals), *TINY_DETECTOR,
                "--epochs", "2", "--batch-size", "4", "--crop", "32", "--out", str(out)]

    outs = _episodes(args, tmp_path, 7, rng)
    ref = (tmp_path / "ref" / "model.safetensors").read_bytes()
    assert all((out / "model.safetensors").read_bytes() == ref for out in outs)  # resumed: the very same weights


def test_scoring_killed_6_times(reals, tmp_path, rng):
    _run(["train", "--recipe", "aligned", "--generator", "mini-sd", "--real", str(reals), *TINY_DETECTOR,
          "--epochs", "1", "--batch-size", "8", "--crop", "32", "--out", str(tmp_path / "ckpt")], tmp_path / "h0")
    data = tmp_path / "data"
    for i in range(20):
        write_image(data / "real" / f"r{i}.jpg", 500 + i, (56, 48 + 8 * (i % 2)))
        write_image(data / "fake" / f"f{i}.png", 600 + i, (56, 48))

    def args(out):
        return ["score", "--checkpoint", str(tmp_path / "ckpt" / "model.safetensors"), "--data", f"folder:{data}",
                "--perturbations", "identity,jpeg75,resize0.5", "--batch-size", "2", "--workers", "0",
                "--out", str(out)]

    outs = _episodes(args, tmp_path, 6, rng)
    ref = pd.read_parquet(tmp_path / "ref" / "scores.parquet")
    assert len(ref) == 3 * 40
    for out in outs:
        pd.testing.assert_frame_equal(pd.read_parquet(out / "scores.parquet"), ref)
