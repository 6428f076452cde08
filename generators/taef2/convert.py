"""Convert the published TAEF2 checkpoints (`taef2_encoder.pth`, `taef2_decoder.pth` from
github.com/madebyollin/taesd) into the safetensors files fakebench commits, once.

    python -m fakebench.generators.taef2.convert --src DIR [--out generators/taef2/weights]

The .pth files are read with `torch.load(weights_only=True)` (tensors only, no code runs), their
keys are renamed onto our modules (`fakebench.generators.taef2.architecture`), every tensor is checked to
load strictly into them, and the tensors are written unchanged in dtype (the originals are fp16, so
the conversion is lossless). The licence text is copied from DIR, and SHA256SUMS is rewritten.
"""
from __future__ import annotations

import argparse
import logging
import shutil
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

from fakebench.core.cache import atomic_path, file_sha256
from fakebench.core.errors import FakebenchError
from fakebench.core.safeload import load_tensors
from fakebench.generators.manifest import write_manifest
from fakebench.generators.taef2.architecture import BLOCKS_PER_LEVEL, COMPONENTS, LEVELS, Component
from fakebench.generators.taef2.weights import WEIGHTS_DIR

log = logging.getLogger(__name__)

SOURCE_REPO = "https://github.com/madebyollin/taesd"
# the published files this conversion was made from (commit 5cccb12, "Add support for FLUX.2 VAE")
SOURCE_SHA256 = {
    "taef2_encoder.pth": "10a4e1021e89d7551eaf161352da8dbd0b1aa83872ae28b150c1df1ce2f147b6",
    "taef2_decoder.pth": "0a44a31e1ae59eb9dbf9359d24942fd3ef5928162c1800d97a28c61d51be0ab5",
}
# inside a residual block: the published sub-module names -> ours
BLOCK_PARTS = {"conv.0": "body.0", "conv.2": "body.2", "conv.4": "body.4",
               "pool.0": "context.expand", "pool.1": "context.norm", "pool.3": "context.project"}


def encoder_layout() -> dict[str, str]:
    """Published layer index (an nn.Sequential position) -> our module path, for the encoder:
    conv, block, then per level a strided conv and its blocks, then the latent conv."""
    layout = {"0": "stem", "1": "stem_block"}
    pos = 2
    for level in range(LEVELS):
        layout[str(pos)] = f"levels.{level}.down"
        for b in range(BLOCKS_PER_LEVEL):
            layout[str(pos + 1 + b)] = f"levels.{level}.blocks.{b}"
        pos += 1 + BLOCKS_PER_LEVEL
    layout[str(pos)] = "head"
    return layout


def decoder_layout() -> dict[str, str]:
    """The same for the decoder: clamp (no weights), conv, ReLU, then per level the blocks, an
    upsample (no weights) and a conv, then one block and the image conv."""
    layout = {"1": "stem"}
    pos = 3
    for level in range(LEVELS):
        for b in range(BLOCKS_PER_LEVEL):
            layout[str(pos + b)] = f"levels.{level}.blocks.{b}"
        layout[str(pos + BLOCKS_PER_LEVEL + 1)] = f"levels.{level}.mix"
        pos += BLOCKS_PER_LEVEL + 2
    layout[str(pos)] = "tail_block"
    layout[str(pos + 1)] = "head"
    return layout


LAYOUTS = {"encoder": encoder_layout, "decoder": decoder_layout}


def rename(key: str, layout: dict[str, str]) -> str:
    """`11.pool.0.weight` -> `levels.2.blocks.0.context.expand.weight`."""
    index, _, rest = key.partition(".")
    if index not in layout:
        raise FakebenchError(f"unexpected TAEF2 tensor {key!r}", fix="convert the taef2_*.pth files of " + SOURCE_REPO)
    for theirs, ours in BLOCK_PARTS.items():
        if rest.startswith(theirs + "."):
            rest = ours + rest[len(theirs):]
            break
    return f"{layout[index]}.{rest}"


def convert_component(component: Component, src: Path) -> dict[str, torch.Tensor]:
    """The published state dict of one half, renamed, checked to load strictly into our module."""
    path = src / component.file.replace(".safetensors", ".pth")
    if not path.is_file():
        raise FakebenchError(f"TAEF2 checkpoint {str(path)!r} is missing",
                             fix=f"download {path.name} from {SOURCE_REPO} into {src}")
    digest = file_sha256(path)
    if digest != SOURCE_SHA256[path.name]:
        log.warning("%s has sha256 %s, not the %s this conversion was checked on", path, digest[:12],
                    SOURCE_SHA256[path.name][:12])
    published = load_tensors(path)  # torch.load(weights_only=True): tensors only, no code runs
    layout = LAYOUTS[component.name]()
    tensors = {rename(k, layout): v.contiguous() for k, v in published.items()}
    component.module().load_state_dict(tensors, strict=True)  # raises on any missing or extra tensor
    return tensors


def convert(src: Path, out: Path = WEIGHTS_DIR) -> list[Path]:
    """Write both safetensors files, the licence and the manifest into `out`; return the weight files."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for component in COMPONENTS:
        tensors = convert_component(component, src)
        with atomic_path(out / component.file) as tmp:
            save_file(tensors, str(tmp),
                      metadata={"source": SOURCE_REPO, "converted_by": "fakebench.generators.taef2.convert"})
        written.append(out / component.file)
        log.info("%s: %d tensors, %s", component.file, len(tensors), {str(t.dtype) for t in tensors.values()})
    licence = src / "LICENSE"
    if licence.is_file():
        shutil.copyfile(licence, out / "LICENSE")
    elif not (out / "LICENSE").is_file():
        raise FakebenchError(f"no LICENSE in {src}", fix=f"copy the MIT LICENSE of {SOURCE_REPO} there")
    write_manifest(out)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", required=True, type=Path,
                        help="folder with taef2_encoder.pth, taef2_decoder.pth and LICENSE")
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR, help="where the safetensors go")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        for path in convert(args.src, args.out):
            print(f"{path}  sha256 {file_sha256(path)}")
    except FakebenchError as exc:
        print(f"convert: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
