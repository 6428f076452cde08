"""One Hugging Face cache resolver, read at call time, with huggingface_hub's precedence."""
from pathlib import Path

import pytest

from fakebench.data.hf_cache import hf_cache_dir

VARIABLES = ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_DATASETS_CACHE", "HF_HOME", "XDG_CACHE_HOME")


@pytest.fixture
def env(monkeypatch, tmp_path):
    for var in VARIABLES:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return monkeypatch


@pytest.mark.parametrize("kind", ["hub", "datasets"])
def test_each_level_of_precedence_in_turn(env, tmp_path, kind):
    assert hf_cache_dir(kind) == tmp_path / "home" / ".cache" / "huggingface" / kind
    env.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hf_cache_dir(kind) == tmp_path / "xdg" / "huggingface" / kind
    env.setenv("HF_HOME", str(tmp_path / "hfhome"))
    assert hf_cache_dir(kind) == tmp_path / "hfhome" / kind
    own = "HF_HUB_CACHE" if kind == "hub" else "HF_DATASETS_CACHE"
    env.setenv(own, str(tmp_path / "own"))
    assert hf_cache_dir(kind) == tmp_path / "own"


def test_the_older_hub_variable_counts_below_the_new_one(env, tmp_path):
    env.setenv("HF_HOME", str(tmp_path / "hfhome"))
    env.setenv("HUGGINGFACE_HUB_CACHE", "~/old")
    assert hf_cache_dir("hub") == Path(tmp_path / "home" / "old")
    assert hf_cache_dir("datasets") == tmp_path / "hfhome" / "datasets"  # the hub's variable is the hub's alone
    env.setenv("HF_HUB_CACHE", str(tmp_path / "new"))
    assert hf_cache_dir("hub") == tmp_path / "new"


@pytest.mark.integration
def test_it_agrees_with_huggingface_hub_read_fresh(env, tmp_path):
    """huggingface_hub's own resolution (its constants, re-read in a fresh interpreter) lands where we do."""
    import subprocess
    import sys

    env.setenv("HF_HOME", str(tmp_path / "hfhome"))
    code = "from huggingface_hub import constants; print(constants.HF_HUB_CACHE)"
    theirs = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert Path(theirs) == hf_cache_dir("hub")
