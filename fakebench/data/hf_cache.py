"""The one Hugging Face cache resolver: where the hub's models and datasets live, read from the
environment at call time (huggingface_hub and datasets read it once, at import, so a test or a
notebook that changes HF_HOME afterwards would otherwise look in the old place).

Precedence, as huggingface_hub documents it: the folder's own variable (HF_HUB_CACHE, or the older
HUGGINGFACE_HUB_CACHE; HF_DATASETS_CACHE), then HF_HOME/<kind>, then
$XDG_CACHE_HOME/huggingface/<kind>, then ~/.cache/huggingface/<kind>."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

CacheKind = Literal["hub", "datasets"]
_OWN_VARIABLES: dict[str, tuple[str, ...]] = {
    "hub": ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"),
    "datasets": ("HF_DATASETS_CACHE",),
}


def hf_cache_dir(kind: CacheKind) -> Path:
    """The Hugging Face `hub` (models, dataset snapshots) or `datasets` (prepared datasets) cache."""
    for variable in _OWN_VARIABLES[kind]:
        if os.environ.get(variable):
            return Path(os.environ[variable]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / kind
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "huggingface" / kind


def hf_hub_cache() -> Path:
    """The hub cache: where models and dataset snapshots are looked up (and, when asked, downloaded)."""
    return hf_cache_dir("hub")
