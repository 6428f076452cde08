"""The score store and every report built from it: formats, bad stores, the CLI, the HTML page."""
import base64
import html
import io
import json
import os
import re
import shutil
import subprocess
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from fakebench.cli import main
from fakebench.core.errors import FakebenchError
from fakebench.core.version import __version__
from fakebench.evaluation.claims import ClaimContext
from fakebench.evaluation.metrics import BootstrapConfig
from fakebench.evaluation.store import (
    STORE_COLUMNS,
    ScoreStore,
    read_store,
    validate,
    write_store,
)
from fakebench.leaderboard.compare import compare_boards
from fakebench.leaderboard.reports import write_reports
from fakebench.leaderboard.results import read_results
from fakebench.leaderboard.summary import summary_text
from fakebench.leaderboard.tables import leaderboard_frame, to_markdown

DETECTORS = ("aligned-resnet50", "baseline-resnet50")
GENERATORS = ("mini-sd", "mini-playground")
PERTURBATIONS = ("identity", "resize0.5", "resize2", "jpeg75", "jpeg30", "webp50", "resize0.5+jpeg75")


def _rows(detector, generator, pert, real_scores, fake_scores, errors=(), split="test", case_id=None):
    n_r, n_f = len(real_scores), len(fake_scores)
    return pd.DataFrame({
        "case_id": case_id or f"{detector}-{generator}-{pert}", "detector": detector, "checkpoint": "abc",
        "generator": generator, "split": split, "perturbation": pert, "seed": 0, "bench_seed": 0,
        "image_id": [f"r{i}" for i in range(n_r)] + [f"f{i}" for i in range(n_f)],
        "label": [0] * n_r + [1] * n_f, "score": list(real_scores) + list(fake_scores),
        "error": list(errors) + [""] * (n_r + n_f - len(errors)), "fakebench_version": __version__,
    })


def _calibration(detector, scores):
    return _rows(detector, "", "identity", scores, [], split="calibration", case_id=f"{detector}-calibration")


@pytest.fixture(scope="module")
def scores() -> pd.DataFrame:
    """A small store shaped like a benchmark run: calibration reals, then every case."""
    rng = np.random.default_rng(0)
    store = ScoreStore()
    for d, detector in enumerate(DETECTORS):
        store.add(_calibration(detector, rng.beta(2, 5, 40)))
        for generator in GENERATORS:
            for p, pert in enumerate(PERTURBATIONS):
                shift = 0.25 - 0.03 * p - 0.1 * d
                fakes = np.clip(rng.beta(2, 5, 30) + shift, 0, 1)
                store.add(_rows(detector, generator, pert, rng.beta(2, 5, 30), fakes))
    return store.frame()


def test_leaderboard_counts_failures_and_uses_the_calibration_threshold():
    store = ScoreStore()
    store.add(_calibration("aligned-resnet50", [0.1, 0.2, 0.3, 0.4]))  # threshold: the top real, 0.4
    store.add(_rows("aligned-resnet50", "mini-sd", "identity", [0.1, 0.2, 0.45], [0.9, 0.8, 0.4]))
    store.add(_rows("baseline-resnet50", "mini-sd", "identity", [0.6, 0.2, float("nan")], [0.9, 0.8, 0.7],
                    errors=["", "", "cannot decode image 'x.jpg'"]))
    board = leaderboard_frame(store.frame()).set_index("detector")
    aligned, baseline = board.loc["aligned-resnet50"], board.loc["baseline-resnet50"]
    assert aligned.bal_acc == pytest.approx((1 + 2 / 3) / 2)
    assert aligned.threshold_cal == 0.4 and aligned.real_fpr_cal == pytest.approx(1 / 3)
    assert baseline.n_failed == 1 and baseline.n_real == 2
    assert "no clean calibration reals" in baseline.note and np.isnan(baseline.real_fpr_cal)


