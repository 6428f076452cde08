"""What `fakebench.generators.catalog` declares of each built-in generator (shown by `fakebench list
generators` without building it) is what its factory builds. Building a real model loads no weights,
so every built-in is built here."""
from __future__ import annotations

import pytest

from fakebench.generators import GENERATORS
from fakebench.generators.hub_models import HUB_MODELS
from fakebench.generators.mini.architectures import MINI_SPECS
from fakebench.generators.taef2ldm.architectures import SPECS as DENOISER_SPECS

BUILTINS = sorted([s.name for s in (*HUB_MODELS, *MINI_SPECS, *DENOISER_SPECS)] + ["taef2"])


def test_every_builtin_is_declared():
    assert [n for n in GENERATORS.names() if GENERATORS.info(n) is not None] == BUILTINS


@pytest.mark.parametrize("name", BUILTINS)
def test_declared_info_is_what_the_factory_builds(name, monkeypatch):
    monkeypatch.delenv("FAKEBENCH_MODELS_DIR", raising=False)  # a real model's source: the (absent) Hub cache
    generator = GENERATORS.create(name)
    assert GENERATORS.info(name) == generator.info and GENERATORS.origin(name) == "built-in"
