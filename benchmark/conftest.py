"""Loads the fakebench plugin for `pytest benchmark/` (hooks live in benchmark.plugin)."""
from benchmark.plugin import (  # noqa: F401
    bench,
    live,
    pytest_addoption,
    pytest_configure,
    pytest_generate_tests,
    pytest_terminal_summary,
)
