"""`hf:` data sources: save_to_disk folders and the local hub cache, offline, streamed, bad input named."""
from __future__ import annotations

import pytest

pytest.importorskip("datasets")

from fakebench.core.errors import FakebenchError  # noqa: E402
from fakebench.data import hf_datasets as hf  # noqa: E402
from fakebench.data.imagesets import FAKE, REAL  # noqa: E402
from fakebench.data.sources import load_data_source  # noqa: E402
from tests.hf_datasets import fake_hub_cache, png, tiny_dataset  # noqa: E402
from tests.jobs_helpers import benchmark_in_process  # noqa: E402


@pytest.fixture(autouse=True)
def hf_home(tmp_path, monkeypatch):
    home = tmp_path / "hf-home"
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_DATASETS_CACHE", str(home / "datasets"))
    return home


def _saved(tmp_path, ds, name="tiny"):
    path = tmp_path / name
    ds.save_to_disk(str(path))
    return path


def test_saved_dataset_splits_by_generator_and_reads_classlabel_names(tmp_path):
    # names reversed: ClassLabel 0 means fake here; a string label and a bool label in the mix
    extra = [{"image": {"bytes": b"not an image at all", "path": None}, "label": 0, "generator": "gen-a"},
             {"image": None, "label": 1, "generator": None}]
    ds = load_data_source(f"hf:{_saved(tmp_path, tiny_dataset(label_names=('fake', 'real'), extra_rows=extra))}")
    assert ds.generators == ["gen-a", "gen-b"]
    assert len(ds.fakes["gen-a"]) == 4 and len(ds.fakes["gen-b"]) == 3
    assert ds.real_set("gen-a").label == REAL and ds.fakes["gen-b"].label == FAKE
    assert len(ds.real_set("gen-b")) == 3  # shared reals serve every generator
    failed = ds.failed()
    assert len(failed) == 1 and "row 9" in failed[0].reason  # undecodable: kept, marked failed, reason given
    assert len(ds.skipped) == 1 and "no image" in ds.skipped[0].reason  # no image at all: skipped, named
    record = ds.fakes["gen-b"].records[0]
    assert ds.fakes["gen-b"].read(record).size == (24, 20)  # the cached file is the row's bytes


def test_labels_as_strings_any_case_and_query_maps_columns(tmp_path):
    from datasets import Dataset

    rows = [{"img": png(i), "y": y} for i, y in enumerate(["REAL", "Fake", "real", "fake", "0", "1", "maybe"])]
    path = _saved(tmp_path, Dataset.from_list(rows), "strings")
    with pytest.raises(FakebenchError) as err:
        load_data_source(f"hf:{path}")
    msg = str(err.value)
    assert "no column 'image', 'label'" in msg and "img, y" in msg and "?image=COLUMN&label=COLUMN" in msg
    ds = load_data_source(f"hf:{path}?image=img&label=y")
    assert ds.generators == ["strings"]
    assert len(ds.fakes["strings"]) == 3 and len(ds.real_set("strings")) == 3
    assert [s.reason for s in ds.skipped] == ["label 'maybe' is neither 0/real nor 1/fake"]


def test_splits_pick_test_by_default_and_unknown_split_lists_them(tmp_path):
    from datasets import DatasetDict

    small, big = tiny_dataset(n_real=1), tiny_dataset(n_real=2)
    path = _saved(tmp_path, DatasetDict({"train": big, "test": small}), "dd")
    assert len(load_data_source(f"hf:{path}").fakes["gen-a"]) == 1  # test by default
    assert len(load_data_source(f"hf:{path}:train").fakes["gen-a"]) == 2
    with pytest.raises(FakebenchError, match="no split 'validation'; its splits: train, test"):
        load_data_source(f"hf:{path}:validation")
    two = _saved(tmp_path, DatasetDict({"train": big, "val": small}), "dd2")
    with pytest.raises(FakebenchError, match="has splits train, val; which one"):
        load_data_source(f"hf:{two}")


def test_hub_cache_is_read_offline_and_a_missing_repo_names_the_download(tmp_path, hf_home):
    fake_hub_cache(hf_home, "someone/tiny-fakes", {"test": tiny_dataset(), "train": tiny_dataset(n_real=2)})
    ds = load_data_source("hf:someone/tiny-fakes:test")
    assert ds.generators == ["gen-a", "gen-b"] and len(ds.fakes["gen-a"]) == 3
    assert ds.name == "someone-tiny-fakes-test"
    with pytest.raises(FakebenchError) as err:
        load_data_source("hf:someone/absent")
    assert "not in the local Hugging Face cache" in str(err.value)
    assert "hf download --repo-type dataset someone/absent" in str(err.value)


def test_rescan_reads_the_scan_from_cache(tmp_path, monkeypatch):
    path = _saved(tmp_path, tiny_dataset())
    first = load_data_source(f"hf:{path}")

    def no_scan(*args, **kwargs):
        raise AssertionError("rescanned")

    monkeypatch.setattr(hf, "_scan", no_scan)
    again = load_data_source(f"hf:{path}")
    assert again.fakes["gen-a"].key == first.fakes["gen-a"].key
    assert [r.sha256 for r in again.fakes["gen-a"].records] == [r.sha256 for r in first.fakes["gen-a"].records]


