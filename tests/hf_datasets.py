"""Tiny Hugging Face datasets written by the tests themselves: save_to_disk folders and a fake hub cache."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def png(seed: int, size: tuple[int, int] = (24, 20)) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray((rng.random((size[1], size[0], 3)) * 255).astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def tiny_dataset(n_real: int = 3, generators: tuple[str, ...] = ("gen-a", "gen-b"), label_names=("real", "fake"),
                 image: str = "image", label: str = "label", extra_rows: list[dict] | None = None):
    """Reals, then n_real fakes per generator; labels through a ClassLabel with `label_names`."""
    from datasets import ClassLabel, Dataset, Features, Value
    from datasets import Image as HFImage

    real, fake = label_names.index("real"), label_names.index("fake")
    rows = [{image: {"bytes": png(i), "path": None}, label: real, "generator": None} for i in range(n_real)]
    rows += [{image: {"bytes": png(100 * (g + 1) + i), "path": None}, label: fake, "generator": gen}
             for g, gen in enumerate(generators) for i in range(n_real)]
    rows += extra_rows or []
    features = Features({image: HFImage(), label: ClassLabel(names=list(label_names)), "generator": Value("string")})
    return Dataset.from_list(rows, features=features)


def fake_hub_cache(hf_home: Path, repo_id: str, splits: dict) -> Path:
    """The layout `hf download --repo-type dataset REPO` leaves: refs/main -> snapshots/<commit>/data/*.parquet."""
    repo = hf_home / "hub" / f"datasets--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / COMMIT
    for split, ds in splits.items():
        (snapshot / "data").mkdir(parents=True, exist_ok=True)
        ds.to_parquet(str(snapshot / "data" / f"{split}-00000-of-00001.parquet"))
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(COMMIT)
    return snapshot
