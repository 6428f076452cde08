"""Every test gets its own empty results home, so nothing touches (or reuses) the user's cache. Tests that
run the benchmark on the mini-smoke world start from a copy of one home prepared once per session."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

# Before torch loads OpenMP (here and in every child process a test starts, which inherit it): threads
# that wait sleep instead of spinning. Under pytest-xdist a child's two pinned threads share two cores
# with the other worker: with spinning waiters the suite took 5:52 on 2 cores, with sleeping ones 3:27.
# How threads wait moves no bit (the golden and numerics tests compare bytes).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest  # noqa: E402
import torch  # noqa: E402

from fakebench.core import numerics
from fakebench.data.corpus import CorpusConfig
from tests.session_shared import build_shared

# The test process is a process start too: pinned like the CLI and the plugin (before its first torch
# kernel), so in-process runs and the child processes tests start compute with the same kernels.
numerics.pin()

pytest_plugins = ["pytester"]  # the benchmark's pytest plugin is run in-process (tests/test_pytest_plugin.py)


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (`-n 2`) each worker computes on one core: two workers with torch's default
    threads would oversubscribe the machine, and its OpenMP threads then spin instead of working."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        torch.set_num_threads(1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The integration tests (whole runs, child processes, torchrun) first, in their usual order: under
    pytest-xdist the two workers then share out the long tests early and both end on the short unit tests,
    rather than one running the last long test while the other idles."""
    items.sort(key=lambda item: item.get_closest_marker("integration") is None)


@pytest.fixture(autouse=True)
def fb_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("fakebench-home")
    monkeypatch.setenv("FAKEBENCH_HOME", str(home))
    return home


@pytest.fixture
def tiny_corpus() -> CorpusConfig:
    return CorpusConfig(crops_per_photo={"train": 3, "val": 2, "test": 2})


@pytest.fixture(scope="session")
def prepared_mini_smoke(tmp_path_factory) -> Path:
    """A results home holding what a mini-smoke run needs at training seed 0 (the corpus, each generator's
    test fakes, the six trained zoo detectors), built once per session. Never use it directly: tests
    write to their home, so take `mini_smoke_home`, a copy.

    Building it runs one case through the store and the reports as well, so that everything a benchmark
    run imports is imported before `pytester` takes its first sys.modules snapshot (an inner run's new
    modules are dropped when it ends, and some, e.g. pandas' Arrow extension types, fail when imported
    twice in one process)."""
    from fakebench.benchmark.cases import build_cases
    from fakebench.benchmark.session import BenchSession
    from fakebench.benchmark.world_files import load_world
    from fakebench.evaluation.store import default_store_name

    world = load_world("mini-smoke")
    home = tmp_path_factory.mktemp("prepared-mini-smoke")
    outputs = tmp_path_factory.mktemp("prepared-mini-smoke-run")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FAKEBENCH_HOME", str(home))
        session = BenchSession(world, store_path=outputs / default_store_name())
        for generator in world.generators:
            session.test_fakes(generator)
        cases = build_cases(world, perturbations=["identity"])
        for spec in sorted({c.detector for c in cases}, key=lambda s: s.label):
            session.calibration_threshold(spec, seed=0)  # trains the detector, scores the calibration reals
        session.run_case(cases[0])
        session.write_outputs(outputs)
    return home


@pytest.fixture(scope="session")
def golden_store(tmp_path_factory) -> Path:
    """The store of one fresh, fixed-seed run at rest of the golden selection (tests/golden: training
    included, fresh home, fresh process), made once per session, whichever xdist worker asks first: the
    golden test compares its scores with the committed ones, the load test its bytes with a run under load."""
    from tests.golden.regenerate import selection_store

    work = build_shared(tmp_path_factory, "golden-at-rest", selection_store, "the golden selection's at-rest run")
    return next((work / "out").glob("scores.*"))


@pytest.fixture
def mini_smoke_home(prepared_mini_smoke, fb_home) -> Path:
    """This test's own results home, filled with a copy of the prepared mini-smoke artifacts."""
    shutil.copytree(prepared_mini_smoke, fb_home, dirs_exist_ok=True)
    return fb_home
