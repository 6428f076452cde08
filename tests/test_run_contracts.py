"""Issue 28: a detector that misbehaves at run time costs its own images, never the run.

Small in-process plugins (tests/misbehaving_plugins.py) return short and long batches, NaN, inf,
out-of-range scores, integers, 2-D output, or raise on some or every batch. Through `pytest
benchmark/`, `fakebench score` and `fakebench predict`: no traceback, every image accounted for
(scored + failed = given), the failed ones with a reason in the store, skipped.csv and the
leaderboard, and the good detector's results byte-identical to a run without the broken ones."""
from __future__ import annotations

import importlib
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from fakebench.cli import main
from fakebench.detectors.base import InputPolicy, as_detector
from fakebench.detectors.inference import _score_batch
from fakebench.detectors.score_contract import accept_scores, is_score_failure
from fakebench.evaluation.store import read_store
from tests import misbehaving_plugins
from tests.folder_layouts import real_fake

ROOT = Path(__file__).resolve().parents[1]

# Imported before any inner run: pytester drops the modules an inner run imports when it ends, and
# pandas' Arrow extension types fail when registered twice in one process.
for _module in ("fakebench.benchmark.session", "fakebench.pytest_plugin", "fakebench.leaderboard.plots",
                "fakebench.leaderboard.reports"):
    importlib.import_module(_module)


@pytest.fixture(scope="module", autouse=True)
def _parquet_before_inner_runs(tmp_path_factory):
    """A Parquet round trip registers pandas' Arrow types before any pytester snapshot."""
    from fakebench.evaluation.store import has_parquet

    if has_parquet():
        path = tmp_path_factory.mktemp("parquet") / "x.parquet"
        pd.DataFrame({"a": [1.0]}).to_parquet(path)
        pd.read_parquet(path)
BROKEN = ("short", "long", "nan", "inf", "range", "dtype", "twod", "raisesome", "raiseall")
ALL_FAIL = {"short": "score() returned 2 scores for 3 images", "long": "score() returned 4 scores for 3 images",
            "dtype": "score() returned int64 scores for 3 images, not floats",
            "twod": "score() returned shape (3, 2) for 3 images, not (3,)",
            "raiseall": "score() raised ValueError: weights not found"}
ONE_PER_BATCH = {"nan": "score is NaN", "inf": "score is +inf", "range": "score 1.7 outside [0, 1]"}


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    misbehaving_plugins.install(tmp_path / "site", monkeypatch)


@pytest.fixture
def tiny(tmp_path) -> Path:
    return real_fake(tmp_path / "tiny")  # 3 reals, 3 fakes, one size: one batch each


# --- the checkpoint itself ----------------------------------------------------------------------

@pytest.mark.parametrize("raw, n, kind, expected", [
    (torch.tensor([0.25, 1.0]), 2, "probability", [(0.25, ""), (1.0, "")]),
    (np.array([0.25, 0.0]), 2, "probability", [(0.25, ""), (0.0, "")]),
    (torch.tensor([0.0, -40.0]), 2, "logit", [(0.5, ""), (1 / (1 + math.exp(40)), "")]),
    (torch.tensor([0.5, float("nan")]), 2, "logit", [(1 / (1 + math.exp(-0.5)), ""), (math.nan, "score is NaN")]),
    (torch.tensor([-0.5, 0.5]), 2, "probability", [(math.nan, "score -0.5 outside [0, 1]"), (0.5, "")]),
    ([0.5, 0.5], 2, "probability", [(math.nan, "score() returned a list for 2 images, not a 1-D float tensor")] * 2),
    (torch.tensor(0.5), 2, "probability", [(math.nan, "score() returned shape () for 2 images, not (2,)")] * 2),
    (torch.tensor([True, False]), 2, "probability", [(math.nan, "score() returned bool scores for 2 images, "
                                                                "not floats")] * 2),
])
def test_the_checkpoint_gives_one_score_or_reason_per_image(raw, n, kind, expected):
    got = accept_scores(raw, n, kind)
    assert len(got) == n
    for (score, error), (want, why) in zip(got, expected):
        assert error.startswith(why) and is_score_failure(error) == bool(why)
        assert (math.isnan(score) and math.isnan(want)) or score == pytest.approx(want, abs=1e-12)


