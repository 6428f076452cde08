"""fakebench in a researcher's environment: installing it changes no other project's pytest run, it
installs one top-level name (`fakebench`, with its weights inside), a plugin that imports an old
top-level name is left out with the new import named, and the public surface re-exported from
`fakebench` resolves."""
from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

import fakebench
from fakebench.detectors.registry import DETECTORS
from tests.installed_plugins import activate, install_dist

ROOT = Path(__file__).resolve().parents[1]

OWN_CONFTEST = '''
    def pytest_addoption(parser):
        for name in ("--device", "--data", "--seeds", "--workers", "--batch-size"):
            parser.addoption(name, default=f"mine{name}")
'''
OWN_TEST = '''
    def test_my_options_are_mine(request):
        assert request.config.getoption("--device") == "cuda:3"
        assert request.config.getoption("--batch-size") == "mine--batch-size"
        assert not request.config.pluginmanager.has_plugin("fakebench.pytest_plugin")
'''


@pytest.mark.integration
def test_another_projects_pytest_run_is_untouched(tmp_path):
    """A project whose conftest defines the options ML test suites commonly define runs as if fakebench
    were not installed: no option clash, no fakebench option, hook or fixture."""
    (tmp_path / "conftest.py").write_text(textwrap.dedent(OWN_CONFTEST))
    (tmp_path / "test_mine.py").write_text(textwrap.dedent(OWN_TEST))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--device", "cuda:3",
                          "--rootdir", str(tmp_path), str(tmp_path)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout[-3000:] + run.stderr[-2000:]
    helped = subprocess.run([sys.executable, "-m", "pytest", "--help", "--rootdir", str(tmp_path)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert "--device" in helped.stdout and "--world" not in helped.stdout and "--leaderboard-dir" not in helped.stdout


def _tracked_files() -> list[str]:
    found = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [f for f in found.stdout.split("\0") if f]


@pytest.mark.integration
def test_the_wheel_installs_one_top_level_name_with_its_weights_inside(tmp_path):
    """Built offline from a copy of the tracked sources with setuptools' build API (what `pip wheel
    --no-build-isolation` runs): its only top-level package is `fakebench`, every module of the card's
    folders is inside under it, and so are the committed weights and their manifests."""
    src = tmp_path / "src"
    tracked = _tracked_files()
    for rel in tracked:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes((ROOT / rel).read_bytes())
    build = f"from setuptools import build_meta; print(build_meta.build_wheel({str(tmp_path / 'dist')!r}))"
    run = subprocess.run([sys.executable, "-c", build], cwd=src, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    wheel = tmp_path / "dist" / run.stdout.strip().splitlines()[-1]
    names = zipfile.ZipFile(wheel).namelist()
    dist_info = {n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")}
    assert {n.split("/")[0] for n in names} - dist_info == {"fakebench"}
    top_level = zipfile.ZipFile(wheel).read(f"{dist_info.pop()}/top_level.txt").decode().split()
    assert top_level == ["fakebench"]
    folders = {"generators", "detectors", "benchmark", "leaderboard", "fakebench"}
    modules = [rel for rel in tracked if rel.endswith(".py") and rel.split("/")[0] in folders]
    expected = {rel if rel.startswith("fakebench/") else f"fakebench/{rel}" for rel in modules}
    assert not expected - set(names), sorted(expected - set(names))
    weights = [rel for rel in tracked if rel.startswith((
        "generators/mini/weights/", "generators/taef2/weights/", "detectors/weights/"))]
    assert any(w.endswith(".safetensors") for w in weights) and any(w.endswith("SHA256SUMS") for w in weights)
    assert not {f"fakebench/{w}" for w in weights} - set(names)
    assert "fakebench/generators/prompts.txt" in names
    assert "fakebench/data/photos.csv" in names  # the packaged photos' manifest (fakebench.data.photos)


OLD_STYLE_PLUGIN = '''
    """A plugin written against the old layout."""
    from detectors import InputPolicy


    class Old:
        name = "oldstyle"
        policy = InputPolicy()

        def score(self, images):
            return images.mean(dim=(1, 2, 3))
'''


def test_a_plugin_importing_an_old_top_level_name_is_left_out_naming_the_new_import(tmp_path, monkeypatch, caplog):
    site = tmp_path / "site"
    site.mkdir()
    (site / "fakebench_oldstyle.py").write_text(textwrap.dedent(OLD_STYLE_PLUGIN))
    install_dist(site, "fakebench-oldstyle", "0.1.0", {"fakebench.detectors": {"oldstyle": "fakebench_oldstyle:Old"}})
    activate(monkeypatch, site)
    # the suite puts the repository root on sys.path (pyproject's pythonpath), where the old names are
    # folders; an installed fakebench has no such path, so neither does this plugin
    monkeypatch.setattr(sys, "path", [p for p in sys.path if Path(p or ".").resolve() != ROOT])
    for old in ("generators", "detectors", "benchmark", "leaderboard"):
        monkeypatch.delitem(sys.modules, old, raising=False)
    with caplog.at_level("WARNING"):
        names = DETECTORS.names()
    assert "oldstyle" not in names and "resnet50" in names  # left out; the rest stays
    [failure] = DETECTORS.failures
    line = failure.line()
    assert "'oldstyle' from fakebench-oldstyle" in line and "imports 'detectors'" in line
    assert "from fakebench import" in line and "fakebench.detectors" in line
    assert len([r for r in caplog.records if "oldstyle" in r.getMessage()]) == 1  # one line


def test_the_public_surface_resolves_from_fakebench():
    """Every name of `fakebench.__all__` resolves to the object its defining module holds."""
    assert set(fakebench.__all__) == {"__version__", *fakebench.PUBLIC}
    for name, module in fakebench.PUBLIC.items():
        assert getattr(fakebench, name) is getattr(importlib.import_module(module), name), name
    assert sorted(dir(fakebench)) == sorted(fakebench.__all__)
    with pytest.raises(AttributeError, match="no attribute 'create_modle'"):
        fakebench.create_modle  # noqa: B018
    # the registries fill when a public name is reached: the built-ins are there
    assert "resnet50" in fakebench.list_detectors() and "mini-sd" in fakebench.list_generators()


@pytest.mark.integration
def test_importing_fakebench_loads_no_model_or_application_module():
    code = ("import sys, fakebench; heavy = [m for m in sys.modules if m.split('.')[:2] in (['fakebench', 'detectors'],"
            " ['fakebench', 'generators'], ['fakebench', 'cli'], ['fakebench', 'benchmark']) or m == 'diffusers'];"
            " print(heavy)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert run.stdout.strip() == "[]"


def test_the_example_plugin_and_the_readme_use_only_the_public_surface():
    """What people copy (the example plugin, the README's code blocks) imports from `fakebench` itself."""
    import ast
    import re

    sources = [p.read_text() for p in (ROOT / "examples").rglob("*.py")]
    sources += re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    imported = []
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
                    "fakebench", "detectors", "generators", "benchmark", "leaderboard"):
                imported.append((node.module, [a.name for a in node.names]))
    assert imported and all(module == "fakebench" for module, _ in imported), imported
    assert all(set(names) <= set(fakebench.__all__) for _, names in imported), imported
