"""Artifacts built once per test session, whichever pytest-xdist worker asks first: the others wait for it
(fakebench.core.locks.build_once) and read the same folder. A session fixture alone is built once per
worker, and a module fixture once per worker that draws one of the module's tests."""
from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from fakebench.core.locks import build_once


def session_shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of this session shared by its xdist workers (their common temporary root; without xdist,
    this run's own)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def build_shared(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], object],
                 what: str) -> Path:
    """The session's folder `name`, filled by `build(folder)` once in the session (a build that raised is
    redone from an empty folder by the next test that asks)."""
    folder = session_shared_dir(tmp_path_factory) / name
    done = folder.with_name(f".{name}.done")

    def make() -> Path:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        build(folder)
        done.touch()  # last: its existence means the folder is whole
        return folder

    return build_once(done, make, lambda: folder, what)