def test_parquet_and_csv_stores_give_the_same_leaderboard(scores, tmp_path):
    boot = BootstrapConfig(resamples=50)
    board = leaderboard_frame(scores, boot)
    for name in ("scores.parquet", "scores.csv"):
        path = write_store(scores, tmp_path / name)
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left
        pd.testing.assert_frame_equal(leaderboard_frame(read_store(path), boot), board)


def test_store_appends_atomically_and_later_rows_replace_earlier(tmp_path):
    path = tmp_path / "scores.parquet"
    store = ScoreStore(path, every=0)  # written after every append
    store.add(_rows("aligned-resnet50", "mini-sd", "identity", [0.1], [0.9]))
    assert len(read_store(path)) == 2
    store.add(_rows("aligned-resnet50", "mini-sd", "identity", [0.3], [0.7]))  # the same images, rescored
    assert sorted(read_store(path)["score"]) == [0.3, 0.7]


def test_store_writes_at_most_every_few_seconds_and_on_flush(tmp_path):
    path = tmp_path / "scores.parquet"
    store = ScoreStore(path, every=3600)
    store.add(_rows("aligned-resnet50", "mini-sd", "identity", [0.1], [0.9]))
    store.add(_rows("aligned-resnet50", "mini-sd", "jpeg75", [0.2], [0.8]))
    assert not path.exists()  # a warm run's cases arrive faster than a rewrite of the whole file
    store.flush()
    assert len(read_store(path)) == 4


def test_bad_stores_name_the_problem(tmp_path):
    with pytest.raises(FakebenchError, match="label"):
        validate(pd.DataFrame({"case_id": ["x"], "score": [0.5]}))
    old = tmp_path / "old.csv"
    pd.DataFrame({"case_id": ["x"], "score": [0.5]}).to_csv(old, index=False)
    with pytest.raises(FakebenchError, match=r"old.csv.*lacks column"):
        read_store(old)
    mixed = pd.concat([_rows("a", "g", "identity", [0.1], [0.9]),
                       _rows("a", "g", "jpeg75", [0.1], [0.9]).assign(fakebench_version="0.0.1")])
    with pytest.raises(FakebenchError, match=r"versions 0\.0\.1, "):
        validate(mixed)
    with pytest.raises(FakebenchError, match=r"labels \[2\]"):
        validate(_rows("a", "g", "identity", [0.1], [0.9]).assign(label=2))
    with pytest.raises(FakebenchError, match="does not exist"):
        read_store(tmp_path / "nope.parquet")
    garbage = tmp_path / "garbage.parquet"
    garbage.write_bytes(b"not parquet")
    with pytest.raises(FakebenchError, match="garbage.parquet"):
        read_store(garbage)
    assert set(STORE_COLUMNS) >= {"case_id", "checkpoint", "split", "seed", "label", "score", "error"}


@pytest.fixture(scope="module")
def mini_roles() -> dict:
    """The mini world's claim roles, as a run of it records them (run.json `roles`): the names these stores use."""
    from fakebench.benchmark.session import world_claim_roles
    from fakebench.benchmark.world_files import load_world

    return world_claim_roles(load_world("mini"))


def test_reports_are_written_from_the_store_alone(scores, mini_roles, tmp_path):
    board, paths = write_reports(scores, tmp_path, BootstrapConfig(resamples=50),
                                 claims=ClaimContext.from_roles(scores, mini_roles))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leaderboard.csv", "leaderboard.json", "leaderboard.md",
                                                          "report.html"]
    assert len(board) == len(DETECTORS) * len(GENERATORS) * len(PERTURBATIONS)
    md = paths["markdown"].read_text()
    assert md.count("\n### mini-") == 2 and "## Overall ranking" in md and "bal. acc [95% CI]" in md
    doc = json.loads(paths["json"].read_text())
    assert len(doc["cases"]) == len(board) and doc["fakebench_version"] == __version__
    assert {"bal_acc_lo", "auc_hi", "tpr_at_fpr1", "real_fpr_cal", "ece"} <= set(doc["cases"][0])
    csv = pd.read_csv(paths["csv"])
    assert list(csv["case_id"]) == list(board["case_id"])
    page = paths["html"].read_text()
    for plot in PLOTS:  # the store holds C1-C4's cases and the resize sweep of both recipes
        assert f'<img id="plot-{plot}" alt="' in page and 'src="data:image/png;base64,' in page
    assert "C1: aligned beats baseline" in page and "## Claims" in md
    assert "http://" not in page and "https://" not in page  # self-contained
    assert "mini-playground" in page
    assert page.index('id="ranking"') < page.index('id="table3"') < page.index('id="in-full"')  # the answer first
    # grid order, clean first; the terminal summary reads the folder back
    assert list(dict.fromkeys(board["perturbation"])) == list(PERTURBATIONS)
    assert "mini-playground" in summary_text(read_results(tmp_path))
    assert "mini-sd" in to_markdown(board)


