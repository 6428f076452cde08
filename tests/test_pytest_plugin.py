"""Runs the real pytest benchmark (plugin, cases, store, leaderboard) on the mini-smoke world.

The inner pytest runs in this process through `pytester` (the options and the plugin come from
benchmark/conftest.py, exactly as in `pytest benchmark/`), and starts from a copy of
a home prepared once per session (`mini_smoke_home`), so each test pays only for what it checks.
`pytest benchmark/` under torchrun, which needs processes, is in tests/test_distributed.py."""
import importlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from fakebench.cli import main
from fakebench.evaluation.store import read_store
from tests.folder_layouts import write_image
from tests.jobs_helpers import benchmark_in_process
from tests.photo_manifests import write_manifest

pytestmark = pytest.mark.integration  # inner pytest runs of the benchmark (pytester)

# Imported before any inner run: pytester drops the modules an inner run imports when it ends, and torch
# and diffusers do not take well to being imported twice in one process.
for _module in ("fakebench.benchmark.session", "fakebench.pytest_plugin", "fakebench.leaderboard.plots",
                "fakebench.leaderboard.reports"):
    importlib.import_module(_module)
ZOO = ("resnet50", "small-cnn", "freq-lr")


@pytest.fixture(scope="module", autouse=True)
def _imports_before_inner_runs(prepared_mini_smoke):
    """Preparing the shared home imports what a benchmark run imports, before any pytester snapshot."""


def _failure(result: pytest.RunResult) -> str:
    return result.stdout.str()[-3000:] + result.stderr.str()[-3000:]


def _generated(home: Path) -> set[str]:
    return {p.name.rsplit("-", 1)[0] for p in (home / "imagesets").iterdir() if p.name.startswith("gen-")}


def test_a_selection_builds_only_what_it_needs(pytester, fb_home, tmp_path):
    """From an empty home: the aligned recipe trains on reconstructions, so the only generated images are
    mini-playground's test fakes; nothing of mini-sd's or mini-othervae's test sets."""
    result = benchmark_in_process(pytester, "--world", "mini-smoke", "-k", "playground", "--detectors",
                                  "aligned-freq-lr", "--perturbations", "identity", "--leaderboard-dir",
                                  str(tmp_path / "out"), "-q")
    assert result.ret == 0, _failure(result)
    result.assert_outcomes(passed=1)
    assert _generated(fb_home) == {"gen-mini-playground-s0"}
    # three corpus splits; train and val reconstructions, as the autoencoder wrote them and stored like their reals
    assert sorted(p.name.split("-")[0] for p in (fb_home / "imagesets").iterdir()) == [
        "gen", "real", "real", "real", "recon", "recon", "recon", "recon"]


def test_k_selection_writes_the_leaderboard_and_a_warm_rerun_rebuilds_nothing(pytester, mini_smoke_home, tmp_path):
    home, out = mini_smoke_home, tmp_path / "out"
    result = benchmark_in_process(pytester, "--world", "mini-smoke", "-k", "playground", "--leaderboard-dir", str(out),
                                  "-q")
    assert result.ret == 0, _failure(result)
    # the baseline's playground cases are expected failures (paper); the smoke floor of 0 makes them XPASS
    # three zoo detectors (resnet50, small-cnn, freq-lr) x two recipes x three perturbations
    result.assert_outcomes(passed=9, xpassed=9)
    assert "fakebench leaderboard" in result.stdout.str() and f"{out}/" in result.stdout.str()
    board = pd.read_csv(out / "leaderboard.csv")
    assert sorted(board["case_id"]) == sorted(
        f"{r}-{d}-mini-playground-{p}" for r in ("aligned", "baseline") for d in ZOO
        for p in ("identity", "jpeg75", "resize0.5"))
    assert (board["n_real"] == 6).all() and (board["n_fake"] == 6).all()  # mini-smoke: 3 photos x 2 crops, 6 fakes
    assert "## mini-playground" in (out / "leaderboard.md").read_text()
    assert (out / "report.html").is_file() and (out / "leaderboard.json").is_file()
    scores = read_store(out / "scores.parquet")
    test_rows = scores[scores["split"] == "test"]
    assert len(test_rows) == board["n_real"].sum() + board["n_fake"].sum()
    # each detector's clean calibration reals are in the store, and every case got a calibrated FPR
    assert sorted(scores.loc[scores["split"] == "calibration", "case_id"].unique()) == sorted(
        f"{r}-{d}-calibration" for r in ("aligned", "baseline") for d in ZOO)
    assert board["real_fpr_cal"].notna().all()

    # warm rerun: nothing is rebuilt, the same scores come back
    before = {p: p.stat().st_mtime_ns for p in home.rglob("*") if p.is_file()}
    again = benchmark_in_process(pytester, "--world", "mini-smoke", "-k", "playground", "--leaderboard-dir", str(out),
                                 "-q")
    assert again.ret == 0, _failure(again)
    after = {p: p.stat().st_mtime_ns for p in home.rglob("*") if p.is_file()}
    assert after == before
    pd.testing.assert_frame_equal(read_store(out / "scores.parquet"), scores)


