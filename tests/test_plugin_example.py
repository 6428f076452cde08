"""The example plugin under examples/ is seen by fakebench through its entry point alone.

It is "installed" by a temporary .dist-info whose entry points come from the example's own
pyproject.toml, plus its source folder on the path: exactly what `pip install` leaves behind, with no
network and no edit to fakebench. `fakebench list` runs in a new process (nothing of this one's
imports helps it); the benchmark runs in-process through pytester, with the registries reading the
entry points afresh."""
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import tomllib

from fakebench.evaluation.store import read_store
from tests.installed_plugins import activate, install_dist
from tests.jobs_helpers import benchmark_in_process

pytestmark = pytest.mark.integration  # a fakebench subprocess and an inner benchmark run

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "fakebench-myplugin"


def _install(tmp_path: Path) -> Path:
    """The example plugin and a broken one (its module does not exist), installed into a site folder."""
    site = tmp_path / "site"
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
    install_dist(site, project["name"], project["version"], project["entry-points"])
    install_dist(site, "fakebench-broken", "0.0.1", {"fakebench.detectors": {"broken": "no_such_module_xyz:Detector"}})
    return site


def _env(tmp_path: Path) -> dict[str, str]:
    path = os.pathsep.join([str(_install(tmp_path)), str(EXAMPLE / "src"), str(ROOT)])
    return {**os.environ, "PYTHONPATH": path, "FAKEBENCH_HOME": str(tmp_path / "home")}


def test_list_detectors_sees_the_plugin_and_reports_the_broken_one(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "fakebench", "list", "detectors"], env=_env(tmp_path),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("myplugin"))
    assert "plugin fakebench-myplugin" in line and "center_crop 64" in line and "no" in line.split()
    for builtin in ("resnet50 ", "resnet50-nodown", "small-cnn", "freq-lr"):
        assert builtin in proc.stdout
    left_out = proc.stdout[proc.stdout.index("plugins left out"):]
    assert "broken" in left_out and "fakebench-broken" in left_out and "no_such_module_xyz" in left_out


def test_benchmark_scores_the_plugin_without_training_it(prepared_mini_smoke, pytester, fb_home, tmp_path, monkeypatch):
    # prepared_mini_smoke: what a benchmark run imports is imported before pytester's sys.modules snapshot
    activate(monkeypatch, _install(tmp_path), EXAMPLE / "src")
    out = tmp_path / "out"
    result = benchmark_in_process(pytester, "-q", "--world", "mini-smoke", "--detectors", "myplugin", "--generators",
                                  "mini-sd", "--perturbations", "identity,jpeg75", "--leaderboard-dir", str(out),
                                  "-k", "not claims")
    stdout = result.stdout.str()
    assert result.ret == 0, stdout[-3000:] + result.stderr.str()[-3000:]
    assert "2 passed" in stdout and "plugins left out" in stdout and "broken" in stdout
    board = pd.read_csv(out / "leaderboard.csv")
    assert sorted(board["case_id"]) == ["myplugin-mini-sd-identity", "myplugin-mini-sd-jpeg75"]
    assert (board["checkpoint"] == "none").all() and board["real_fpr_cal"].notna().all()
    assert not (fb_home / "checkpoints").exists()  # nothing was trained for it
    scores = read_store(out / "scores.parquet")
    assert set(scores["detector"]) == {"myplugin"}