def _fakebench(capsys, *args) -> SimpleNamespace:
    """`fakebench ARGS` in-process: its exit code and what it printed."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return SimpleNamespace(returncode=code, stdout=out, stderr=err)


def test_report_cli_rebuilds_the_same_outputs_and_compares_stores(scores, tmp_path, capsys):
    store = write_store(scores, tmp_path / "run" / "scores.parquet")
    _, expected = write_reports(scores, tmp_path / "inproc", BootstrapConfig(resamples=100))
    proc = _fakebench(capsys, "report", str(store), "--bootstrap", "100")
    assert proc.returncode == 0, proc.stderr
    for kind, path in expected.items():
        assert (tmp_path / "run" / path.name).read_bytes() == path.read_bytes(), kind
    assert "report.html" in proc.stdout

    # NEW: one case much worse, one case new, one case gone
    worse_id = "aligned-resnet50-mini-sd-identity"
    new = scores[scores["case_id"] != "baseline-resnet50-mini-playground-webp50"].copy()
    worse = (new["case_id"] == worse_id) & (new["label"] == 1)
    new.loc[worse, "score"] = new.loc[worse, "score"] * 0.3
    extra = _rows("aligned-resnet50", "mini-sd", "blur2", [0.1, 0.2], [0.8, 0.9])
    new_store = write_store(pd.concat([new, extra]), tmp_path / "new.csv")
    proc = _fakebench(capsys, "report", "--compare", str(store), str(new_store), "--bootstrap", "100")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "1 added, 1 removed, 1 changed" in out
    assert worse_id in out.split("## Changed")[1].split("##")[0]
    assert "aligned-resnet50-mini-sd-blur2" in out.split("## Added")[1]


def test_compare_flags_only_moves_beyond_the_intervals(scores):
    board = leaderboard_frame(scores, BootstrapConfig(resamples=100))
    nudged = board.copy()
    nudged["bal_acc"] += 0.001  # inside every interval: not a change
    diff = compare_boards(board, nudged)
    assert set(diff["status"]) == {"same"}


@pytest.mark.parametrize("args,message", [
    (("report", "missing.parquet"), "does not exist"),
    (("report",), "needs a STORE"),
])
def test_report_cli_errors_are_one_line_exit_2(args, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    proc = _fakebench(capsys, *args)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_bench_report_runs_and_reports_time_and_memory(capsys):
    proc = _fakebench(capsys, "bench", "report", "--rows", "4000", "--bootstrap", "20")
    assert proc.returncode == 0, proc.stderr
    assert "4,000" in proc.stdout or "rows" in proc.stdout
    assert " s wall, peak memory " in proc.stdout


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if path := shutil.which(name):
            return path
    return None


PLOTS = ("claims", "resize_probability", "resize", "jpeg", "webp", "real_fpr")
SECTIONS = ["ranking", "table3", "claims", "plots", "in-full", "run_record"]  # the page's h2 ids, in reading order
# run in the page once it has loaded: the h2 ids in order, each image's decoded and laid-out size, and
# how far the page is wider than its window (tables scroll inside their own box, the page does not);
# posted to the harness page, which holds the report in an iframe of the width under test (headless
# Chromium will not make a window narrower than 500 px)
PROBE = """<script>window.addEventListener("load", () => {
  const root = document.documentElement;
  parent.postMessage(JSON.stringify({
    sections: [...document.querySelectorAll("h2[id]")].map(h => h.id),
    images: [...document.images].map(i => ({id: i.id, natural: i.naturalWidth * i.naturalHeight,
                                            shown: i.getBoundingClientRect().width})),
    width: root.clientWidth, overflow: root.scrollWidth - root.clientWidth}), "*");
});</script>"""
HARNESS = """<!DOCTYPE html><html><body style="margin:0"><pre id="probe"></pre>
<iframe src="probed.html" style="width:{width}px;height:2000px;border:0"></iframe>
<script>addEventListener("message", e => {{ document.getElementById("probe").textContent = e.data; }});</script>
</body></html>"""


def _chromium_or_skip() -> str:
    path = _chromium()
    if path is None:
        if os.environ.get("FAKEBENCH_REQUIRE_CHROMIUM"):  # .ci/run sets it: never a silent skip in CI
            pytest.fail("FAKEBENCH_REQUIRE_CHROMIUM is set but no Chromium is on PATH (apt-get install chromium)")
        pytest.skip("no Chromium or Chrome on PATH (Debian: apt-get install chromium; .ci/run installs it); the "
                    "page's content is still checked by test_reports_are_written_from_the_store_alone")
    return path


@pytest.mark.integration
def test_report_page_renders_in_headless_chromium(scores, mini_roles, tmp_path):
    """What a reader needs, at a desktop and a phone width: the sections in reading order, every plot
    decoded and laid out with something drawn in it, and no page-wide horizontal scrolling."""
    chromium = _chromium_or_skip()
    run_record = {"kind": "test", "argv": ["pytest", "benchmark"], "settings": {"seeds": [0]}, "detectors": [],
                "datasets": [], "roles": mini_roles}
    _, paths = write_reports(scores, tmp_path, BootstrapConfig(resamples=20), run_record=run_record)
    page = paths["html"].read_text()
    (tmp_path / "probed.html").write_text(page.replace("</body>", PROBE + "</body>"))
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--hide-scrollbars",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--virtual-time-budget=10000", f"--user-data-dir={tmp_path / 'profile'}"]
    for width in (1280, 390):
        harness = tmp_path / f"harness{width}.html"
        harness.write_text(HARNESS.format(width=width))
        dom = subprocess.run([chromium, *flags, f"--window-size={max(width, 500) + 20},2100", "--dump-dom",
                              harness.as_uri()], capture_output=True, text=True, timeout=120)
        assert dom.returncode == 0, dom.stderr[-2000:]
        probe = json.loads(html.unescape(dom.stdout.split('<pre id="probe">')[1].split("</pre>")[0]))
        assert probe["width"] == width and probe["sections"] == SECTIONS, (width, probe)
        assert sorted(i["id"] for i in probe["images"]) == sorted(f"plot-{p}" for p in PLOTS), width
        assert all(i["natural"] > 0 and 0 < i["shown"] <= width for i in probe["images"]), (width, probe["images"])
        assert probe["overflow"] <= 0, f"the page is {probe['overflow']} px wider than a {width}-px window"
    for name, data in re.findall(r'<img id="plot-([a-z_]+)" alt="[^"]*" src="data:image/png;base64,([^"]+)"', page):
        with Image.open(io.BytesIO(base64.b64decode(data))) as im:  # painted: axes, lines, text, not a blank
            colours = len(np.unique(np.asarray(im.convert("RGB")).reshape(-1, 3), axis=0))
        assert colours > 20, name
    shot = tmp_path / "page.png"
    subprocess.run([chromium, *flags, f"--screenshot={shot}", "--window-size=1280,1600", paths["html"].as_uri()],
                   capture_output=True, timeout=120)
    with Image.open(shot) as im:  # the page itself painted
        colours = len(np.unique(np.asarray(im.convert("RGB").resize((300, 400))).reshape(-1, 3), axis=0))
    assert colours > 50