@pytest.mark.parametrize("args, needles", [
    (["--generators", "sd-xl"], ["sd-xl", "mini-sd"]),
    (["--perturbations", "identity,jpeg101"], ["101", "1-100"]),
    (["--seeds", "0,x"], ["'0,x'"]),
    (["--batch-size", "0"], ["--batch-size", "expected a number >= 1, got 0"]),
])
def test_bad_options_are_usage_errors(pytester, tmp_path, args, needles):
    result = benchmark_in_process(pytester, "--world", "mini-smoke", *args)
    err = result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR, _failure(result)
    assert all(n in err for n in needles) and "Traceback" not in err, err


def test_unwritable_leaderboard_folder_is_a_usage_error(pytester, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = benchmark_in_process(pytester, "--world", "mini-smoke", "--leaderboard-dir", str(blocker / "sub"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "not writable" in result.stderr.str() and "Traceback" not in result.stderr.str()


def test_missing_photo_packages_stop_the_run_at_start_in_one_line(pytester, tmp_path, fb_home, monkeypatch):
    """A world training on packaged photos (lite) without their Debian packages: a usage error naming the
    packages and the fix before anything is built; `--collect-only` still lists the cases."""
    from fakebench.data import photos

    absent = photos.PackagedPhoto("gone", "fake-pkg", "1.0", str(tmp_path / "absent.jpg"), "", "0" * 64, 240, 200,
                                  "CC0-1.0", "per file", "Someone", "gone", "train")
    monkeypatch.setattr(photos, "MANIFEST", write_manifest(tmp_path / "photos.csv", [absent]))
    world = tmp_path / "photos-world.toml"
    world.write_text('extends = "mini-smoke"\ndescription = "mini-smoke on packaged photos"\n'
                     '[reals]\ntrain = ["corpus", "photos:2"]\n')
    result = benchmark_in_process(pytester, "--world", str(world), "-k", "playground")
    err = result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR, _failure(result)
    assert "fake-pkg" in err and "apt-get install fake-pkg" in err and "Traceback" not in err
    assert not any(fb_home.iterdir())  # stopped before building anything
    listed = benchmark_in_process(pytester, "--world", str(world), "--collect-only", "-q")
    assert listed.ret == 0, _failure(listed)


def test_corrupted_weights_stop_the_run_at_start_in_one_line(pytester, tmp_path, fb_home, monkeypatch):
    from fakebench.generators.mini.weights import WEIGHTS_DIR

    copy = tmp_path / "weights"
    shutil.copytree(WEIGHTS_DIR, copy)
    target = copy / "unet-playground" / "diffusion_pytorch_model.safetensors"
    target.write_bytes(target.read_bytes()[:-4] + b"\0\0\0\0")
    monkeypatch.setenv("FAKEBENCH_MINI_WEIGHTS", str(copy))
    result = benchmark_in_process(pytester, "--world", "mini-smoke", "-k", "playground")
    err = result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR, _failure(result)
    assert str(target) in err and "fakebench mini train" in err and "Traceback" not in err
    assert not any(fb_home.iterdir())  # stopped before building anything


def test_seeds_train_each_detector_per_seed_and_the_leaderboard_aggregates(pytester, mini_smoke_home, tmp_path):
    """Seed 1 is trained here (seed 0 is in the prepared home); small-cnn, whose training takes seconds where
    the mini-smoke ResNet-50's takes a minute, since any trained detector shows the per-seed bookkeeping."""
    out = tmp_path / "out"
    result = benchmark_in_process(pytester, "--world", "mini-smoke", "--seeds", "0,1",
                                  "--detectors", "aligned-small-cnn,baseline-small-cnn", "--generators", "mini-sd",
                                  "--perturbations", "identity", "--leaderboard-dir", str(out),
                                  "-v", "-k", "not claims")
    assert result.ret == 0, _failure(result)
    for seed in (0, 1):
        result.stdout.fnmatch_lines([f"*aligned-small-cnn-mini-sd-identity-seed{seed}] PASSED*"])
    board = pd.read_csv(out / "leaderboard.csv")
    assert sorted(board["seed"]) == [0, 0, 1, 1] and board["checkpoint"].nunique() == 4  # one model per seed
    md = (out / "leaderboard.md").read_text()
    assert "mean ± std" in md and " ± " in md.split("## mini-sd")[1]
    scores = read_store(out / "scores.parquet")
    assert set(scores["seed"]) == {0, 1} and set(scores["bench_seed"]) == {0}


NOT_JUDGED_C6_C7 = ("claims not judged, the world lacks their roles: C6, C7 (no aligned-shader-resnet50, trained on "
                    "procedural reals: C6; no aligned-webp-resnet50, trained with WebP: C7)")


def test_claims_run_what_they_need_and_land_in_the_reports(pytester, mini_smoke_home, tmp_path, capsys):
    """On mini-smoke with one training seed the claims run end to end but are not judged: every claim
    read from detectors is skipped as indicative with its numbers; C5 (FLOP counts) is judged; C6 has
    no procedural-trained detector in this world, C7 no WebP-trained one: both are skipped, and one line of
    the summary names them instead of two `no data` rows; C0 reads the audit of the training sets."""
    out = tmp_path / "out"
    result = benchmark_in_process(pytester, "--world", "mini-smoke", "-k", "claims", "--detectors",
                                  "aligned-resnet50,baseline-resnet50", "--leaderboard-dir", str(out), "-rsxX")
    assert result.ret == 0, _failure(result)
    stdout = result.stdout.str()
    assert stdout.count("indicative (1 training seed; judging needs 3)") == 6, _failure(result)
    assert "the mini-smoke world lacks what C6 reads: no aligned-shader-resnet50, trained on procedural reals" in stdout
    assert "the mini-smoke world lacks what C7 reads: no aligned-webp-resnet50, trained with WebP" in stdout
    # C5 judged; six indicative, C6 and C7 lack roles; C0 judged from the training sets' audit, expected to miss
    # in a world this small (its aligned set still leaks format: JPEG reals, PNG reconstructions)
    result.assert_outcomes(passed=1, skipped=8, xfailed=1)
    # the terminal summary: one line per claim, the indicative ones with their numbers, within 120 columns
    summary = stdout[stdout.index("fakebench leaderboard"):].split("\n=")[0].splitlines()[1:]  # to pytest's next
    assert max(map(len, summary)) <= 120
    for claim in ("C0", "C1", "C2a", "C2b", "C3", "C4a", "C4b", "C5"):
        assert any(line.startswith(claim + " ") for line in summary), claim
    assert not any(line.startswith(("C6 ", "C7 ")) for line in summary)
    assert NOT_JUDGED_C6_C7 in " ".join(" ".join(summary).split())  # one line, wrapped to the width
    assert any(line.startswith("C5 ") and line.endswith("holds") for line in summary)
    md = (out / "leaderboard.md").read_text()
    claims_md = md.split("### Claims (the paper's findings)")[1].split("\n### ")[0]
    assert "## Claims" in md and "C5: reconstruction" in md and "## Cost per image (C5)" in md
    assert "C0: the baseline's training set" in md and "Training-set audit" in md
    assert {e["recipe"] for e in json.loads((out / "run.json").read_text())["training_audit"]} == {"aligned",
                                                                                                  "baseline"}
    assert not [line for line in claims_md.splitlines() if "no data" in line]
    assert NOT_JUDGED_C6_C7 in md
    cost = json.loads((out / "cost.json").read_text())
    assert cost["flops"]["sd15"]["ratio"] > 10 and cost["flops"]["mini-sd"]["denoiser_calls"] == 20
    wall = cost["wallclock"]
    assert wall["generator"] == "mini-sd"
    assert wall["ratio"] == pytest.approx(wall["reconstruct_ips"] / wall["generate_ips"])  # one record, consistent
    # the cases C1-C4 read were scored by the claims alone (-k claims deselected every case test)
    board = pd.read_csv(out / "leaderboard.csv")
    assert {"aligned-resnet50-mini-playground-identity", "baseline-resnet50-mini-sd-resize0.5",
            "aligned-resnet50-mini-othervae-identity", "aligned-resnet50-mini-sd-webp50"} <= set(board["case_id"])
    # a report rebuilt from the store alone still judges C5, from the cost record beside the store
    (out / "leaderboard.md").unlink()
    assert main(["report", str(out / "scores.parquet"), "--bootstrap", "50"]) == 0, capsys.readouterr().err
    assert "C5: reconstruction" in (out / "leaderboard.md").read_text()


def test_folder_dataset_generators_join_the_benchmark(pytester, mini_smoke_home, tmp_path):
    """`--data folder:PATH` turns a CNNDetection-style folder into cases next to the world's, with
    its unusable files in the n_failed count and in skipped.csv."""
    from tests.folder_layouts import cnndetection

    data = cnndetection(tmp_path / "cnndet")
    (data / "biggan" / "1_fake" / "cut.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    (data / "notes.md").write_text("not an image")
    out = tmp_path / "out"
    result = benchmark_in_process(pytester, "--world", "mini-smoke", "--data", f"folder:{data}", "--generators",
                                  "cnndet-*", "--detectors", "aligned-small-cnn", "--perturbations", "identity",
                                  "--leaderboard-dir", str(out), "-q")
    assert result.ret == 0, _failure(result)
    board = pd.read_csv(out / "leaderboard.csv").set_index("case_id")
    assert sorted(board.index) == ["aligned-small-cnn-cnndet-biggan-identity",
                                   "aligned-small-cnn-cnndet-progan-identity"]
    assert board.loc["aligned-small-cnn-cnndet-biggan-identity", "n_failed"] == 1
    assert board.loc["aligned-small-cnn-cnndet-progan-identity", "n_fake"] == 2
    skipped = pd.read_csv(out / "skipped.csv")
    assert sorted(p.rsplit("/", 1)[-1] for p in skipped["path"]) == ["cut.png", "notes.md"]


def test_a_world_without_the_claims_roles_skips_them_in_one_line_and_exits_on_its_cases(pytester, mini_smoke_home,
                                                                                      tmp_path):
    """A world on one's own folder of reals and fakes (examples/my-world.toml, with a training-free built-in
    detector in place of the example plugin) has no training generator: every claim is skipped, none fails
    or reads `no data`, the run exits on its cases alone, and one line names the claims and what is missing."""
    for i in range(3):
        write_image(tmp_path / "own" / "real" / f"r{i}.jpg", i, (64, 64))
        write_image(tmp_path / "own" / "fake" / f"f{i}.png", 100 + i, (64, 64))
    world = tmp_path / "own.toml"
    world.write_text('data = ["folder:own"]\nfloor = 0.0\n'
                     '[detectors]\nrt-ratio = { params = { generator = "taef2" } }\n'
                     '[reals]\ncorpus = { crops_per_photo = { train = 3, val = 2, test = 2 } }\n'  # mini-smoke's
                     '[[score]]\nperturbations = "identity"\n')
    out = tmp_path / "out"
    result = benchmark_in_process(pytester, "--world", str(world), "--leaderboard-dir", str(out), "-rs")
    assert result.ret == 0, _failure(result)
    result.assert_outcomes(passed=1, skipped=10)
    stdout = result.stdout.str()
    line = ("claims not judged, the world lacks their roles: C0, C1, C2a, C2b, C3, C4a, C4b, C5, C6, C7 "
            "(no training generator)")
    summary = " ".join(stdout[stdout.index("fakebench leaderboard"):].split())  # one line, wrapped to the width
    assert summary.count(line) == 1 and "no data" not in summary and "unknown generator" not in stdout
    assert "the own world lacks what C5 reads: no training generator" in stdout  # each skip says why
    doc = json.loads((out / "leaderboard.json").read_text())
    assert doc["claims"] == [] and doc["claims_not_judged"] == line
    assert line in (out / "leaderboard.md").read_text()


def test_a_claim_whose_data_cannot_be_built_skips_as_its_cases_do(pytester, mini_smoke_home, tmp_path, monkeypatch):
    """The real world has C0's roles, but sd15's weights are not on this machine: the audit of the training
    sets sd15 would make cannot be built, so C0 skips with the `hf download` line, as sd15's cases do."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("FAKEBENCH_MODELS_DIR", raising=False)
    result = benchmark_in_process(pytester, "--world", "real", "--generators", "sd15,playground-v2.5", "-k",
                                  "claims-C0 or aligned-resnet50-sd15-identity", "--leaderboard-dir",
                                  str(tmp_path / "out"), "-rs")
    assert result.ret == 0, _failure(result)
    result.assert_outcomes(skipped=2)
    stdout = result.stdout.str()
    assert stdout.count("hf download stable-diffusion-v1-5/stable-diffusion-v1-5") == 2, _failure(result)
    assert "C0 audits the " in stdout and "unknown generator" not in stdout
