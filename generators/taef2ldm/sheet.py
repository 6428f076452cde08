"""A contact sheet of the TAEF2 denoisers' samples, for the documentation (docs/lab-notes/taef2.md):

    python -m fakebench.generators.taef2ldm.sheet --out docs/taef2_denoisers.png [--n 8] [--seed 0]

One column per image of the seed's stream (seed 0 is the benchmark's first test-fake seed, so the
starts are test-split photos); rows: the start crop as stored, its TAEF2 round trip, the `taef2-sd`
sample and the `taef2-playground` sample from that start.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import torch
from PIL import Image

from fakebench.core.pixels import to_uint8_hwc
from fakebench.generators.registry import create_generator
from fakebench.generators.taef2ldm.architectures import SPECS

ROWS = ("start crop", "TAEF2 round trip", *(s.name for s in SPECS))
GAP = 2


def sheet_rows(n: int, seed: int) -> list[torch.Tensor]:
    """The sheet's rows (each N x 3 x H x W in [0, 1]), in the order of ROWS."""
    generators = [create_generator(s.name) for s in SPECS]
    starts = generators[0].start_images(seed, range(n))
    return [starts, generators[0].reconstruct(starts), *(g.generate_indices(seed, range(n)) for g in generators)]


def contact_sheet(rows: list[torch.Tensor]) -> Image.Image:
    """Rows of equal-size images on a white grid, GAP pixels apart."""
    n, _, h, w = rows[0].shape
    sheet = Image.new("RGB", (n * (w + GAP) - GAP, len(rows) * (h + GAP) - GAP), "white")
    for r, row in enumerate(rows):
        for c, pixels in enumerate(to_uint8_hwc(row)):
            sheet.paste(Image.fromarray(pixels), (c * (w + GAP), r * (h + GAP)))
    return sheet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="PNG file to write")
    parser.add_argument("--n", type=int, default=8, help="images per row")
    parser.add_argument("--seed", type=int, default=0, help="sample stream (0: the first test-fake seed)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    with torch.inference_mode():
        contact_sheet(sheet_rows(args.n, args.seed)).save(args.out, optimize=True)
    logging.getLogger(__name__).info("rows: %s -> %s", ", ".join(ROWS), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
