"""Pinned CPU numerics (fakebench.core.numerics): bad knobs in one line, the fingerprint, what `compare`
warns about, and, in child processes (kernel knobs act at process start), the same checkpoint bytes from a
host forced to a lower ISA and another thread count, and the same store at rest and under load."""
from __future__ import annotations

import json
import logging
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fakebench.cli import main
from fakebench.core import numerics
from fakebench.core.errors import FakebenchError
from fakebench.leaderboard.compare import numerics_warnings
from fakebench.leaderboard.run_record import run_record_markdown
from tests.golden.regenerate import PROCESS_KNOBS, fresh_process_env, selection_store
from tests.jobs_helpers import TINY_DETECTOR, reals_folder


def _fingerprint(**changes) -> dict:
    found = {"mode": "portable", "portable": True, "cpu": "AMD EPYC", "aten_capability": "AVX2", "threads": 2,
             "knobs": {"ATEN_CPU_CAPABILITY": "avx2"}, "torch": "2.5", "mkl": "2024.2", "onednn": "3.5"}
    return {**found, **changes}


@pytest.fixture
def clean_env(monkeypatch):
    """No knob set by the environment; whatever a test's pin() sets is undone after it."""
    import torch

    for name in PROCESS_KNOBS:
        monkeypatch.delenv(name, raising=False)
    threads = torch.get_num_threads()
    numerics._warn_once.cache_clear()
    yield monkeypatch
    torch.set_num_threads(threads)


@pytest.mark.parametrize("name, value", [("ATEN_CPU_CAPABILITY", "avx3"), ("ONEDNN_MAX_CPU_ISA", "AVX9"),
                                         ("MKL_CBWR", "AVX2,LOOSE"), ("FAKEBENCH_NUMERICS", "quick")])
def test_an_unknown_knob_value_is_one_line_naming_the_variable_and_its_values(clean_env, name, value):
    clean_env.setenv(name, value)
    with pytest.raises(FakebenchError) as info:
        numerics.pin()
    message = str(info.value)
    assert "\n" not in message and f"{name}={value!r}" in message
    assert ("avx2" in message.lower()) if name != "FAKEBENCH_NUMERICS" else ("portable, fast" in message)


def test_known_values_pass_in_any_case():
    numerics.check_knobs({"ATEN_CPU_CAPABILITY": "AVX512", "ONEDNN_MAX_CPU_ISA": "avx2_vnni",
                          "MKL_CBWR": "avx2,strict"})


