"""Convert a known ImageNet file (torchvision's .pth) into the safetensors copy fakebench commits, once.

    python -m fakebench.detectors.imagenet_convert mobilenet_v2-b0353104 --src mobilenet_v2-b0353104.pth

The .pth must have the sha256 `IMAGENET_FILES` records; it is read with `torch.load(weights_only=True)`
(tensors only, no code runs), checked to load strictly into torchvision's architecture, and written
unchanged (same names, dtypes and values: float32, lossless) with its source in the metadata. The
folder's SHA256SUMS is rewritten; its LICENSE and SOURCE.md are written by hand.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from safetensors.torch import save_file
from torchvision.models import get_model

from fakebench.core.cache import atomic_path, file_sha256
from fakebench.core.errors import FakebenchError
from fakebench.core.safeload import load_tensors
from fakebench.detectors.imagenet_files import IMAGENET_FILES, WEIGHTS_DIR, ImagenetFile
from fakebench.generators.manifest import write_manifest

log = logging.getLogger(__name__)


def convert(entry: ImagenetFile, src: Path, out: Path = WEIGHTS_DIR) -> Path:
    """Write `entry`'s committed copy from torchvision's file `src` into `out`, then the manifest."""
    if not entry.vendored or not entry.full_digest:
        raise FakebenchError(f"{entry.file} has no committed copy (or no full sha256) to convert into",
                             fix="give the entry `vendored` and the full sha256 of the file you checked")
    digest = file_sha256(src)
    if digest != entry.sha256:
        raise FakebenchError(f"{str(src)!r} has sha256 {digest}, expected {entry.expected()}",
                             fix=f"use torchvision's own file ({entry.source})")
    tensors = {k: v.contiguous() for k, v in load_tensors(src).items()}
    get_model(entry.arch, weights=None).load_state_dict(tensors, strict=True)  # raises on any misfit
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / entry.vendored) as tmp:
        save_file(tensors, str(tmp), metadata={"source": entry.source, "source_sha256": entry.sha256,
                                               "converted_by": "fakebench.detectors.imagenet_convert"})
    log.info("%s: %d tensors, %s", entry.vendored, len(tensors), sorted({str(t.dtype) for t in tensors.values()}))
    write_manifest(out)
    return out / entry.vendored


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=sorted(n for n, f in IMAGENET_FILES.items() if f.vendored),
                        help="the known file to convert")
    parser.add_argument("--src", required=True, type=Path, help="torchvision's .pth file")
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR, help="where the safetensors copy goes")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        path = convert(IMAGENET_FILES[args.name], args.src, args.out)
    except FakebenchError as exc:
        print(f"imagenet_convert: error: {exc}", file=sys.stderr)
        return 2
    print(f"{path}  sha256 {file_sha256(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
