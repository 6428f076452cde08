"""`pytest benchmark/` runs the benchmark: this wakes the fakebench plugin (registered through the
`pytest11` entry point; its hooks live in `fakebench.pytest_plugin`)."""
import pytest

from fakebench.pytest_plugin import activate


def pytest_configure(config: pytest.Config) -> None:
    activate(config)
