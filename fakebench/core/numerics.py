"""Pinned CPU numerics: the same seed gives the same bits on any x86-64 machine with AVX2, under any load.

PyTorch picks its CPU kernels per machine (ATen's capability dispatch, oneDNN's ISA, MKL's code path) and
splits reductions by its intra-op thread count, so floating-point results, and with them checkpoints and
scores, differ by machine. Measured on an AVX-512 AMD EPYC (2 cores): each of ATEN_CPU_CAPABILITY,
ONEDNN_MAX_CPU_ISA, MKL_CBWR and the thread count alone changes a tiny detector's trained weights; the
same settings twice, or under load, change nothing.

`pin()` is called where a process starts (the CLI's `main`, the pytest plugin's `activate`; torchrun
ranks run one of the two). The kernel knobs are environment variables the libraries read once, lazily,
when torch runs its first CPU kernel (not when it is imported), so `pin()` sets them in `os.environ`
before that and then reads back what is in effect. No re-exec: a re-exec would break in-process runs
(pytester, notebooks) and double the start-up; instead a process that ran kernels before `pin()` is
named in one warning and its fingerprint says `portable: false`.

`fast` (`--fast-numerics`, or FAKEBENCH_NUMERICS=fast) leaves the machine's own choices (and any knob
the user set) in place: faster on big machines, and the run says its numbers are machine-specific."""
from __future__ import annotations

import ctypes
import logging
import os
import platform
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fakebench.core.errors import FakebenchError

log = logging.getLogger(__name__)

MODE_ENV = "FAKEBENCH_NUMERICS"  # the mode, inherited by child processes (DataLoader workers, subprocesses)
PORTABLE, FAST = "portable", "fast"
MODES = (PORTABLE, FAST)
# Intra-op threads of a pinned run: reductions split by it, so it is part of the numbers. Two keeps the
# default speed of the 2-core machines the reference numbers come from; more cores stay idle (use fast).
PINNED_THREADS = 2
# read by OpenMP and MKL when torch loads: torch.get_num_threads() is then PINNED_THREADS from the start
THREAD_ENV = {"OMP_NUM_THREADS": str(PINNED_THREADS), "MKL_NUM_THREADS": str(PINNED_THREADS)}


@dataclass(frozen=True)
class Knob:
    """An environment variable that chooses CPU kernels: the value a pinned run sets and the values it takes."""

    name: str
    pinned: str
    values: tuple[str, ...]
    suffixes: tuple[str, ...] = ()  # accepted ",SUFFIX" modifiers (MKL_CBWR's ",STRICT")

    def check(self, value: str) -> None:
        base, *mods = [part.strip().upper() for part in value.split(",")]
        if base not in {v.upper() for v in self.values} or any(m not in self.suffixes for m in mods):
            extra = "".join(f" (optionally ,{s})" for s in self.suffixes)
            raise FakebenchError(f"{self.name}={value!r} is not a value it takes: {', '.join(self.values)}{extra}",
                                 fix=f"unset {self.name} (a pinned run sets {self.name}={self.pinned}) or use one of "
                                     "those values")


KNOBS = (
    Knob("ATEN_CPU_CAPABILITY", "avx2", ("default", "avx2", "avx512")),
    Knob("ONEDNN_MAX_CPU_ISA", "AVX2",
         ("SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE", "AVX512_CORE_VNNI", "AVX512_CORE_BF16",
          "AVX512_CORE_FP16", "AVX512_CORE_AMX", "AVX512_CORE_AMX_FP16", "AVX10_1_512", "AVX10_1_512_AMX",
          "AVX10_1_512_AMX_FP16", "AVX10_2_512", "AVX10_2_512_AMX_2", "ALL", "DEFAULT")),
    Knob("MKL_CBWR", "AVX2",
         ("AUTO", "COMPATIBLE", "SSE2", "SSSE3", "SSE4_1", "SSE4_2", "AVX", "AVX2", "AVX512_MIC", "AVX512",
          "AVX512_MIC_E1", "AVX512_E1", "AVX512_E2", "AVX512_E3", "AVX512_E4", "AVX2_E1", "OFF"), ("STRICT",)),
)
KNOB_NAMES = tuple(k.name for k in KNOBS)
NO_AVX2 = ("this CPU has no AVX2: fakebench runs on the kernels it has, and its numbers will not match those of "
           "x86-64 machines with AVX2")


