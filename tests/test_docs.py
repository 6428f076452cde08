"""The documentation cannot rot: the site builds with `mkdocs build --strict` (every internal link and
anchor resolves, every page is in the navigation), the reference pages equal a fresh generation from the
code, the README's and the results page's tables equal what their committed results files give, the README
stays short and keeps its two commands, and the tutorials' runnable blocks run."""
from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
MAX_PAGE_LINES = 400
MAX_README_LINES = 300
# A tutorial's runnable block: `<!-- runnable -->` on the line before a ```bash fence.
RUNNABLE = re.compile(r"<!-- runnable -->\n```bash\n(.*?)```", re.S)
# Tutorials whose runnable blocks run one after another in one working folder (a later page uses what an
# earlier one made); every tutorial with a runnable block must be in one chain.
CHAINS = (("tutorials/first-run.md",), ("tutorials/your-data.md", "tutorials/your-world.md"))
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _script(name: str):
    """docs/<name>.py as a module (the docs scripts are not a package)."""
    spec = importlib.util.spec_from_file_location(f"docs_{name}", DOCS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _mkdocs(config: Path, site: Path) -> tuple[int, list[str], str]:
    """Build the site strictly; the return code, the warning lines (each naming its page and link) and the log."""
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config),
                           "--site-dir", str(site)], cwd=config.parent, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    log = proc.stdout + proc.stderr
    warnings = [line for line in log.splitlines() if line.startswith(("WARNING", "ERROR", "  - "))]
    return proc.returncode, warnings, log