def test_float32_scores_keep_their_bits():
    s = torch.rand(64)
    assert [v for v, _ in accept_scores(s, 64)] == s.tolist()


class _Counting:
    """Raises on any batch holding a bright image; counts its calls."""

    name, policy = "counting", InputPolicy()

    def __init__(self, always: bool = False) -> None:
        self.calls, self.always = 0, always

    def score(self, x):
        self.calls += 1
        if self.always or (x.mean(dim=(1, 2, 3)) > 0.5).any():
            raise RuntimeError("bright image")
        return x.mean(dim=(1, 2, 3))


def test_a_raising_batch_is_retried_one_image_at_a_time_within_bounds():
    x = torch.cat([torch.full((3, 3, 4, 4), 0.2), torch.full((1, 3, 4, 4), 0.9), torch.full((4, 3, 4, 4), 0.3)])
    flaky = as_detector(_Counting())
    out = _score_batch(flaky, x)
    assert [e for _, e in out] == [""] * 3 + ["score() raised RuntimeError: bright image"] + [""] * 4
    assert out[0][0] == pytest.approx(0.2) and flaky.plugin.calls == 1 + 8
    broken = as_detector(_Counting(always=True))
    out = _score_batch(broken, x)
    assert all(e == "score() raised RuntimeError: bright image" for _, e in out)
    assert broken.plugin.calls == 1 + 2  # the retries stop once the first two raise too


# --- through pytest benchmark/ ------------------------------------------------------------------

def _bench(pytester, data: Path, out: Path, detectors: list[str]) -> pytest.RunResult:
    return pytester.runpytest_inprocess(
        str(ROOT / "benchmark" / "test_detection.py"), "-p", "no:cacheprovider", "--world", "mini-smoke",
        "--data", f"folder:{data}", "--generators", "tiny", "--detectors", ",".join(detectors),
        "--perturbations", "identity", "--leaderboard-dir", str(out), "-rf")


def test_pytest_benchmark_fails_broken_detectors_in_one_line_and_keeps_the_good_ones_results(
        plugins, pytester, tiny, tmp_path):
    broken = [f"contract-{b}" for b in BROKEN]
    result = _bench(pytester, tiny, tmp_path / "out", ["contract-good", "contract-logit", *broken])
    text = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in text and "fakebench leaderboard" in text, text[-3000:]
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed") == len(ALL_FAIL) and outcomes.get("passed") == 2 + len(ONE_PER_BATCH) + 1, text
    for name, reason in ALL_FAIL.items():  # one line: detector, count, commonest reason
        assert (f"\ncontract-{name}-tiny-identity: contract-{name} failed 6 of 6 images (commonest: {reason})\n"
                in text), text[-3000:]
    board = pd.read_csv(tmp_path / "out" / "leaderboard.csv", keep_default_na=False, na_values={"note": []})
    board = board.set_index("detector")
    assert (board["n_real"] + board["n_fake"] + board["n_failed"] == 6).all()  # every image accounted for
    for name in ALL_FAIL:
        assert board.loc[f"contract-{name}", "note"].startswith(f"case failed: contract-{name} failed 6 of 6 images")
    for name in ONE_PER_BATCH:
        assert board.loc[f"contract-{name}", "n_failed"] == 2 and not board.loc[f"contract-{name}", "note"]
    assert board.loc["contract-raisesome", "n_failed"] == 0  # retried one image at a time: all recovered
    assert board.loc["contract-logit", "auc"] == pytest.approx(board.loc["contract-good", "auc"])
    store = read_store(tmp_path / "out" / "scores.parquet")
    failed = store[store["error"] != ""]
    for name, reason in ONE_PER_BATCH.items():  # the first image of each batch, with its reason
        errors = failed.loc[(failed["detector"] == f"contract-{name}") & (failed["split"] == "test"), "error"]
        assert len(errors) == 2 and errors.str.startswith(reason).all()
    assert failed["score"].isna().all() and set(failed["detector"]) == {f"contract-{n}" for n in [*ALL_FAIL,
                                                                                                  *ONE_PER_BATCH]}
    skipped = pd.read_csv(tmp_path / "out" / "skipped.csv")
    test_failures = failed[failed["split"] == "test"]
    assert len(skipped) == len(failed) and set(test_failures["image_id"]) <= set(skipped["path"])
    assert (tmp_path / "out" / "report.html").is_file() and (tmp_path / "out" / "leaderboard.md").is_file()

    # the good detector alone: the same rows, byte for byte
    alone = _bench(pytester, tiny, tmp_path / "alone", ["contract-good"])
    assert alone.ret == 0, alone.stdout.str()[-3000:]
    good = store[store["detector"] == "contract-good"].reset_index(drop=True)
    pd.testing.assert_frame_equal(good, read_store(tmp_path / "alone" / "scores.parquet"))
    header, row = (tmp_path / "alone" / "leaderboard.csv").read_text().splitlines()
    lines = (tmp_path / "out" / "leaderboard.csv").read_text().splitlines()
    assert lines[0] == header and row in lines  # the good detector's leaderboard row, byte for byte