def mode(fast: bool | None = None) -> str:
    """The requested mode: `fast` when given, else $FAKEBENCH_NUMERICS (default portable)."""
    if fast is not None:
        return FAST if fast else PORTABLE
    value = os.environ.get(MODE_ENV, PORTABLE).strip().lower() or PORTABLE
    if value not in MODES:
        raise FakebenchError(f"{MODE_ENV}={value!r} is not a value it takes: {', '.join(MODES)}",
                             fix=f"unset {MODE_ENV} (portable) or pass --fast-numerics")
    return value


def check_knobs(environ: dict[str, str] | None = None) -> None:
    """Every kernel knob the user set takes a known value; else one line naming it and its values."""
    environ = os.environ if environ is None else environ
    for knob in KNOBS:
        if environ.get(knob.name, "").strip():
            knob.check(environ[knob.name])


@cache
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags (Linux /proc/cpuinfo; empty elsewhere, where nothing can be said)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.partition(":")[2].split())
    return frozenset()


def is_x86() -> bool:
    return platform.machine().lower() in ("x86_64", "amd64")


def has_avx2() -> bool:
    """True on an x86-64 CPU with AVX2 and FMA (what the pinned kernels need); unknown flags count as yes."""
    flags = cpu_flags()
    return is_x86() and (not flags or {"avx2", "fma"} <= flags)


def pinned_environment() -> dict[str, str]:
    """What a pinned run sets: every knob at its pinned value, on x86-64 with AVX2; nothing elsewhere."""
    if not has_avx2():
        return {}
    return {k.name: k.pinned for k in KNOBS}


def pin(fast: bool | None = None) -> str:
    """Pin (or, fast, leave) this process's CPU numerics; returns the mode. Call it where a process starts,
    before torch runs a CPU kernel (importing torch is fine: it reads the knobs at its first kernel). Bad
    knob values raise a FakebenchError; a CPU without AVX2 gets one warning and runs on. Torch is not
    imported here (a command that never needs it does not pay for it); `fingerprint()` says what took."""
    chosen = mode(fast)
    check_knobs()
    os.environ[MODE_ENV] = chosen  # children (workers, subprocesses, torchrun ranks) inherit the mode
    if chosen == FAST:
        log.info("numerics: fast (this machine's own kernels and threads): numbers are machine-specific")
        return chosen
    if is_x86() and not has_avx2():
        _warn_once(NO_AVX2)
    for name, value in {**pinned_environment(), **THREAD_ENV}.items():
        given = os.environ.get(name, "").strip()
        if given and given.upper() != value.upper() and name not in THREAD_ENV:
            log.warning("numerics: %s=%s replaced by %s=%s for portable numbers (--fast-numerics keeps yours)",
                        name, given, name, value)
        os.environ[name] = value
    if "torch" in sys.modules:  # already loaded (pytest, a notebook): set its threads, say if kernels ran
        torch = sys.modules["torch"]
        torch.set_num_threads(PINNED_THREADS)
        capability = torch.backends.cpu.get_cpu_capability().lower()
        wanted = pinned_environment().get("ATEN_CPU_CAPABILITY", capability)
        if capability != wanted:
            _warn_once("numerics could not be pinned in this process (torch ran CPU kernels before fakebench "
                       f"started, on {capability.upper()}); its numbers are machine-specific")
    return chosen


@cache
def _warn_once(message: str) -> None:
    log.warning(message)


def _build_config() -> str:
    import torch

    return torch.__config__.show()


