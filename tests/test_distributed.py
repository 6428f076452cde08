"""torchrun with two gloo processes on CPU: the same outputs as one process, from the same command.

The two-process side of every test runs in one torchrun launch (`tests.torchrun_jobs`, a module
fixture); each test runs its one-process reference in this process and compares."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.folder_layouts import write_image
from tests.jobs_helpers import TINY_DETECTOR, fakebench_in_process, reals_folder, tree_bytes
from tests.session_shared import build_shared

pytestmark = pytest.mark.integration  # torchrun processes

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ["train", "--recipe", "aligned", "--generator", "mini-sd", *TINY_DETECTOR, "--epochs", "1", "--batch-size",
         "8", "--crop", "32"]


def _score_args(ckpt: Path, data: Path, out: Path) -> list[str]:
    return ["score", "--checkpoint", str(ckpt), "--data", f"folder:{data}", "--perturbations", "identity,jpeg75",
            "--batch-size", "4", "--out", str(out)]


def _reconstruct_args(reals: Path, out: Path) -> list[str]:
    return ["reconstruct", "--generator", "mini-sd", "--input", str(reals), "--output", str(out), "--batch-size", "2"]


def _train_and_write_data(tmp: Path) -> None:
    reals = reals_folder(tmp / "reals", n=16)
    fakebench_in_process([*TRAIN, "--real", str(reals), "--out", str(tmp / "ckpt")], tmp / "home")
    data = tmp / "data"
    for i in range(9):
        write_image(data / "real" / f"r{i}.jpg", 200 + i, (48 + 8 * (i % 3), 40))
        write_image(data / "fake" / f"f{i}.png", 300 + i, (48, 40 + 8 * (i % 2)))
    (data / "fake" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 10)
    reals_folder(tmp / "recon-in", n=10)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny aligned small-cnn checkpoint and a folder dataset (with a broken file) to score, built once per
    session even when xdist spreads this module's tests over workers (each test writes its own names)."""
    tmp = build_shared(tmp_path_factory, "dist", _train_and_write_data, "the distributed tests' checkpoint")
    return tmp, tmp / "ckpt" / "model.safetensors", tmp / "data"


JOBS = ("score", "reconstruct", "train", "bench")


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory, trained, prepared_mini_smoke):
    """Scoring, reconstruction, DDP training and `pytest benchmark/`, each on two ranks, in one launch, once
    per session (whichever xdist worker asks first). Returns each job's stdout (both ranks) by name."""
    tmp, ckpt, data = trained
    build_shared(tmp_path_factory, "dist-torchrun", lambda _: _launch(tmp, ckpt, data, prepared_mini_smoke),
                 "the distributed tests' torchrun launch")
    return {name: "".join((tmp / f"{name}.rank{r}").read_text() for r in (0, 1)) for name in JOBS}


def _launch(tmp: Path, ckpt: Path, data: Path, prepared_mini_smoke: Path) -> None:
    bench_home = tmp / "home-bench"
    shutil.copytree(prepared_mini_smoke, bench_home, dirs_exist_ok=True)  # the prepared detectors: no training
    (tmp / "bench-cwd").mkdir(exist_ok=True)
    jobs = {  # in JOBS' order
        "score": ("fakebench", _score_args(ckpt, data, tmp / "scores2"), tmp / "home-score2"),
        "reconstruct": ("fakebench", _reconstruct_args(tmp / "recon-in", tmp / "recon2"), tmp / "home-recon2"),
        "train": ("fakebench", [*TRAIN, "--real", str(tmp / "reals"), "--out", str(tmp / "ddp")], tmp / "home-ddp"),
        "bench": ("pytest", [str(ROOT / "benchmark"), "-p", "no:cacheprovider", "-q", "--world", "mini-smoke",
                             "--detectors", "aligned-small-cnn", "--generators", "mini-sd", "--perturbations",
                             "identity,jpeg75", "--leaderboard-dir", str(tmp / "bench-out"), "-k", "not claims"],
                  bench_home),
    }
    spec = [{"kind": kind, "args": args, "home": str(home), "cwd": str(tmp / "bench-cwd"), "log": str(tmp / name)}
            for name, (kind, args, home) in jobs.items()]
    (tmp / "jobs.json").write_text(json.dumps(spec))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           "-m", "tests.torchrun_jobs", str(tmp / "jobs.json")],
                          env=env, capture_output=True, text=True, timeout=600, cwd=tmp)
    logs = {name: "".join((tmp / f"{name}.rank{r}").read_text() if (tmp / f"{name}.rank{r}").exists() else ""
                          for r in (0, 1)) for name in jobs}
    assert proc.returncode == 0, f"{logs}\n{proc.stderr[-3000:]}"
    for name in jobs:
        for r in (0, 1):
            code = (tmp / f"{name}.rank{r}.rc").read_text()
            assert code == "0", f"{name} exited {code} on rank {r}:\n{logs[name][-3000:]}\n{proc.stderr[-3000:]}"


