"""The pytest plugin behind `pytest benchmark/`: options, parametrized cases, the session fixture
and the leaderboard in the terminal summary.

Nothing here is registered with pytest at install time (no `pytest11` entry point): installing
fakebench changes no other project's pytest run. `benchmark/conftest.py` adds the options
(`add_options`) and, at configure, registers this module as a plugin (`activate`), so its hooks and
fixtures exist only in a benchmark run, the way a conftest's would."""
from __future__ import annotations

import contextlib
import logging
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakebench.benchmark.cases import build_cases
from fakebench.benchmark.session import BenchSession
from fakebench.benchmark.world_files import builtin_worlds, load_world
from fakebench.core.cache import ensure_writable_dir, home
from fakebench.core.errors import FakebenchError
from fakebench.data.reals import check_readable
from fakebench.data.sources import load_data_source
from fakebench.evaluation.store import default_store_name
from fakebench.leaderboard.summary import FLOOR_MISS, FloorMiss
from fakebench.options import add_shared

SESSION_KEY = pytest.StashKey[BenchSession]()
CASES_KEY = pytest.StashKey[list]()
OUT_KEY = pytest.StashKey[Path]()
SEEDS_KEY = pytest.StashKey[tuple]()


def _csv(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _seeds(value: str) -> tuple[int, ...]:
    try:
        seeds = tuple(int(v) for v in _csv(value) or [])
    except ValueError:
        raise FakebenchError(f"--seeds takes comma-separated integers, got {value!r}",
                             fix="e.g. --seeds 0,1,2") from None
    if not seeds:
        raise FakebenchError("--seeds is empty", fix="e.g. --seeds 0 or --seeds 0,1,2")
    return seeds


def add_options(parser: pytest.Parser) -> None:
    """The benchmark's options; called by `benchmark/conftest.py`'s `pytest_addoption` only."""
    group = parser.getgroup("fakebench", "fakebench benchmark")
    group.addoption("--world", default="mini", help=f"a built-in world ({', '.join(builtin_worlds())}; fakebench list "
                    "worlds) or the path to a .toml world file")
    group.addoption("--detectors", default=None, help="comma-separated detector names or globs, e.g. 'aligned-*'")
    group.addoption("--generators", default=None, help="comma-separated generator names or globs, e.g. 'mini-p*'")
    add_shared(group.addoption, "--perturbations", help_suffix="; default: the world's (mini: grid)")
    add_shared(group.addoption, "--device")
    add_shared(group.addoption, "--bench-seed")
    group.addoption("--seeds", default="0", help="comma-separated training seeds, e.g. 0,1,2: each detector is "
                    "trained and evaluated per seed; the leaderboard shows mean +- std")
    add_shared(group.addoption, "--data", action="append", default=[],
               help_suffix="; its generators join the test cases (repeatable)")
    add_shared(group.addoption, "--batch-size")
    add_shared(group.addoption, "--workers")
    group.addoption("--summary", default="full", choices=("full", "short", "none"),
                    help="what the terminal gets at the end: full (ranking, a table like the paper's Table 3, one "
                         "line per claim, failed floors, report paths), short (the table, claims, floors, paths) "
                         "or none (the paths); the wide grids are in the reports")
    add_shared(group.addoption, "--fast-numerics")
    group.addoption("--leaderboard-dir", default="results",
                    help="where the score store and the reports (leaderboard.md/.csv/.json, report.html) go")


def _verify_weights(generator_names: set[str]) -> None:
    """Fail at start-up, in one line, on missing or corrupted committed weights (mini world, TAEF2)."""
    from fakebench.generators.mini.architectures import MINI_SPECS
    from fakebench.generators.mini.weights import verify_component
    from fakebench.generators.taef2.weights import verify as verify_taef2

    for spec in MINI_SPECS:
        if spec.name in generator_names:
            verify_component(spec.vae)
            verify_component(spec.unet)
    if "taef2" in generator_names:
        verify_taef2()


def torch_device_type(device: str) -> str:
    return device.split(":")[0]


def activate(config: pytest.Config) -> None:
    """Register this module's hooks and fixtures, then build the benchmark session and its cases from
    the options; a bad option is a usage error."""
    if SESSION_KEY in config.stash:
        return
    if not config.pluginmanager.is_registered(sys.modules[__name__]):
        config.pluginmanager.register(sys.modules[__name__], "fakebench-benchmark")
    logging.getLogger("fakebench").setLevel(logging.INFO)
    try:
        from fakebench.core import distributed, numerics

        numerics.pin(fast=config.option.fast_numerics or None)  # before the session's first torch kernel
        from fakebench.core.devices import resolve_device
        from fakebench.detectors.inference import ScoringConfig

        world = load_world(config.option.world)
        seeds = _seeds(config.option.seeds)
        device = str(resolve_device(config.option.device))
        rank = distributed.init(device)  # under torchrun every rank runs every case on its share of images
        datasets = [load_data_source(d) for d in (*world.data, *config.option.data)]
        out = ensure_writable_dir(Path(config.option.leaderboard_dir).resolve(), "leaderboard folder")
        ensure_writable_dir(home(), "results home (FAKEBENCH_HOME)")
        session = BenchSession(world, bench_seed=config.option.bench_seed, device=device,
                               store_path=out / default_store_name() if rank.is_main else None,
                               scoring=ScoringConfig(config.option.batch_size, config.option.workers),
                               datasets=datasets)
        cases = build_cases(world, _csv(config.option.detectors), _csv(config.option.generators),
                            _csv(config.option.perturbations), seeds, tuple(session.folder_sets))
        _verify_weights({c.generator for c in cases} | {world.train_generator})
        if not config.option.collectonly and any(c.detector.recipe for c in cases):
            check_readable(world.reals.train)  # before any fake is made: lite's packaged photos
        if world.cpu_warning and torch_device_type(device) == "cpu" and rank.is_main:
            sys.stderr.write(f"fakebench: warning: --world {world.name} on a CPU: {world.cpu_warning}\n")
    except FakebenchError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[CASES_KEY] = cases
    config.stash[SEEDS_KEY] = seeds
    config.stash[OUT_KEY] = out
    config.stash[SESSION_KEY] = session


LIMIT = "paper: a known limit of alignment; the test asserts it does not show"


def claim_params(config: pytest.Config) -> list:
    """Every claim of the registry (fakebench.evaluation.claims.CLAIMS), marked: known limits are expected
    failures; a world too small to judge the paper (mini-smoke) runs the machinery with every detector
    verdict expected to miss; a claim that needs cases outside --detectors/--generators is skipped,
    saying which. Whether a verdict is judged or indicative (training seeds) is decided in the test.

    A claim whose roles the world lacks (`Claim.roles`: no training generator, no generator whose
    denoiser differs, no WebP-trained detector, ...) is a skipped item, not an absent one: its pytest id
    stays the same in every world (`-k claims-C7` still finds it and says why), a skip leaves the exit
    status to what the world could judge, and the terminal summary names all such claims in one line."""
    from fakebench.evaluation.claims import CLAIMS

    session = config.stash[SESSION_KEY]
    world = session.world
    selected = {(c.detector.label, c.generator) for c in config.stash[CASES_KEY]}
    context = session.claim_context()
    params = []
    for claim in CLAIMS:
        marks = []
        missing = context.missing(claim.roles)
        outside = sorted({f"{d} on {g}" for d, g, _ in claim.needs(context) if (d, g) not in selected})
        unjudged = dict(world.claims.unjudged)
        if claim.id in unjudged:
            marks.append(pytest.mark.skip(reason=f"the {world.name} world cannot judge {claim.id}: "
                                                 f"{unjudged[claim.id]}"))
        elif missing:
            marks.append(pytest.mark.skip(reason=f"the {world.name} world lacks what {claim.id} reads: no "
                                                 + "; no ".join(missing)))
        elif outside:
            marks.append(pytest.mark.skip(reason=f"{claim.id} needs {', '.join(outside)}, outside this selection"))
        elif not world.claims.judged and (claim.reads_detectors or claim.reads_audit):
            marks.append(pytest.mark.xfail(reason=f"the {world.name} world is too small to judge the paper's claims",
                                           strict=False))
        elif claim.known_limit:
            marks.append(pytest.mark.xfail(reason=LIMIT, strict=False))
        params.append(pytest.param(claim.id, id=claim.test_id, marks=marks))
    return params


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if SESSION_KEY not in metafunc.config.stash:
        return
    if "claim_id" in metafunc.fixturenames:
        metafunc.parametrize("claim_id", claim_params(metafunc.config))
    if "case" not in metafunc.fixturenames:
        return
    params = []
    for case in metafunc.config.stash[CASES_KEY]:
        marks = [pytest.mark.xfail(reason=case.expected_failure, strict=False)] if case.expected_failure else []
        params.append(pytest.param(case, id=case.id, marks=marks))
    metafunc.parametrize("case", params)


@pytest.fixture(scope="session")
def bench_session(request: pytest.FixtureRequest) -> BenchSession:
    """The run's BenchSession: every artifact the selected cases need, built once."""
    return request.config.stash[SESSION_KEY]


@pytest.fixture(scope="session")
def training_seeds(request: pytest.FixtureRequest) -> tuple[int, ...]:
    """The training seeds of this run (`--seeds`)."""
    return request.config.stash[SEEDS_KEY]


@contextlib.contextmanager
def live_output(config: pytest.Config) -> Iterator[None]:
    """Let progress bars reach the terminal while a case builds its artifacts (pytest would
    otherwise capture them), the way pytest's own live logging does."""
    capman = config.pluginmanager.getplugin("capturemanager")
    if capman is None:
        yield
        return
    with capman.global_and_fixture_disabled():
        yield


@pytest.fixture
def live(request: pytest.FixtureRequest):
    return lambda: live_output(request.config)


def floor_misses(reports: list) -> list[FloorMiss]:
    """The failed cases' floor misses, as `test_case` records them (`record_property(FLOOR_MISS, ...)`)."""
    return [FloorMiss(**props[FLOOR_MISS]) for r in reports if FLOOR_MISS in (props := dict(r.user_properties))]


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    if SESSION_KEY not in config.stash:
        return
    session = config.stash[SESSION_KEY]
    _report_plugin_failures(terminalreporter)
    if not len(session.store) or session.store.path is None:  # under torchrun, rank 0 reports
        return
    from fakebench.data.folders import write_skipped_report
    from fakebench.leaderboard.results import read_results
    from fakebench.leaderboard.summary import MAX_WIDTH, summary_text

    tr = terminalreporter
    out = config.stash[OUT_KEY]
    skipped = session.skipped + session.detector_failures()
    try:
        _, paths = session.write_outputs(out, config.stash[SEEDS_KEY], floors=floor_misses(tr.stats.get("failed", [])))
    except Exception as exc:  # one line, never a traceback that hides the run's results
        tr.write_line(f"fakebench: the reports could not be written: {type(exc).__name__}: {exc}", red=True)
        return
    if config.option.data or skipped:
        paths["skipped"] = write_skipped_report(out / "skipped.csv", skipped)
    width = min(MAX_WIDTH, config.get_terminal_writer().fullwidth)
    tr.write_sep("=", "fakebench leaderboard", fullwidth=width)
    tr.write_line(summary_text(read_results(out, paths), width, config.option.summary))
    tr.write_line(textwrap.fill("numerics: " + numerics_summary(), width, subsequent_indent="  "))


def numerics_summary() -> str:
    from fakebench.core import numerics

    return numerics.summary(numerics.fingerprint())


def _report_plugin_failures(tr) -> None:
    from fakebench.core.registry import plugin_failures

    failures = plugin_failures()
    if failures:
        tr.write_sep("-", "plugins left out")
        for f in failures:
            tr.write_line(f.line())