# --- through fakebench score and fakebench predict ----------------------------------------------

def test_fakebench_score_writes_every_result_and_lists_the_failed_images(plugins, tiny, tmp_path, capsys):
    out = tmp_path / "scored"
    args = ["score", "--data", f"folder:{tiny}", "--perturbations", "identity,jpeg75", "--out", str(out)]
    names = ["contract-good", "contract-nan", "contract-raiseall", "contract-short"]
    assert main([*args, *(a for n in names for a in ("--detector", n))]) == 0
    text = "".join(capsys.readouterr())
    assert "Traceback" not in text
    board = pd.read_csv(out / "leaderboard.csv", keep_default_na=False, na_values={"note": []})
    assert len(board) == 2 * len(names)
    assert (board["n_real"] + board["n_fake"] + board["n_failed"] == 6).all()
    notes = dict(zip(board["case_id"], board["note"]))
    assert notes["contract-raiseall-tiny-jpeg75"].startswith("case failed: contract-raiseall failed 6 of 6 images "
                                                             "(commonest: score() raised ValueError")
    skipped = pd.read_csv(out / "skipped.csv")
    assert skipped["reason"].str.contains("score is NaN").sum() == 4  # two per case, two perturbations
    assert skipped["reason"].str.contains("returned 2 scores for 3 images").sum() == 12
    # a rerun scores afresh (plugins carry no checkpoint hash) and gives the same store
    first = read_store(out / "scores.parquet")
    assert main([*args, "--detector", "contract-good"]) == 0
    good = first[first["detector"] == "contract-good"].reset_index(drop=True)
    pd.testing.assert_frame_equal(good, read_store(out / "scores.parquet"))


def test_fakebench_predict_names_the_failing_detector_beside_the_good_score(plugins, tiny, capsys):
    images = sorted(str(p) for p in (tiny / "real").iterdir())
    args = ["predict", *images, "--detector", "contract-good", "--detector", "contract-nan",
            "--detector", "contract-raiseall", "--json"]
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    rows = json.loads(out)
    assert all("contract-good" in r["scores"] and r["error"] is None for r in rows)
    assert rows[0]["failed"] == {"contract-nan": "score is NaN",
                                 "contract-raiseall": "score() raised ValueError: weights not found"}
    assert "contract-nan" in rows[1]["scores"] and list(rows[1]["failed"]) == ["contract-raiseall"]
    assert f"contract-nan failed {images[0]}: score is NaN" in err


# --- reports never die for one case ---------------------------------------------------------------

def _store_rows(detector: str, scores: list[float], errors: list[str], split: str = "test") -> pd.DataFrame:
    from fakebench.core.version import __version__

    n = len(scores)
    return pd.DataFrame({
        "case_id": f"{detector}-tiny-identity" if split == "test" else f"{detector}-calibration",
        "detector": detector, "checkpoint": "none", "generator": "tiny" if split == "test" else "", "split": split,
        "perturbation": "identity", "seed": 0, "bench_seed": 0, "image_id": [f"i{k}" for k in range(n)],
        "label": [k % 2 for k in range(n)] if split == "test" else 0, "score": scores, "error": errors,
        "fakebench_version": __version__})


