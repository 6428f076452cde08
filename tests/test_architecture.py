"""The layers of docs/explanation/architecture.md and the code style are checked by the suite, not only by whoever
remembers to run `lint-imports` and `ruff check` (both configured in pyproject.toml)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.layer_view import lint_imports

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.integration
def test_import_contracts_hold(tmp_path):
    """Layers (base <- models <- evaluation <- application) and no module cycles between siblings, checked
    over the installed layout (tests.layer_view), where every fakebench.* module is seen."""
    proc = lint_imports(tmp_path)
    analyzed = re.search(r"Analyzed (\d+) files", proc.stdout)
    assert analyzed and int(analyzed[1]) >= 90, proc.stdout[-2000:] + proc.stderr[-2000:]  # every package seen
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


@pytest.mark.integration
def test_ruff_is_clean():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_the_architecture_page_is_in_the_repository_and_names_real_modules():
    """Code and docs cite docs/explanation/architecture.md, never a page outside the repository, and every module
    path the page names exists, so it cannot drift far from the code."""
    page = (ROOT / "docs" / "explanation" / "architecture.md").read_text()
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    outside = "DESIGN" + ".md"  # the page this one replaced (spelled so that this file does not cite it)
    citing = [f for f in tracked if f.endswith((".py", ".md", ".toml")) and (ROOT / f).is_file()
              and outside in (ROOT / f).read_text()]
    assert citing == []
    named = set(re.findall(r"`((?:fakebench|generators|detectors|benchmark|leaderboard|tests)/[\w/]+(?:\.py)?)`", page))
    assert len(named) > 20 and [n for n in sorted(named) if not (ROOT / n).exists()] == []
