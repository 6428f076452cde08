"""Small folder datasets in the layouts published sets use, written by the tests themselves."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def write_image(path: Path, seed: int, size: tuple[int, int] = (40, 32), fmt: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    arr = (rng.random((size[1], size[0], 3)) * 255).astype(np.uint8)
    Image.fromarray(arr).save(path, format=fmt)
    return path


def real_fake(root: Path, n: int = 3) -> Path:
    for i in range(n):
        write_image(root / "real" / f"r{i}.jpg", i)
        write_image(root / "fake" / f"f{i}.png", 100 + i)
    return root


def cnndetection(root: Path) -> Path:
    """`<generator>/<class>/0_real|1_fake` (ProGAN has classes), `<generator>/0_real|1_fake`."""
    for cls in ("airplane", "cat"):
        write_image(root / "progan" / cls / "0_real" / "a.png", hash(cls) % 1000)
        write_image(root / "progan" / cls / "1_fake" / "a.png", hash(cls) % 1000 + 1)
    write_image(root / "biggan" / "0_real" / "x.png", 7)
    write_image(root / "biggan" / "1_fake" / "x.png", 8)
    return root


def genimage(root: Path) -> Path:
    for gen in ("sdv14", "midjourney"):
        for split in ("train", "val"):
            write_image(root / gen / split / "nature" / "n.jpg", len(gen) + len(split))
            write_image(root / gen / split / "ai" / "a.png", len(gen) * 3 + len(split))
    return root


def shared_reals(root: Path) -> Path:
    write_image(root / "real" / "r.jpg", 1)
    write_image(root / "fake" / "sd15" / "f.png", 2)
    write_image(root / "fake" / "playground" / "f.png", 3)
    return root