def _library_version(marker: str) -> str:
    """A library version from torch's build summary (MKL's and oneDNN's are linked in statically)."""
    for line in _build_config().splitlines():
        if marker in line:
            words = line.replace("(R)", "").split()
            for word in words:
                if word[:1].isdigit() or (word[:1] == "v" and word[1:2].isdigit()):
                    return word.lstrip("v").split("-")[0]
    return ""


@cache
def _mkl_branch_reader():
    """MKL's `mkl_serv_cbwr_get`, exported by libtorch_cpu on x86-64 builds; None where it is not."""
    import torch

    try:
        lib = ctypes.CDLL(str(Path(torch.__file__).parent / "lib" / "libtorch_cpu.so"))
        return lib.mkl_serv_cbwr_get
    except (OSError, AttributeError):
        return None


def mkl_cbwr_in_effect() -> int | None:
    """MKL's reproducibility branch in effect (1: off; 2: auto, which MKL reports for any AVX* branch on
    non-Intel CPUs; 3: compatible; ...), or None when it cannot be read."""
    reader = _mkl_branch_reader()
    return int(reader(1)) if reader is not None else None


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def fingerprint() -> dict[str, Any]:
    """What shapes this process's CPU numbers: CPU, ISA in use, threads, library versions, pinning.
    `portable` is true when the pinned values are in effect (so an AVX2 x86-64 machine gives the same bits)."""
    import torch

    capability = torch.backends.cpu.get_cpu_capability()
    chosen = mode()
    knobs = {name: os.environ.get(name, "") for name in KNOB_NAMES}
    pinned = pinned_environment()
    portable = (chosen == PORTABLE and bool(pinned) and torch.get_num_threads() == PINNED_THREADS
                and capability.lower() == pinned["ATEN_CPU_CAPABILITY"]
                and all(knobs[k].upper() == v.upper() for k, v in pinned.items()))
    flags = cpu_flags()
    return {
        "mode": chosen,
        "portable": portable,
        "cpu": cpu_model(),
        "machine": platform.machine(),
        "cpu_isa": sorted(f for f in flags if f.startswith(("avx", "fma", "amx"))),
        "aten_capability": capability,
        "knobs": knobs,
        "mkl_cbwr_branch": mkl_cbwr_in_effect(),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "mkl": _library_version("Math Kernel Library"),
        "onednn": _library_version("MKL-DNN") or _library_version("oneDNN"),
        "deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
    }


# the fields whose difference changes numbers; the CPU model matters only where a run is not portable
NUMERIC_FIELDS = ("mode", "portable", "aten_capability", "knobs", "mkl_cbwr_branch", "threads", "torch", "mkl",
                  "onednn", "deterministic_algorithms")


def cache_suffix() -> str:
    """Fast runs keep their artifacts apart from pinned ones (theirs are machine-specific bits)."""
    return "" if mode() == PORTABLE else "-fast"


def differences(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[str]:
    """One line per numerics field two runs differ in (empty when they match). A run without a
    fingerprint (older than it) is one line; different CPUs count only where a run is not portable."""
    if not old or not new:
        missing = "the old run" if not old else "the new run"
        return [] if not old and not new else [f"{missing} records no numerics fingerprint (older fakebench)"]
    lines = [f"{key}: {old.get(key)!r} -> {new.get(key)!r}" for key in NUMERIC_FIELDS if old.get(key) != new.get(key)]
    if old.get("cpu") != new.get("cpu") and not (old.get("portable") and new.get("portable")):
        lines.append(f"cpu: {old.get('cpu')!r} -> {new.get('cpu')!r} (numbers machine-specific)")
    return lines


def summary(found: dict[str, Any]) -> str:
    """One line for reports: portable or machine-specific, and what in effect."""
    how = ("portable (pinned: same bits on any x86-64 machine with AVX2)" if found.get("portable")
           else "machine-specific (not pinned: numbers may differ on another machine)")
    return (f"{how}; {found.get('cpu')}, ATen {found.get('aten_capability')}, {found.get('threads')} threads, "
            f"torch {found.get('torch')}, MKL {found.get('mkl')}, oneDNN {found.get('onednn')}")
