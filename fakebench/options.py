"""The options that both front ends take, declared once: `pytest benchmark/` (the plugin's `add_options`)
and the `fakebench` command (`score`, `train`, `bench`, ...) add them from `SHARED`, so a name, its type,
its default and its help cannot drift between the two."""
from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from fakebench.data.sources import SOURCE_HELP


def positive_int(text: str) -> int:
    """An integer >= 0 (argparse and pytest both call an option's `type` on its text)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value


def at_least_one(text: str) -> int:
    """An integer >= 1."""
    value = positive_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


PERTURBATIONS_HELP = ("comma-separated perturbation ids (jpeg75, resize0.5, short128, webp50, blur1, "
                      "resize0.5+jpeg75), 'grid' (the full robustness grid) or 'quick' (identity,resize0.5,jpeg75)")

# option -> its add_argument / addoption keywords (a front end may change the default, never the rest)
SHARED: dict[str, dict[str, Any]] = {
    "--perturbations": {"default": None, "help": PERTURBATIONS_HELP},
    "--device": {"default": "cpu", "help": "torch device: cpu, cuda, cuda:1, mps, or auto"},
    "--bench-seed": {"type": int, "default": 0, "help": "seed for test fakes and perturbations"},
    "--data": {"metavar": "folder:PATH|hf:NAME", "help": "a labelled dataset: " + SOURCE_HELP},
    "--batch-size": {"type": at_least_one, "default": 64, "help": "images per model call when scoring"},
    "--workers": {"type": positive_int, "default": None,
                  "help": "decoding workers (default: by the machine's cores)"},
    "--fast-numerics": {"action": "store_true",
                        "help": "let torch pick this machine's fastest CPU kernels and threads: faster, but the "
                                "numbers are machine-specific (default: pinned, the same bits on any x86-64 machine "
                                "with AVX2)"},
}


def add_shared(add: Callable[..., Any], name: str, *, help_suffix: str = "", **changes: Any) -> None:
    """Declare shared option `name` through `add` (argparse's `add_argument` or pytest's `addoption`);
    `changes` may set its default, `required` or `action` for this front end, `help_suffix` says more."""
    kwargs = {**SHARED[name], **changes}
    if help_suffix:
        kwargs["help"] = f"{kwargs['help']}{help_suffix}"
    add(name, **kwargs)
