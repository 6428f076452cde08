"""Does a detector read the decoder's trace or the file format? Its AUC on the world's validation reals
against their round trips written as PNG (as `aligned_storage = "png"` writes them) and stored like their reals
(JPEG with each real's own quantization tables and subsampling: `fakebench.data.imagesets.stored_like`),
clean and under the benchmark's perturbations.

    FAKEBENCH_HOME=/tmp/fb python -m fakebench.experiments.formatprobe --world lite \\
        --detectors aligned-npr,aligned-sync-npr,rt-ratio --perturbations identity,jpeg75,resize0.5

Validation photos only (never the test photos), so it may guide a choice. A detector that learned the
trace scores both columns alike; one that learned "no JPEG grid" falls to chance on the stored-like fakes.
Trained detectors are trained (or loaded from the cache) as the benchmark trains them, seed `--seed`.
"""
from __future__ import annotations

import argparse
import logging

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from tabulate import tabulate

from fakebench.benchmark.cases import detector_specs
from fakebench.benchmark.session import BenchSession
from fakebench.benchmark.world import WorldConfig
from fakebench.benchmark.world_files import load_world
from fakebench.core import numerics
from fakebench.core.errors import FakebenchError
from fakebench.data.imagesets import stored_like
from fakebench.data.reals import source_reals
from fakebench.detectors.recipes import training_data
from fakebench.evaluation.perturbations import parse_perturbation
from fakebench.evaluation.scoring import score_images


def format_table(world: WorldConfig, labels: list[str], perturbations: list[str], seed: int = 0) -> pd.DataFrame:
    """One row per (detector, perturbation): AUC of validation reals vs their round trips as PNG and stored
    like the reals, and the drop between the two."""
    specs, _ = detector_specs(world)
    unknown = [label for label in labels if label not in specs]
    if unknown:
        raise FakebenchError(f"unknown detector(s) {', '.join(unknown)} in the {world.name} world",
                             fix=f"use some of {', '.join(sorted(specs))}")
    bench = BenchSession(world)
    real, val = source_reals(world.reals.train, world.reals.corpus, world.train.seed)
    data = training_data("aligned", bench.generator(world.train_generator), real, val, world.train.seed)
    fakes = {"png": data.val_fake, "stored like reals": stored_like(data.val_fake, data.val_real)}
    rows = []
    for label in labels:
        detector = bench.detector(specs[label], seed=seed)
        for pid in perturbations:
            perturbation = parse_perturbation(pid)
            reals = score_images(detector, data.val_real, perturbation)["score"].to_numpy()
            row = {"detector": label, "perturbation": perturbation.id}
            for name, imageset in fakes.items():
                scores = score_images(detector, imageset, perturbation)["score"].to_numpy()
                labels_ = np.r_[np.zeros(len(reals)), np.ones(len(scores))]
                row[f"AUC {name}"] = float(roc_auc_score(labels_, np.r_[reals, scores]))
            row["drop"] = row["AUC png"] - row["AUC stored like reals"]
            rows.append(row)
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--world", default="lite")
    parser.add_argument("--detectors", default="aligned-npr,aligned-sync-npr,rt-ratio")
    parser.add_argument("--perturbations", default="identity")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    numerics.pin()
    table = format_table(load_world(args.world), args.detectors.split(","), args.perturbations.split(","), args.seed)
    print(tabulate(table, headers="keys", showindex=False, floatfmt=".3f"))


if __name__ == "__main__":
    main()