@pytest.mark.parametrize("spec, needle", [
    ("hf:", "names no dataset"),
    ("hf:not-a-repo", "not a hub id"),
    ("hf:a/b?colour=red", "unknown or empty query key"),
])
def test_bad_specs_are_one_line(spec, needle):
    with pytest.raises(FakebenchError, match=needle):
        load_data_source(spec)


def test_missing_datasets_library_is_one_line_with_pip(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_datasets(name, *args, **kwargs):
        if name == "datasets" or name.startswith("datasets."):
            raise ImportError("No module named 'datasets'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_datasets)
    with pytest.raises(FakebenchError) as err:
        hf._datasets()
    assert "pip install" in str(err.value) and "fakebench[hf]" in str(err.value)


def test_score_command_on_an_hf_dataset(tmp_path, capsys):
    from fakebench.cli import main

    path = _saved(tmp_path, tiny_dataset(extra_rows=[
        {"image": {"bytes": b"\x89PNG broken", "path": None}, "label": 1, "generator": "gen-b"}]))
    out = tmp_path / "out"
    assert main(["score", "--data", f"hf:{path}", "--detector", "small-cnn", "--out", str(out), "--workers", "0"]) == 0
    board = (out / "leaderboard.csv").read_text()
    assert "tiny-gen-a" in board and "tiny-gen-b" in board
    skipped = (out / "skipped.csv").read_text()
    assert "row 9" in skipped


def test_score_run_records_its_protocol_and_the_detection_table(tmp_path):
    import json

    from fakebench.cli import main

    path = _saved(tmp_path, tiny_dataset())
    out = tmp_path / "out"
    assert main(["score", "--data", f"hf:{path}", "--detector", "small-cnn", "--out", str(out), "--workers", "0",
                 "--perturbations", "identity,jpeg75"]) == 0
    run = json.loads((out / "run.json").read_text())
    manifest = {(s["generator"], s["label"]): s for s in run["datasets"]}
    # fakebench score runs its cases in a BenchSession: each case's generator lists its reals and fakes
    assert manifest["tiny-gen-a", 1]["images"] == 3 and manifest["tiny-gen-a", 0]["images"] == 3
    assert len(manifest["tiny-gen-b", 1]["content_hash"]) == 16 and run["kind"] == "fakebench score"
    assert run["versions"]["datasets"] and run["settings"]["job"]["data"] == f"hf:{path}"
    board = (out / "leaderboard.md").read_text()
    assert board.index("## Overall ranking") < board.index("### Detection per generator") < board.index("## Protocol")
    assert "| reals (TNR)" in board and "tiny-gen-a (TPR)" in board and "jpeg75 @cal" in board
    # `fakebench report` rebuilds the same sections from the store and the run.json beside it
    (out / "leaderboard.md").unlink()
    assert main(["report", str(out / "scores.parquet"), "--bootstrap", "0"]) == 0
    assert "## Protocol" in (out / "leaderboard.md").read_text()
    assert "Detection per generator" in (out / "report.html").read_text()


@pytest.mark.integration
def test_pytest_benchmark_takes_hf_data_and_records_the_protocol(pytester, mini_smoke_home, tmp_path):
    """`pytest benchmark/ --data hf:PATH`: the dataset's generators become cases; run.json holds the
    protocol (the trained detector's spec and training config, every scored set with its hash)."""
    import json

    import pandas as pd

    path = _saved(tmp_path, tiny_dataset(), "hfset")
    out = tmp_path / "out"
    result = benchmark_in_process(pytester, "--world", "mini-smoke", "--data", f"hf:{path}", "--generators",
                                  "hfset-*", "--detectors", "aligned-small-cnn", "--perturbations", "identity",
                                  "--leaderboard-dir", str(out), "-q", "-k", "not claims")
    assert result.ret == 0, result.stdout.str()[-3000:] + result.stderr.str()[-3000:]
    board = pd.read_csv(out / "leaderboard.csv")
    assert sorted(board["case_id"]) == [f"aligned-small-cnn-hfset-gen-{g}-identity" for g in "ab"]
    run = json.loads((out / "run.json").read_text())
    (detector,) = run["detectors"]
    assert detector["spec"]["recipe"] == "aligned" and detector["train_config"]["epochs"] == 1
    assert detector["training_data"] and detector["validation"]
    scored = {(s["split"], s["set"]) for s in run["datasets"]}
    assert ("test", "hfset-gen-a-fake") in scored and ("calibration", "real-val") in scored
    assert run["settings"]["world"]["name"] == "mini-smoke"
    assert "## Protocol" in (out / "leaderboard.md").read_text()


@pytest.mark.integration
def test_pytest_benchmark_with_an_absent_hub_dataset_is_a_usage_error(pytester, mini_smoke_home):
    result = benchmark_in_process(pytester, "--world", "mini-smoke", "--data", "hf:nobody/nothing:test")
    stderr = result.stderr.str()
    assert result.ret == 4 and "hf download --repo-type dataset nobody/nothing" in stderr
    assert "Traceback" not in stderr