def test_the_cli_reports_a_bad_knob_in_one_line_and_exits_2(clean_env, capsys):
    clean_env.setenv("ONEDNN_MAX_CPU_ISA", "AVX-2")
    assert main(["list", "perturbations"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "ONEDNN_MAX_CPU_ISA='AVX-2'" in err and "AVX512_CORE" in err


def test_no_avx2_warns_once_and_runs_on(clean_env, caplog):
    clean_env.setattr(numerics, "cpu_flags", lambda: frozenset({"sse2", "avx"}))
    clean_env.setattr(numerics, "is_x86", lambda: True)
    with caplog.at_level(logging.WARNING, logger="fakebench.core.numerics"):
        assert numerics.pin() == "portable"
        numerics.pin()
    assert [r.getMessage() for r in caplog.records].count(numerics.NO_AVX2) == 1
    assert not any(os.environ.get(name) for name in numerics.KNOB_NAMES)  # nothing forced on a CPU without it


def test_fast_mode_leaves_the_user_knobs_and_keys_its_artifacts_apart(clean_env):
    from fakebench.core.cache import artifact_dir

    portable = artifact_dir("checkpoints", "k")
    clean_env.setenv("ATEN_CPU_CAPABILITY", "avx512")
    assert numerics.pin(fast=True) == "fast"
    assert os.environ["ATEN_CPU_CAPABILITY"] == "avx512" and os.environ[numerics.MODE_ENV] == "fast"
    assert artifact_dir("checkpoints", "k") != portable and numerics.fingerprint()["portable"] is False


def test_differences_name_what_shapes_numbers():
    assert numerics.differences(_fingerprint(), _fingerprint()) == []
    assert numerics.differences(_fingerprint(), _fingerprint(cpu="Intel Xeon")) == []  # both pinned: same bits
    moved = numerics.differences(_fingerprint(), _fingerprint(mode="fast", portable=False, cpu="Intel Xeon",
                                                              aten_capability="AVX512"))
    assert any(line.startswith("aten_capability") for line in moved) and any("cpu" in line for line in moved)
    assert "older" in numerics.differences(_fingerprint(), None)[0]


def test_compare_warns_and_the_protocol_says_machine_specific():
    old, new = {"numerics": _fingerprint()}, {"numerics": _fingerprint(threads=8, portable=False, mode="fast")}
    assert numerics_warnings(old, old) == []
    (warning,) = numerics_warnings(old, new)
    assert "threads: 2 -> 8" in warning
    assert "numerics: portable" in run_record_markdown(old)
    assert "numerics: machine-specific" in run_record_markdown(new)


def test_run_json_records_the_fingerprint():
    from fakebench.core.provenance import provenance

    found = provenance("test")["numerics"]
    assert found["mode"] in numerics.MODES and found["threads"] >= 1 and found["aten_capability"]
    assert set(numerics.NUMERIC_FIELDS) - {"mkl_cbwr_branch"} <= set(found)


def _child_env(home: Path, **env: str) -> dict[str, str]:
    """This process's environment without any numerics knob, plus `env`: a fresh process on a given host."""
    return {**fresh_process_env(home), **env}


def test_a_pinned_child_reports_its_fingerprint(tmp_path):
    code = ("import json; from fakebench.core import numerics; numerics.pin(); import torch; "
            "torch.ones(8).sum(); print(json.dumps(numerics.fingerprint()))")
    out = subprocess.run([sys.executable, "-c", code], env=_child_env(tmp_path), capture_output=True, text=True,
                         check=True, timeout=300).stdout
    found = json.loads(out.splitlines()[-1])
    assert found["mode"] == "portable" and found["threads"] == numerics.PINNED_THREADS
    if numerics.has_avx2():
        assert found["portable"] and found["aten_capability"] == "AVX2"
    assert found["torch"] and found["cpu"]


# --- one machine playing two: a host forced to AVX2 with one thread against this one ---------------------

LOWER_HOST = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "OMP_NUM_THREADS": "1"}


def _train_hash(tmp: Path, name: str, reals: Path, fast: bool, host: dict[str, str]) -> str:
    args = [*(["--fast-numerics"] if fast else []), "train", "--recipe", "aligned", "--generator", "mini-sd",
            *TINY_DETECTOR, "--epochs", "1", "--batch-size", "8", "--crop", "32", "--augment", "light",
            "--schedule", "cosine", "--real", str(reals), "--out", str(tmp / name)]
    proc = subprocess.run([sys.executable, "-m", "fakebench", *args], env=_child_env(tmp / f"home-{name}", **host),
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    sidecar = json.loads((tmp / name / "model.json").read_text())
    assert sidecar["numerics"]["mode"] == ("fast" if fast else "portable")
    return sidecar["weights_sha256"]


@pytest.mark.slow
@pytest.mark.integration  # four child processes
def test_pinned_training_gives_the_same_checkpoint_on_a_lower_isa_host(tmp_path):
    """Pinned: the same checkpoint bytes here and on a host forced to AVX2 with one thread. Unpinned they
    differ where this CPU has more than AVX2 (else the test says so and skips that half)."""
    if not numerics.has_avx2():
        pytest.skip("this CPU has no AVX2: pinning does not apply")
    reals = reals_folder(tmp_path / "reals", n=16)
    native = _train_hash(tmp_path, "pinned-native", reals, False, {})
    lower = _train_hash(tmp_path, "pinned-lower", reals, False, LOWER_HOST)
    assert native == lower, "pinned numerics gave other checkpoint bytes on the lower-ISA host"
    fast_native = _train_hash(tmp_path, "fast-native", reals, True, {})
    fast_lower = _train_hash(tmp_path, "fast-lower", reals, True, LOWER_HOST)
    if fast_native == fast_lower:
        pytest.skip("unpinned training gave the same bytes on both hosts here (this CPU's native kernels are "
                    "AVX2's): the unpinned half shows nothing on this hardware")
    assert fast_native != fast_lower


# --- load ----------------------------------------------------------------------------------------------

HOG_NICENESS = 5  # a hog gets about a quarter of a core a runnable thread of the run wants (CFS weights 335:1024)


def _spin(until: float) -> None:
    """Spin until `until`, niced: the run's threads are still preempted at moments of the scheduler's
    choosing (what could reorder work between threads), but a hog at equal priority made the run and the
    tests pytest-xdist runs beside it about four times slower (58 s for this test in a full run; alone, niced: 16 s)."""
    os.nice(HOG_NICENESS)
    while time.monotonic() < until:
        pass


@pytest.mark.integration
def test_mini_smoke_store_is_byte_identical_under_load(tmp_path, golden_store):
    """The mini-smoke benchmark (training included, fresh home, fresh process) with every core busy gives
    the store it gives at rest: `golden_store`, this session's at-rest run of the same fixed-seed selection
    (tests/golden, shared with the golden test, so the at-rest run is paid once). The hogs, one per core, run
    niced (`_spin`) and are bounded: they stop by themselves after at most 30 minutes."""
    ctx = multiprocessing.get_context("spawn")
    hogs = [ctx.Process(target=_spin, args=(time.monotonic() + 1800,), daemon=True) for _ in range(os.cpu_count() or 2)]
    for hog in hogs:
        hog.start()
    try:
        loaded = selection_store(tmp_path / "load").read_bytes()
    finally:
        for hog in hogs:
            hog.terminate()
            hog.join()
    assert loaded == golden_store.read_bytes(), "the store under load differs from the store at rest"
