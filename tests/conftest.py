"""Every test gets its own empty results home, so nothing touches (or reuses) the user's cache."""
from __future__ import annotations

import pytest

from generators.corpus import CorpusConfig


@pytest.fixture(autouse=True)
def fb_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("fakebench-home")
    monkeypatch.setenv("FAKEBENCH_HOME", str(home))
    return home


@pytest.fixture
def tiny_corpus() -> CorpusConfig:
    return CorpusConfig(crops_per_photo={"train": 3, "val": 2, "test": 2})