def test_two_process_scoring_writes_the_same_store(trained, two_processes):
    tmp, ckpt, data = trained
    fakebench_in_process(_score_args(ckpt, data, tmp / "scores1"), tmp / "home-score1")
    one, two = (pd.read_parquet(tmp / f"scores{n}" / "scores.parquet") for n in (1, 2))
    assert len(one) == 2 * 19 and not one.duplicated(["case_id", "image_id", "label"]).any()
    pd.testing.assert_frame_equal(one, two)  # same rows, same order, identical scores
    assert (one["error"] != "").sum() == 2  # the broken fake, under both perturbations
    assert "broken.png" in (tmp / "scores2" / "skipped.csv").read_text()


def test_same_seed_and_config_give_a_byte_identical_store(trained):
    """Determinism end to end: train again in a fresh home, score twice: the same bytes."""
    tmp, ckpt, data = trained
    fakebench_in_process([*TRAIN, "--real", str(tmp / "reals"), "--out", str(tmp / "ckpt-again")], tmp / "home2")
    again = tmp / "ckpt-again" / "model.safetensors"
    assert again.read_bytes() == ckpt.read_bytes()
    for n, weights in enumerate((ckpt, again)):
        fakebench_in_process(_score_args(weights, data, tmp / f"scores-again{n}"), tmp / f"home-again{n}")
    out = tmp / "scores-again1"
    assert (out / "scores.parquet").read_bytes() == (tmp / "scores-again0" / "scores.parquet").read_bytes()
    run = (out / "run.json").read_text()
    assert '"fakebench"' in run and '"torch"' in run and '"bench_seed": "0"' in run


def test_two_process_reconstruction_is_byte_identical(trained, two_processes):
    tmp, _, _ = trained
    fakebench_in_process(_reconstruct_args(tmp / "recon-in", tmp / "recon1"), tmp / "home-recon1")
    one, two = tree_bytes(tmp / "recon1"), tree_bytes(tmp / "recon2")
    assert len(one) == 10 and one == two


def test_ddp_training_on_two_processes(trained, two_processes):
    tmp, _, _ = trained
    assert (tmp / "ddp" / "model.safetensors").is_file()
    assert two_processes["train"].count("checkpoint:") == 1  # rank 0 alone reports
    sidecar = (tmp / "ddp" / "model.json").read_text()
    assert '"recipe": "aligned"' in sidecar and '"bal_acc"' in sidecar


def test_pytest_benchmark_under_torchrun(trained, two_processes):
    """`torchrun -m pytest benchmark/`: every rank runs the cases on its share of the images (sharded
    scoring); rank 0 alone writes the store, which holds every image once. The home holds the prepared
    mini-smoke detectors (DDP training is test_ddp_training_on_two_processes)."""
    tmp, _, _ = trained
    assert two_processes["bench"].count("fakebench leaderboard") == 1  # rank 0 reports
    store = pd.read_parquet(tmp / "bench-out" / "scores.parquet")
    test = store[store["split"] == "test"]
    assert sorted(test["case_id"].unique()) == ["aligned-small-cnn-mini-sd-identity",
                                                "aligned-small-cnn-mini-sd-jpeg75"]
    assert not test.duplicated(["case_id", "image_id", "label"]).any() and test["score"].notna().all()
    assert len(test) == 2 * (6 + 6)  # mini-smoke: 6 test reals (3 photos x 2 crops) and 6 fakes per case
