"""`pytest benchmark/` runs the benchmark: this conftest adds its options and wakes the fakebench plugin
(`fakebench.pytest_plugin`), which registers its hooks and fixtures for this run only. Nothing is
registered for other pytest runs in the environment."""
import pytest

from fakebench.pytest_plugin import activate, add_options


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    activate(config)
