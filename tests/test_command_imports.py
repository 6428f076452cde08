"""Each `fakebench` command imports only what it uses (issue 44): a command that runs no model loads no
torch, and pandas or scikit-learn load only where a table or a fit is made. Each command runs in a fresh
interpreter (what a user's shell starts) and reports which heavy libraries it left in `sys.modules`, so
a later import cannot quietly slow a command again. What each command may load is written once, here."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fakebench.evaluation.metrics import BootstrapConfig
from fakebench.evaluation.store import default_store_name, read_store, write_store
from fakebench.leaderboard.reports import write_reports
from fakebench.perf.audit import write_set
from fakebench.perf.reports import synthetic_store

pytestmark = pytest.mark.integration  # runs a process per command

BOOTSTRAP = 20  # resamples: the intervals' precision is not what is checked here
HEAVY = ("torch", "torchvision", "pandas", "sklearn", "scipy", "diffusers", "transformers", "matplotlib")

# command -> the heavy libraries it may import; every other one in HEAVY must stay out
ALLOWED: dict[str, frozenset[str]] = {
    "--help": frozenset(),
    "list detectors": frozenset(),
    "list generators": frozenset(),
    "list perturbations": frozenset(),
    "list worlds": frozenset(),
    # the shortcut AUC is a fit (scikit-learn, which imports scipy and, when installed, pandas); no model
    "audit": frozenset({"sklearn", "scipy", "pandas"}),
    # a model runs (torch); the scoring path returns its rows as a frame (pandas)
    "predict": frozenset({"torch", "pandas"}),
    # tables and metrics (pandas, scikit-learn and the scipy it imports); no model
    "summary": frozenset({"pandas", "sklearn", "scipy"}),
    # the same, and the report page's plots (matplotlib)
    "report": frozenset({"pandas", "sklearn", "scipy", "matplotlib"}),
}

CHILD = """
import json, sys
from fakebench.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def imported(args: list[str]) -> set[str]:
    """The HEAVY libraries `fakebench ARGS` leaves imported, in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True, check=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["code"] in (0, None), out.stderr
    return {m for m in report["modules"] if m in HEAVY}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("cmd-imports")
    write_set(root / "set", 8)  # small JPEG reals and PNG fakes, as the audit benchmark writes them
    # a small synthetic score store (calibration reals and 4 cases) and the results folder its reports make
    scores = synthetic_store(400)
    scores = scores[scores["generator"].isin(["", "gen0"]) & scores["perturbation"].isin(["identity", "jpeg75"])]
    store = write_store(scores, root / "run" / default_store_name())
    write_reports(read_store(store), root / "results", BootstrapConfig(resamples=BOOTSTRAP))
    return root


def args_of(command: str, files) -> list[str]:
    image = next((files / "set" / "real").iterdir())
    store = next((files / "run").iterdir())
    return {"audit": ["audit", f"folder:{files / 'set'}"],
            "predict": ["predict", str(image), "--detector", "small-cnn"],
            "summary": ["summary", str(files / "results")],
            "report": ["report", str(store), "--out", str(files / "report"), "--bootstrap", str(BOOTSTRAP)],
            }.get(command, command.split())


@pytest.mark.parametrize("command", list(ALLOWED))
def test_a_command_imports_only_what_it_uses(command, files):
    extra = imported(args_of(command, files)) - ALLOWED[command]
    assert not extra, f"`fakebench {command}` imports {sorted(extra)}; allowed: {sorted(ALLOWED[command]) or 'none'}"