def test_every_report_is_written_when_one_cases_metrics_cannot_be_computed(tmp_path):
    """A store written before the checkpoint (NaN scores without an error) and a case with one image left:
    their rows carry notes, the good detector's row is complete, and every report file is written."""
    from fakebench.evaluation.store import ScoreStore
    from fakebench.leaderboard.reports import write_reports
    from fakebench.leaderboard.results import read_results
    from fakebench.leaderboard.summary import summary_text
    from fakebench.leaderboard.tables import leaderboard_frame

    good = [0.1, 0.9, 0.2, 0.8, 0.3, 0.7]
    store = ScoreStore()
    for detector in ("good", "nan", "dying"):
        store.add(_store_rows(detector, [0.1, 0.2, 0.3], [""] * 3, split="calibration"))
    store.add(_store_rows("good", good, [""] * 6))
    store.add(_store_rows("nan", [0.1, float("nan"), 0.2, 0.8, float("nan"), 0.7], [""] * 6))
    store.add(_store_rows("dying", [0.1] + [math.nan] * 5, [""] + ["score is NaN"] * 5))
    scores = store.frame()
    board = leaderboard_frame(scores).set_index("detector")
    assert board.loc["good", "note"] == "" and board.loc["good", "auc"] == 1.0
    assert "2 score(s) are NaN or infinite" in board.loc["nan", "note"] and math.isnan(board.loc["nan", "auc"])
    assert board.loc["dying", "note"].startswith("case failed: dying failed 5 of 6 images (commonest: score is NaN)")
    assert board.loc["dying", "n_failed"] == 5
    _, paths = write_reports(scores, tmp_path, cost=None)
    assert all(p.is_file() and p.stat().st_size for p in paths.values())
    assert "case failed: dying failed 5 of 6 images" in paths["markdown"].read_text()
    assert "good" in summary_text(read_results(tmp_path, paths))  # the terminal summary renders too


def test_a_case_whose_metrics_raise_gets_a_note_not_a_dead_report(monkeypatch):
    from fakebench.evaluation.store import ScoreStore
    from fakebench.leaderboard import tables

    real = tables.case_metrics

    def flaky(labels, scores, **kw):
        if len(scores) == 3:
            raise ZeroDivisionError("one case's arithmetic went wrong")
        return real(labels, scores, **kw)

    monkeypatch.setattr(tables, "case_metrics", flaky)
    store = ScoreStore()
    store.add(_store_rows("good", [0.1, 0.9, 0.2, 0.8], [""] * 4))
    store.add(_store_rows("odd", [0.1, 0.9, 0.2], [""] * 3))
    board = tables.leaderboard_frame(store.frame()).set_index("detector")
    assert board.loc["odd", "note"] == "metrics cannot be computed: one case's arithmetic went wrong"
    assert board.loc["odd", "n_real"] == 2 and board.loc["good", "auc"] == 1.0


# --- failures are never cached ---------------------------------------------------------------------

class _Versioned:
    """A plugin that names its weights (so its scores are cached) and fails images until fixed."""

    name, policy, checkpoint_hash = "versioned", InputPolicy("center_crop", size=16), "v1"
    broken = True

    def score(self, x):
        s = x.mean(dim=(1, 2, 3))
        if self.broken:
            s = s.clone()
            s[0] = float("nan")
        return s


def test_failed_scores_are_not_cached_and_a_fixed_plugin_meets_its_images_again(tiny):
    from fakebench.data.folders import image_folder
    from fakebench.evaluation.perturbations import Identity
    from fakebench.evaluation.scoring import detector_scores

    reals, _ = image_folder(tiny / "real")
    plugin = _Versioned()
    first = detector_scores(as_detector(plugin), reals, Identity(), seed=0)
    assert (first["error"] == "score is NaN").sum() == 1
    plugin.broken = False
    second = detector_scores(as_detector(plugin), reals, Identity(), seed=0)
    assert (second["error"] == "").all()
    third = detector_scores(as_detector(plugin), reals, Identity(), seed=0)  # now cached
    pd.testing.assert_frame_equal(second, third)


def test_an_exception_is_reported_by_its_type_and_first_line():
    from fakebench.detectors.score_contract import raised

    assert raised(RuntimeError("CUDA out of memory\nTried to allocate 2 GiB")) == \
        "score() raised RuntimeError: CUDA out of memory"
    assert raised(KeyError()) == "score() raised KeyError: KeyError"