def test_the_site_builds_strictly(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    code, warnings, log = _mkdocs(ROOT / "mkdocs.yml", tmp_path / "site")
    assert code == 0 and not warnings, "\n".join(warnings) or log[-3000:]


def test_a_broken_link_or_a_page_outside_the_nav_fails_the_build_naming_it(tmp_path):
    """The build's checks are on: a copy of the site with a broken link, a missing anchor and a page left
    out of the navigation fails, and its warnings name each."""
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    copy = tmp_path / "copy"
    shutil.copytree(DOCS, copy / "docs", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    shutil.copy(ROOT / "mkdocs.yml", copy / "mkdocs.yml")
    shutil.copy(ROOT / "CHANGELOG.md", copy / "CHANGELOG.md")
    page = copy / "docs" / "index.md"
    page.write_text(page.read_text() + "\n[gone](no-such-page.md) [anchor](results.md#no-such-anchor)\n")
    (copy / "docs" / "orphan.md").write_text("# Orphan\n")
    code, warnings, log = _mkdocs(copy / "mkdocs.yml", tmp_path / "site")
    text = "\n".join(warnings)
    assert code != 0, log[-3000:]
    assert "no-such-page.md" in text and "no-such-anchor" in text and "orphan.md" in text, text


def test_the_reference_pages_are_what_the_code_says():
    gen = _script("gen_reference")
    try:
        pages = gen.build()
    except gen.ReferenceError as exc:
        pytest.fail(str(exc))
    stale = gen.stale(pages)
    assert stale == [], ("docs/reference/ differs from the code: " + ", ".join(stale)
                         + "; run .venv/bin/python docs/gen_reference.py and commit the pages")


def test_an_option_without_help_or_a_key_without_description_fails_the_reference_naming_it(monkeypatch):
    import fakebench.benchmark.world_files as world_files
    import fakebench.cli

    gen = _script("gen_reference")
    build_parser = fakebench.cli.build_parser

    def undocumented() -> argparse.ArgumentParser:
        parser = build_parser()
        subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        subs.choices["score"].add_argument("--undocumented-option")
        return parser

    keys = world_files.world_keys

    def undescribed():
        yield from keys()
        yield world_files.WorldKey("test.undescribed_key", "string", "", "")

    monkeypatch.setattr(fakebench.cli, "build_parser", undocumented)
    monkeypatch.setattr(world_files, "world_keys", undescribed)
    problems: list[str] = []
    gen.cli_page(problems)
    gen.worlds_page(problems)
    assert any("fakebench score --undocumented-option" in p for p in problems), problems
    assert any("test.undescribed_key" in p for p in problems), problems


def test_the_readme_and_results_tables_are_what_their_results_files_give():
    gen = _script("gen_results")
    stale = gen.stale()
    assert stale == [], ("generated blocks differ from docs/results/: " + ", ".join(stale)
                         + "; run .venv/bin/python docs/gen_results.py")


def test_the_readme_is_short_current_and_keeps_its_two_commands():
    text = README.read_text()
    assert len(text.splitlines()) <= MAX_README_LINES
    assert not re.search(r"(previous|this|last) release", text, re.I), "the README holds no history: lab notes do"
    assert ("python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' && .venv/bin/python -m pytest benchmark/"
            in text)
    assert ("python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' && .venv/bin/python -m pytest tests/ -n auto"
            in text)
    assert text.index("pytest benchmark/") < text.index("## "), "the two commands come first"
    assert "toy" in text  # the mini world says what it is
    assert "mkdocs serve" in text and "'.[docs]'" in text


def _anchors(page: Path) -> set[str]:
    """The heading ids MkDocs gives a page (Python-Markdown's toc slugify)."""
    from markdown.extensions.toc import slugify

    body = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return {slugify(h.strip(), "-") for h in re.findall(r"^#{1,6} (.+)$", body, re.M)}


def test_the_readme_links_resolve_and_reach_the_main_tasks_in_one_click():
    pytest.importorskip("markdown")
    text = README.read_text()
    targets = [t for t in LINK.findall(text) if not t.startswith(("http://", "https://", "#"))]
    broken = []
    for target in targets:
        path, _, anchor = target.partition("#")
        file = ROOT / path
        if not file.exists() or (anchor and file.suffix == ".md" and anchor not in _anchors(file)):
            broken.append(target)
    assert broken == []
    for task in ("docs/tutorials/plugin-detector.md", "docs/tutorials/your-data.md", "docs/how-to/real-models-gpu.md",
                 "docs/explanation/paper.md", "docs/reference/claims.md"):
        assert task in targets, f"the README does not link {task}"


def test_pages_are_short_and_cite_only_the_projects_own_pages():
    pages = sorted(DOCS.rglob("*.md"))
    lines = {p: len(p.read_text().splitlines()) for p in pages}
    long = [f"{p.relative_to(ROOT)} ({n} lines)" for p, n in lines.items() if n > MAX_PAGE_LINES]
    assert long == []
    outside = [f"{p.relative_to(ROOT)}: {t}" for p in pages for t in LINK.findall(p.read_text())
               if t.startswith(("http://", "https://"))]
    assert outside == []


def _blocks(page: str) -> list[str]:
    return RUNNABLE.findall((DOCS / page).read_text())


def test_every_runnable_tutorial_block_is_run():
    pages = [p.relative_to(DOCS).as_posix() for p in (DOCS / "tutorials").glob("*.md")]
    runnable = {page for page in pages if _blocks(page)}
    chained = {page for chain in CHAINS for page in chain}
    assert runnable - chained == set(), "add these pages to CHAINS in tests/test_docs.py"
    assert all(_blocks(page) for page in chained)


@pytest.mark.integration
@pytest.mark.parametrize("chain", CHAINS, ids=lambda chain: "+".join(Path(p).stem for p in chain))
def test_the_tutorials_runnable_blocks_run(chain, tmp_path):
    """Each block runs in bash (errexit, pipefail) in one working folder per chain, as a reader runs it from
    the repository's root (`benchmark/` and `examples/` are linked in), with the project's virtualenv first on
    PATH and this test's own, empty results home (a cold mini-smoke run costs about what a warm one does)."""
    work = tmp_path / "work"
    work.mkdir()
    for name in ("benchmark", "examples"):
        (work / name).symlink_to(ROOT / name)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    for page in chain:
        for n, block in enumerate(_blocks(page), 1):
            proc = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=work, env=env,
                                  capture_output=True, text=True, timeout=600)
            assert proc.returncode == 0, (f"docs/{page}, runnable block {n} exited {proc.returncode}:\n{block}\n"
                                          f"{(proc.stdout + proc.stderr)[-4000:]}")
