"""The layers of DESIGN.md and the code style are checked by the suite, not only by whoever remembers to run
`lint-imports` and `ruff check` (both configured in pyproject.toml)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from importlinter.cli import EXIT_STATUS_SUCCESS, lint_imports

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold(capsys, monkeypatch):
    """Layers (base <- models <- evaluation <- application) and no module cycles between siblings."""
    monkeypatch.chdir(ROOT)  # the root packages are found on sys.path, which holds the checkout (pythonpath = ".")
    code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    out = capsys.readouterr().out
    assert "Analyzed" in out  # the graph was built from the packages, not an empty configuration
    assert code == EXIT_STATUS_SUCCESS, out


def test_ruff_is_clean():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
