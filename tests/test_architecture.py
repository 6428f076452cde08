"""The layers of DESIGN.md and the code style are checked by the suite, not only by whoever remembers to run
`lint-imports` and `ruff check` (both configured in pyproject.toml)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    """Layers (base <- models <- evaluation <- application) and no module cycles between siblings.

    In a subprocess: import-linter's command configures logging with `dictConfig`, which disables every
    logger that exists at that moment, so in-process it would silence `fakebench.*` logs (and every
    later test's caplog) for the rest of the session."""
    script = ("import sys; from importlinter.cli import lint_imports; "
              f"sys.exit(lint_imports(config_filename={str(ROOT / 'pyproject.toml')!r}, no_cache=True, no_logo=True))")
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "Analyzed" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-2000:]  # the graph was really built
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_ruff_is_clean():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
