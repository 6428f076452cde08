"""The installed import layout, built from the source tree, for `lint-imports`.

The card's folders (`generators/`, `detectors/`, `benchmark/`, `leaderboard/`) are installed as
`fakebench.generators`, ... by setuptools' package-dir mapping. import-linter (grimp) finds a package's
modules by walking its folder, so it would see only `fakebench/`; this copies the Python sources into
the layout a wheel has, where it sees them all. By hand: `python -m tests.layer_view` runs the check."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAPPED = ("generators", "detectors", "benchmark", "leaderboard")  # fakebench.<name> lives in <name>/


def build(dest: Path) -> Path:
    """Copy every module into dest/fakebench/... as installed; returns the folder to put on sys.path."""
    pkg = dest / "fakebench"
    only_py = shutil.ignore_patterns("*.pyc", "__pycache__", "weights", "configs", "*.txt", "*.md", "*.sh")
    shutil.copytree(ROOT / "fakebench", pkg, ignore=only_py)
    for name in MAPPED:
        shutil.copytree(ROOT / name, pkg / name, ignore=only_py)
    return dest


def lint_imports(dest: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run import-linter with the project's contracts over the installed layout, in a child process:
    its `dictConfig` disables every logger that exists at that moment, so in-process it would silence
    `fakebench.*` logs (and every later test's caplog)."""
    view = build(dest)
    script = ("import sys; from importlinter.cli import lint_imports; "
              f"sys.exit(lint_imports(config_filename={str(ROOT / 'pyproject.toml')!r}, no_cache=True, no_logo=True))")
    # -I: the editable install's finder must not map fakebench.* back onto the source folders
    return subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(view)!r}); {script}"],
                          cwd=view, capture_output=True, text=True, timeout=timeout)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        proc = lint_imports(Path(tmp))
    sys.stdout.write(proc.stdout + proc.stderr)
    sys.exit(proc.returncode)
