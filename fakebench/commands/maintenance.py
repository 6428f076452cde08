"""`fakebench mini ...`: retrain and verify the committed mini-world and TAEF2-latent weights."""
from __future__ import annotations

import argparse
from pathlib import Path


def cmd_mini_train(args: argparse.Namespace) -> int:
    from pathlib import Path

    from fakebench.generators.mini.architectures import MiniTrainConfig
    from fakebench.generators.mini.train import train_mini_world
    from fakebench.generators.mini.weights import WEIGHTS_DIR

    cfg = MiniTrainConfig(seed=args.seed)
    out = Path(args.out) if args.out else WEIGHTS_DIR
    timings = train_mini_world(cfg, out)
    print(f"mini world trained in {timings['total']:.0f} s -> {out}")
    return 0


def cmd_mini_train_taef2(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from fakebench.generators.taef2ldm.architectures import DenoiserTrainConfig
    from fakebench.generators.taef2ldm.train import train_denoisers
    from fakebench.generators.taef2ldm.weights import WEIGHTS_DIR

    out = Path(args.out) if args.out else WEIGHTS_DIR
    cfg = DenoiserTrainConfig(seed=args.seed)
    record = train_denoisers(cfg if args.wall_seconds is None else replace(cfg, wall_seconds=args.wall_seconds), out)
    for name, r in record["denoisers"].items():
        print(f"{name}: {r['steps']}/{r['planned_steps']} steps of {r['batch']} in {r['seconds']:.0f} s")
    print(f"TAEF2 denoisers -> {out}")
    return 0


def cmd_mini_verify(args: argparse.Namespace) -> int:
    from fakebench.generators.mini.architectures import UNETS, VAES
    from fakebench.generators.mini.weights import verify_component
    from fakebench.generators.taef2.weights import verify as verify_taef2
    from fakebench.generators.taef2ldm.architectures import SPECS as TAEF2_DENOISERS
    from fakebench.generators.taef2ldm.weights import verify_component as verify_denoiser

    for component in list(VAES) + list(UNETS):
        print(f"{component:18s} ok  {verify_component(component)[:16]}")
    print(f"{'taef2':18s} ok  {verify_taef2()[:16]}")
    for spec in TAEF2_DENOISERS:
        print(f"{spec.name:18s} ok  {verify_denoiser(spec.component)[:16]}")
    if args.quality:
        print_quality(args.quality_sides, args.quality_crops)
    return 0


QUALITY_GENERATORS = ("mini-sd", "mini-othervae", "taef2")  # one per autoencoder: vae-sd, vae-other, taef2


def print_quality(sides: list[int], per_photo: int) -> None:
    """Round-trip PSNR of each autoencoder on crops of the held-out test photos."""
    from tabulate import tabulate

    from fakebench.generators import create_generator
    from fakebench.generators.quality import round_trip_quality

    rows = []
    for name in QUALITY_GENERATORS:
        generator = create_generator(name)
        for side in sides:
            q = round_trip_quality(generator, side, per_photo)
            rows.append([name, generator.info.autoencoder, side, q.crops, q.psnr_mean, q.psnr_min])
    print(tabulate(rows, headers=["generator", "autoencoder", "crop side", "crops", "PSNR dB (mean)", "PSNR dB (min)"],
                   floatfmt=".1f"))
    print("round trip of crops of the held-out test photos (coffee, rocket, flower), fp32 on CPU")
