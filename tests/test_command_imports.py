"""Each `fakebench` command imports only what it uses (issue 44): a command that runs no model loads no
torch, and pandas or scikit-learn load only where a table or a fit is made. Each command runs in a fresh
interpreter (what a user's shell starts) and reports which heavy libraries it left in `sys.modules`, so
a later import cannot quietly slow a command again. What each command may load is written once, here."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fakebench.perf.audit import write_set

pytestmark = pytest.mark.integration  # runs a process per command

HEAVY = ("torch", "torchvision", "pandas", "sklearn", "scipy", "diffusers", "transformers", "matplotlib")

# command -> the heavy libraries it may import; every other one in HEAVY must stay out
ALLOWED: dict[str, frozenset[str]] = {
    "--help": frozenset(),
    "list detectors": frozenset(),
    "list perturbations": frozenset(),
    # the shortcut AUC is a fit (scikit-learn, which imports scipy and, when installed, pandas); no model
    "audit": frozenset({"sklearn", "scipy", "pandas"}),
    # a model runs (torch); the scoring path returns its rows as a frame (pandas)
    "predict": frozenset({"torch", "pandas"}),
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
    return root


def args_of(command: str, files) -> list[str]:
    image = next((files / "set" / "real").iterdir())
    return {"audit": ["audit", f"folder:{files / 'set'}"],
            "predict": ["predict", str(image), "--detector", "small-cnn"]}.get(command, command.split())


@pytest.mark.parametrize("command", list(ALLOWED))
def test_a_command_imports_only_what_it_uses(command, files):
    extra = imported(args_of(command, files)) - ALLOWED[command]
    assert not extra, f"`fakebench {command}` imports {sorted(extra)}; allowed: {sorted(ALLOWED[command]) or 'none'}"
