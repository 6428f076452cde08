"""Measure the training-free detectors (`rt-ratio`, `aeroblade`) on held-out corpus crops against their
TAEF2 round trips, clean and perturbed: AUC and pair accuracy (the share of pairs where the round trip
scores above its own real), as issue 24's table reports them.

    FAKEBENCH_HOME=/tmp/fb .venv/bin/python -m fakebench.perf.roundtrip --crops 16 --side 128

The crops come from the test split's photos (never used to set anything); the fakes are the round trips
the benchmark writes (PNG); each image is perturbed as the benchmark perturbs it. Both statistics come
from the same two round trips per image (fakebench.detectors.reconstruction), which halves the CPU time.
"""
from __future__ import annotations

import argparse
import logging

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import roc_auc_score
from tqdm.auto import tqdm

from fakebench.data.corpus import CorpusConfig
from fakebench.data.imagesets import ImageSet, real_split
from fakebench.detectors.reconstruction import MAPS, round_trip_errors, statistic_of
from fakebench.evaluation.perturbations import apply, parse_perturbation
from fakebench.generators import create_generator
from fakebench.generators.fakesets import reconstructed_set

log = logging.getLogger(__name__)


def _pixels(imageset: ImageSet, perturbation: str) -> tuple[list[str], torch.Tensor]:
    p = parse_perturbation(perturbation)
    ids = [r.image_id.removesuffix("-recon") for r in imageset.records]
    images = [apply(p, imageset.read(r), 0, r.image_id) for r in imageset.records]
    return ids, torch.stack([torch.from_numpy(np.asarray(im, dtype=np.float32) / 255).permute(2, 0, 1)
                             for im in images])


def pair_table(generator: str, crops: int, side: int, perturbations: list[str], batch: int = 8) -> pd.DataFrame:
    corpus = CorpusConfig(crops_per_photo={"train": 1, "val": 1, "test": crops}, scales=(1.0,), min_side=side,
                          max_side=side)
    model = create_generator(generator)
    reals = real_split("test", corpus)
    fakes = reconstructed_set(model, reals)
    rows = []
    for pid in tqdm(perturbations, desc="perturbations"):
        stats: dict[str, dict[str, pd.Series]] = {k: {} for k in MAPS}
        for label, imageset in (("real", reals), ("fake", fakes)):
            ids, x = _pixels(imageset, pid)
            errors = [round_trip_errors(x[i:i + batch], model.reconstruct)
                      for i in tqdm(range(0, len(x), batch), desc=f"{pid} {label}", leave=False)]
            first, second = torch.cat([e[0] for e in errors]), torch.cat([e[1] for e in errors])
            for kind in MAPS:
                stats[kind][label] = pd.Series(statistic_of(kind, first, second).numpy(), index=ids)
        for kind, by_label in stats.items():
            both = pd.concat(by_label, axis=1, join="inner")
            auc = roc_auc_score([0] * len(both) + [1] * len(both), [*both["real"], *both["fake"]])
            rows.append({"detector": kind, "perturbation": pid, "pairs": len(both), "auc": round(auc, 3),
                         "pair_acc": round(float((both["fake"] > both["real"]).mean()), 3)})
    return pd.DataFrame(rows).sort_values(["detector", "perturbation"], kind="stable")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crops", type=int, default=16, help="crops per test photo")
    parser.add_argument("--side", type=int, default=128)
    parser.add_argument("--generator", default="taef2")
    parser.add_argument("--perturbations", default="identity,jpeg75,resize0.5")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    print(pair_table(args.generator, args.crops, args.side, args.perturbations.split(",")).to_string(index=False))


if __name__ == "__main__":
    main()
