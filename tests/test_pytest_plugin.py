"""Runs the real pytest benchmark (plugin, cases, store, leaderboard) on the mini-smoke world."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from benchmark.cases import MINI_WORLD, build_cases
from fakebench.core.errors import FakebenchError
from leaderboard.store import read_store

ROOT = Path(__file__).resolve().parents[1]


def _pytest(args, home, cwd, **extra_env):
    env = {**os.environ, "FAKEBENCH_HOME": str(home), "PYTHONPATH": str(ROOT), **extra_env}
    return subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "benchmark"), "-p", "no:cacheprovider", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_case_ids_and_expected_failures():
    cases = build_cases(MINI_WORLD)
    ids = [c.id for c in cases]
    labels = sorted({c.detector.label for c in cases})
    assert labels == [f"{r}-{d}" for r in ("aligned", "baseline") for d in ("freq-lr", "resnet50", "small-cnn")]
    assert len(ids) == len(labels) * 3 * len(MINI_WORLD.perturbation_ids()) == len(set(ids))
    assert len(MINI_WORLD.perturbation_ids()) >= 20
    assert "aligned-resnet50-mini-playground-jpeg75" in ids
    by_id = {c.id: c for c in cases}
    assert by_id["aligned-resnet50-mini-playground-jpeg75"].expected_failure == ""
    assert "autoencoder" in by_id["aligned-resnet50-mini-othervae-identity"].expected_failure
    assert "resolution" in by_id["baseline-resnet50-mini-sd-resize0.5"].expected_failure
    assert by_id["baseline-resnet50-mini-sd-identity"].expected_failure == ""
    assert "resolution" in by_id["baseline-resnet50-mini-sd-short48"].expected_failure  # below the native 64 px
    assert by_id["baseline-resnet50-mini-sd-short96"].expected_failure == ""
    assert "WebP" in by_id["aligned-resnet50-mini-sd-jpeg75+webp75"].expected_failure
    assert by_id["baseline-resnet50-mini-sd-webp50"].expected_failure == ""  # the paper says nothing of it


def test_detector_selection_by_label_and_glob():
    cases = build_cases(MINI_WORLD, detectors=["*-resnet50"], generators=["mini-sd"], perturbations=["identity"])
    assert [c.id for c in cases] == ["aligned-resnet50-mini-sd-identity", "baseline-resnet50-mini-sd-identity"]
    # a registered detector outside the world's defaults is selectable by name (trained, so per recipe)
    nodown = build_cases(MINI_WORLD, detectors=["aligned-resnet50-nodown"], generators=["mini-sd"],
                         perturbations=["identity"])
    assert [c.detector.detector for c in nodown] == ["resnet50-nodown"]
    with pytest.raises(FakebenchError, match="aligned-resnet50"):
        build_cases(MINI_WORLD, detectors=["resnet99"])


def test_unknown_generator_in_selection_is_a_clear_error():
    with pytest.raises(FakebenchError, match="mini-playground"):
        build_cases(MINI_WORLD, generators=["sd-xl"])


def test_k_selection_builds_only_what_it_needs_and_writes_the_leaderboard(tmp_path):
    home, out = tmp_path / "home", tmp_path / "out"
    proc = _pytest(["--world", "mini-smoke", "-k", "playground", "--leaderboard-dir", str(out), "-q"], home, tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # the baseline's playground cases are expected failures (paper); the smoke floor of 0 makes them XPASS
    # three zoo detectors (resnet50, small-cnn, freq-lr) x two recipes x three perturbations
    assert "fakebench leaderboard" in proc.stdout and "9 passed" in proc.stdout and "9 xpassed" in proc.stdout
    board = pd.read_csv(out / "leaderboard.csv")
    assert sorted(board["case_id"]) == sorted(
        f"{r}-{d}-mini-playground-{p}" for r in ("aligned", "baseline") for d in ("resnet50", "small-cnn", "freq-lr")
        for p in ("identity", "jpeg75", "resize0.5"))
    assert (board["n_real"] > 0).all() and (board["n_fake"] > 0).all()
    assert "## mini-playground" in (out / "leaderboard.md").read_text()
    assert (out / "report.html").is_file() and (out / "leaderboard.json").is_file()
    scores = read_store(out / "scores.parquet")
    test_rows = scores[scores["split"] == "test"]
    assert len(test_rows) == board["n_real"].sum() + board["n_fake"].sum()
    # each detector's clean calibration reals are in the store, and every case got a calibrated FPR
    assert sorted(scores.loc[scores["split"] == "calibration", "case_id"].unique()) == sorted(
        f"{r}-{d}-calibration" for r in ("aligned", "baseline") for d in ("resnet50", "small-cnn", "freq-lr"))
    assert board["real_fpr_cal"].notna().all()
    generated = {p.name.rsplit("-", 1)[0] for p in (home / "imagesets").iterdir() if p.name.startswith("gen-")}
    # only what the selection needs: mini-sd for the baseline's training and validation fakes, and
    # mini-playground's test fakes; nothing of mini-sd's or mini-othervae's test sets
    assert generated == {"gen-mini-sd-s10000", "gen-mini-sd-s20000", "gen-mini-playground-s0"}

    # warm rerun: nothing is rebuilt, the same scores come back
    before = {p: p.stat().st_mtime_ns for p in home.rglob("*") if p.is_file()}
    proc2 = _pytest(["--world", "mini-smoke", "-k", "playground", "--leaderboard-dir", str(out), "-q"], home, tmp_path)
    assert proc2.returncode == 0, proc2.stdout[-3000:]
    after = {p: p.stat().st_mtime_ns for p in home.rglob("*") if p.is_file()}
    assert after == before
    pd.testing.assert_frame_equal(read_store(out / "scores.parquet"), scores)


def test_bad_options_are_usage_errors(tmp_path):
    proc = _pytest(["--world", "mini-smoke", "--generators", "sd-xl"], tmp_path / "home", tmp_path)
    assert proc.returncode == 4 and "sd-xl" in proc.stderr and "mini-sd" in proc.stderr
    proc = _pytest(["--world", "mini-smoke", "--perturbations", "identity,jpeg101"], tmp_path / "home", tmp_path)
    assert proc.returncode == 4 and "101" in proc.stderr and "1-100" in proc.stderr
    proc = _pytest(["--world", "mini-smoke", "--seeds", "0,x"], tmp_path / "home", tmp_path)
    assert proc.returncode == 4 and "'0,x'" in proc.stderr and "Traceback" not in proc.stderr
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = _pytest(["--world", "mini-smoke", "--leaderboard-dir", str(blocker / "sub")], tmp_path / "home", tmp_path)
    assert proc.returncode == 4 and "not writable" in proc.stderr and "Traceback" not in proc.stderr


def test_corrupted_weights_stop_the_run_at_start_in_one_line(tmp_path):
    import shutil

    from generators.mini.weights import WEIGHTS_DIR

    copy = tmp_path / "weights"
    shutil.copytree(WEIGHTS_DIR, copy)
    target = copy / "unet-playground" / "diffusion_pytorch_model.safetensors"
    target.write_bytes(target.read_bytes()[:-4] + b"\0\0\0\0")
    proc = _pytest(["--world", "mini-smoke", "-k", "playground"], tmp_path / "home", tmp_path,
                   FAKEBENCH_MINI_WEIGHTS=str(copy))
    assert proc.returncode == 4, proc.stdout[-2000:]
    assert str(target) in proc.stderr and "fakebench mini train" in proc.stderr and "Traceback" not in proc.stderr


def test_seeds_train_each_detector_per_seed_and_the_leaderboard_aggregates(tmp_path):
    out = tmp_path / "out"
    proc = _pytest(["--world", "mini-smoke", "--seeds", "0,1", "--detectors", "*-resnet50", "--generators", "mini-sd",
                    "--perturbations", "identity", "--leaderboard-dir", str(out), "-v", "-k", "not claims"],
                   tmp_path / "home", tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:]
    for seed in (0, 1):
        assert f"aligned-resnet50-mini-sd-identity-seed{seed}] PASSED" in proc.stdout
    board = pd.read_csv(out / "leaderboard.csv")
    assert sorted(board["seed"]) == [0, 0, 1, 1] and board["checkpoint"].nunique() == 4  # one model per seed
    md = (out / "leaderboard.md").read_text()
    assert "mean ± std" in md and " ± " in md.split("## mini-sd")[1]
    scores = read_store(out / "scores.parquet")
    assert set(scores["seed"]) == {0, 1} and set(scores["bench_seed"]) == {0}


def test_bench_cost_prints_both_rates_and_their_ratio():
    proc = subprocess.run([sys.executable, "-m", "fakebench", "bench", "cost", "--generators", "mini-sd",
                           "--images", "2", "--batch-size", "1"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    row = next(line for line in proc.stdout.splitlines() if line.startswith("mini-sd"))
    steps, batch, images, gen, rec, ratio = row.split()[1:]
    assert (steps, batch, images) == ("20", "1", "2")
    assert float(ratio) == pytest.approx(float(rec) / float(gen), rel=0.01)
    assert "= 20 denoiser steps" in proc.stdout and "encode" in proc.stdout  # the per-image breakdown


def test_claims_run_what_they_need_and_land_in_the_reports(tmp_path):
    """On mini-smoke the claims run end to end but are not judged (every one is a non-strict xfail)."""
    out = tmp_path / "out"
    proc = _pytest(["--world", "mini-smoke", "-k", "claims", "--detectors", "*-resnet50", "--leaderboard-dir", str(out),
                    "-rxX"], tmp_path / "home", tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "6 deselected" not in proc.stdout and proc.stdout.count("too small to judge") == 6
    md = (out / "leaderboard.md").read_text()
    assert "## Claims" in md and "C5: reconstruction" in md and "no data" not in md.split("## Overall")[0]
    cost = json.loads((out / "cost.json").read_text())
    assert cost["generator"] == "mini-sd" and cost["ratio"] == pytest.approx(cost["reconstruct_ips"] / cost["generate_ips"])
    # the cases C1-C4 read were scored by the claims alone (-k claims deselected every case test)
    board = pd.read_csv(out / "leaderboard.csv")
    assert {"aligned-resnet50-mini-playground-identity", "baseline-resnet50-mini-sd-resize0.5",
            "aligned-resnet50-mini-othervae-identity", "aligned-resnet50-mini-sd-webp50"} <= set(board["case_id"])
    # a report rebuilt from the store alone still judges C5, from the cost record beside the store
    (out / "leaderboard.md").unlink()
    rebuilt = subprocess.run([sys.executable, "-m", "fakebench", "report", str(out / "scores.parquet"), "--bootstrap",
                              "50"], capture_output=True, text=True, timeout=300,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "C5: reconstruction" in (out / "leaderboard.md").read_text()


def test_folder_dataset_generators_join_the_benchmark(tmp_path):
    """`--data folder:PATH` turns a CNNDetection-style folder into cases next to the world's, with
    its unusable files in the n_failed count and in skipped.csv."""
    from tests.folder_layouts import cnndetection

    data = cnndetection(tmp_path / "cnndet")
    (data / "biggan" / "1_fake" / "cut.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    (data / "notes.md").write_text("not an image")
    out = tmp_path / "out"
    proc = _pytest(["--world", "mini-smoke", "--data", f"folder:{data}", "--generators", "cnndet-*",
                    "--detectors", "aligned-small-cnn", "--perturbations", "identity", "--leaderboard-dir", str(out),
                    "-q"], tmp_path / "home", tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    board = pd.read_csv(out / "leaderboard.csv").set_index("case_id")
    assert sorted(board.index) == ["aligned-small-cnn-cnndet-biggan-identity", "aligned-small-cnn-cnndet-progan-identity"]
    assert board.loc["aligned-small-cnn-cnndet-biggan-identity", "n_failed"] == 1
    assert board.loc["aligned-small-cnn-cnndet-progan-identity", "n_fake"] == 2
    skipped = pd.read_csv(out / "skipped.csv")
    assert sorted(p.rsplit("/", 1)[-1] for p in skipped["path"]) == ["cut.png", "notes.md"]
