"""torchrun with two gloo processes on CPU: the same outputs as one process, from the same command."""
from __future__ import annotations

import pandas as pd
import pytest

from tests.folder_layouts import write_image
from tests.jobs_helpers import TINY_DETECTOR, fakebench, fakebench_in_process, reals_folder, tree_bytes


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny aligned small-cnn checkpoint and a folder dataset (with a broken file) to score."""
    tmp = tmp_path_factory.mktemp("dist")
    home = tmp / "home"
    reals = reals_folder(tmp / "reals", n=16)
    fakebench_in_process(["train", "--recipe", "aligned", "--generator", "mini-sd", "--real", str(reals),
                          *TINY_DETECTOR, "--epochs", "1", "--batch-size", "8", "--crop", "32", "--out",
                          str(tmp / "ckpt")], home)
    data = tmp / "data"
    for i in range(9):
        write_image(data / "real" / f"r{i}.jpg", 200 + i, (48 + 8 * (i % 3), 40))
        write_image(data / "fake" / f"f{i}.png", 300 + i, (48, 40 + 8 * (i % 2)))
    (data / "fake" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 10)
    return tmp, home, tmp / "ckpt" / "model.safetensors", data


def test_two_process_scoring_writes_the_same_store(trained):
    tmp, home, ckpt, data = trained
    stores = []
    for nproc in (1, 2):
        out = tmp / f"scores{nproc}"
        args = ["score", "--checkpoint", str(ckpt), "--data", f"folder:{data}", "--perturbations", "identity,jpeg75",
                "--batch-size", "4", "--out", str(out)]
        if nproc == 1:
            fakebench_in_process(args, tmp / "home-score1")
        else:
            fakebench(args, tmp / "home-score2", nproc=2)
        stores.append(pd.read_parquet(out / "scores.parquet"))
    one, two = stores
    assert len(one) == 2 * 19 and not one.duplicated(["case_id", "image_id", "label"]).any()
    pd.testing.assert_frame_equal(one, two)  # same rows, same order, identical scores
    assert (one["error"] != "").sum() == 2  # the broken fake, under both perturbations
    assert "broken.png" in (tmp / "scores2" / "skipped.csv").read_text()


def test_same_seed_and_config_give_a_byte_identical_store(trained):
    """Determinism end to end: train again in a fresh home, score again: the same bytes."""
    tmp, _, ckpt, data = trained
    fakebench_in_process(["train", "--recipe", "aligned", "--generator", "mini-sd", "--real", str(tmp / "reals"),
                          *TINY_DETECTOR, "--epochs", "1", "--batch-size", "8", "--crop", "32", "--out",
                          str(tmp / "ckpt-again")], tmp / "home2")
    assert (tmp / "ckpt-again" / "model.safetensors").read_bytes() == ckpt.read_bytes()
    out = tmp / "scores-again"
    fakebench_in_process(["score", "--checkpoint", str(tmp / "ckpt-again" / "model.safetensors"), "--data",
                          f"folder:{data}", "--perturbations", "identity,jpeg75", "--batch-size", "4", "--out",
                          str(out)], tmp / "home3")
    assert (out / "scores.parquet").read_bytes() == (tmp / "scores1" / "scores.parquet").read_bytes()
    run = (out / "run.json").read_text()
    assert '"fakebench"' in run and '"torch"' in run and '"bench_seed": "0"' in run


def test_two_process_reconstruction_is_byte_identical(trained, tmp_path):
    tmp, home, _, _ = trained
    reals = reals_folder(tmp_path / "in", n=10)
    outs = []
    for nproc in (1, 2):
        out = tmp_path / f"out{nproc}"
        args = ["reconstruct", "--generator", "mini-sd", "--input", str(reals), "--output", str(out),
                "--batch-size", "2"]
        if nproc == 1:
            fakebench_in_process(args, tmp_path / "home1")
        else:
            fakebench(args, tmp_path / "home2", nproc=2)
        outs.append(tree_bytes(out))
    assert len(outs[0]) == 10 and outs[0] == outs[1]


def test_ddp_training_on_two_processes(trained, tmp_path):
    tmp, _, _, _ = trained
    proc = fakebench(["train", "--recipe", "aligned", "--generator", "mini-sd", "--real", str(tmp / "reals"),
                      *TINY_DETECTOR, "--epochs", "1", "--batch-size", "8", "--crop", "32", "--out",
                      str(tmp_path / "ddp")], tmp_path / "home", nproc=2)
    assert (tmp_path / "ddp" / "model.safetensors").is_file()
    assert proc.stdout.count("checkpoint:") == 1  # rank 0 alone reports
    sidecar = (tmp_path / "ddp" / "model.json").read_text()
    assert '"recipe": "aligned"' in sidecar and '"bal_acc"' in sidecar


def test_pytest_benchmark_under_torchrun(mini_smoke_home, tmp_path):
    """`torchrun -m pytest benchmark/`: every rank runs the cases on its share of the images (sharded
    scoring); rank 0 alone writes the store, which holds every image once. The home holds the prepared
    mini-smoke detectors (DDP training is test_ddp_training_on_two_processes)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "FAKEBENCH_HOME": str(mini_smoke_home), "OMP_NUM_THREADS": "1", "PYTHONPATH": str(root)}
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           "-m", "pytest", str(root / "benchmark"), "-p", "no:cacheprovider", "-q", "--world",
                           "mini-smoke", "--detectors", "aligned-small-cnn", "--generators", "mini-sd",
                           "--perturbations", "identity,jpeg75", "--leaderboard-dir", str(out), "-k", "not claims"],
                          env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.stdout.count("fakebench leaderboard") == 1  # rank 0 reports
    store = pd.read_parquet(out / "scores.parquet")
    test = store[store["split"] == "test"]
    assert sorted(test["case_id"].unique()) == ["aligned-small-cnn-mini-sd-identity",
                                                "aligned-small-cnn-mini-sd-jpeg75"]
    assert not test.duplicated(["case_id", "image_id", "label"]).any() and test["score"].notna().all()
    assert len(test) == 2 * (6 + 6)  # mini-smoke: 6 test reals (3 photos x 2 crops) and 6 fakes per case
