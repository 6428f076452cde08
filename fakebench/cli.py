"""The `fakebench` command: data jobs, reports, benchmarks, listings and mini-world maintenance.

The data jobs are reconstruct, train, score, predict and audit.

The benchmark itself runs through pytest (`pytest benchmark/`), so that any pytest selection works.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from fakebench.commands.bench import (
    cmd_bench_cost,
    cmd_bench_hf,
    cmd_bench_report,
    cmd_bench_throughput,
)
from fakebench.commands.data import cmd_audit, cmd_predict, cmd_reconstruct, cmd_score, cmd_train
from fakebench.commands.listing import cmd_list
from fakebench.commands.maintenance import (
    cmd_mini_train,
    cmd_mini_train_taef2,
    cmd_mini_verify,
)
from fakebench.commands.reports import cmd_report, cmd_summary
from fakebench.core import numerics
from fakebench.core.errors import FakebenchError
from fakebench.options import add_shared, at_least_one, positive_int


def _add_audit(sub) -> None:
    au = sub.add_parser("audit", help="how aligned a training set is: shortcut AUC of its file metadata",
                        description="Read every image's header (format, JPEG quality, subsampling, size, mode, "
                                    "ICC/EXIF) per class and report how well metadata alone separates reals from "
                                    "fakes (cross-validated AUC, 95% interval, the leading cue), without training "
                                    "a detector.")
    au.add_argument("sources", nargs="+", metavar="SOURCE",
                    help="folder:PATH (any --data folder: layout), hf:NAME[:SPLIT] or hf:PATH, recon:PATH (a fakebench "
                         "reconstruct output), or a mini-world training set: mini:baseline, mini:aligned, "
                         "mini:aligned-sync, mini:shader")
    au.add_argument("--pairs", action="store_true", help="PSNR of each fake vs its real and the share of pairs "
                    "whose size or format differ (automatic for sources that know their pairs)")
    au.add_argument("--pixels", action="store_true",
                    help="also score cheap pixel statistics (intensity, saturation, sharpness; decodes every image)")
    au.add_argument("--json", type=Path, default=None, help="write the full audit as JSON here")
    au.add_argument("--html", type=Path, default=None, help="write an HTML page with per-class histograms here")
    au.add_argument("--seed", type=int, default=0, help="seed of the cross-validation folds and the bootstrap")
    au.set_defaults(func=cmd_audit)


def _add_device(p: argparse.ArgumentParser, dtype: bool = False) -> None:
    add_shared(p.add_argument, "--device")
    if dtype:
        p.add_argument("--dtype", default="fp32", choices=["fp32", "fp16", "bf16"], help="model precision")


def _add_detector_choice(p: argparse.ArgumentParser, registered: str) -> None:
    """--checkpoint / --detector: which detectors `score` and `predict` run."""
    p.add_argument("--checkpoint", action="append", help="model.safetensors from fakebench train (repeatable)")
    p.add_argument("--detector", action="append", help=f"registered detector {registered} (repeatable)")


def _add_data_commands(sub) -> None:
    rec = sub.add_parser("reconstruct", help="a folder of images through a generator's autoencoder (aligned fakes)",
                         description="Reconstruct every image below --input with the generator's autoencoder into "
                                     "--output (same relative paths, PNG). Resumable; works under torchrun.")
    rec.add_argument("--generator", required=True, help="registered generator, e.g. sd15 or mini-sd")
    rec.add_argument("--input", required=True, type=Path, help="folder of real images (recursive)")
    rec.add_argument("--output", required=True, type=Path, help="where the reconstructions go")
    rec.add_argument("--batch-size", type=at_least_one, default=16, help="halved automatically on out-of-memory")
    _add_device(rec, dtype=True)
    rec.set_defaults(func=cmd_reconstruct, distributed=True)

    tr = sub.add_parser("train", help="train a detector by a recipe (baseline, aligned, aligned-sync) on reals",
                        description="The paper's recipe on real data: reals vs their reconstructions (aligned; "
                                    "aligned-sync trains each real and its reconstruction in one batch under the "
                                    "same augmentation) or vs generated fakes (baseline). Defaults to the paper's "
                                    "augmentations and schedule. Resumes from the last epoch; DDP under torchrun.")
    tr.add_argument("--recipe", required=True, type=_recipe, help="baseline, aligned or aligned-sync")
    tr.add_argument("--generator", required=True, help="registered generator whose fakes (baseline) or autoencoder "
                    "(aligned recipes) the detector learns from (fakebench list generators)")
    tr.add_argument("--real", required=True, help="folder of real training images, procedural:N (N procedural "
                                                   "images, the paper's shader experiment), corpus, photos:N (N "
                                                   "crops of each photo Debian packages install), hf:NAME, or "
                                                   "a mixture as a world's [reals] train: 'corpus + procedural:700'")
    tr.add_argument("--val-real", type=Path, default=None, help="folder of validation reals (default: 5%% held out)")
    tr.add_argument("--recon", type=Path, default=None,
                    help="reconstructions of --real (and --val-real) written by fakebench reconstruct "
                         "(default: reconstructed here)")
    tr.add_argument("--aligned-storage", default="png",
                    help="aligned recipes: store the reconstructions as PNG (default) or like-reals (each a JPEG with "
                         "its real's quantization tables and subsampling, so a pair differs by the decoder alone)")
    tr.add_argument("--augment", default="paper",
                    help="augmentation preset: light, paper (default), light-webp or paper-webp")
    tr.add_argument("--schedule", default="paper",
                    help="cosine (AdamW, warm-up cosine) or paper (Adam 1e-4, lr/10 on plateau, early stop; default)")
    tr.add_argument("--detector", default="resnet50", help="registered trainable detector (fakebench list detectors)")
    tr.add_argument("--detector-arg", action="append", metavar="KEY=VALUE", help="factory argument, e.g. width=16")
    tr.add_argument("--pretrained", default="", help="'imagenet' (the detector's known ImageNet file: committed, or "
                    "torchvision's in the torch cache; never downloaded) or a weights file")
    tr.add_argument("--epochs", type=at_least_one, default=None,
                    help="epochs (cosine, default 5) or the most epochs (paper, default 100)")
    tr.add_argument("--batch-size", type=at_least_one, default=128,
                    help="global batch in images, split over processes (aligned-sync: pairs count as two)")
    tr.add_argument("--lr", type=float, default=None, help="learning rate (default: cosine 2e-3, paper 1e-4)")
    tr.add_argument("--weight-decay", type=float, default=None, help="default: cosine 1e-4, paper 0")
    tr.add_argument("--patience", type=at_least_one, default=None,
                    help="paper schedule: epochs without improvement before lr / 10 (default 10)")
    tr.add_argument("--crop", type=at_least_one, default=None,
                    help="final random crop side (default: the preset's: light 48, paper 96)")
    tr.add_argument("--seed", type=int, default=0, help="training seed (initialisation, batches, augmentation)")
    tr.add_argument("--workers", type=positive_int, default=None,
                    help="DataLoader workers (default: none on 2 cores, else half the cores up to 8)")
    tr.add_argument("--out", type=Path, default=None, help="copy model.safetensors and its sidecar here")
    _add_device(tr)
    tr.set_defaults(func=cmd_train, distributed=True)

    sc = sub.add_parser("score", help="score detectors on a folder dataset and write the leaderboard",
                        description="Score trained checkpoints or registered detectors on folder:PATH or hf:NAME under "
                                    "perturbations; writes the score store, the reports and skipped.csv.")
    add_shared(sc.add_argument, "--data", required=True)
    _add_detector_choice(sc, "scored as it comes")
    add_shared(sc.add_argument, "--perturbations", default="identity")
    sc.add_argument("--calibration", default=None, help="folder of clean reals for the 5%%-FPR threshold")
    sc.add_argument("--out", default="results", help="folder for the score store and the reports")
    for shared in ("--bench-seed", "--batch-size", "--workers"):
        add_shared(sc.add_argument, shared)
    sc.add_argument("--compile", action="store_true",
                    help="torch.compile the detectors' networks: slow first batches, faster after (large sets)")
    _add_device(sc)
    sc.set_defaults(func=cmd_score, distributed=True)

    pr = sub.add_parser("predict", help="probability of fake for a few image files",
                        description="One probability per image from a trained checkpoint or a registered detector "
                                    "(a table, or JSON with --json). Unreadable files are named; none readable "
                                    "exits 2.")
    pr.add_argument("images", nargs="+", help="image files (JPEG, PNG, WebP, ...)")
    _add_detector_choice(pr, "used as it comes")
    pr.add_argument("--json", action="store_true", help="print JSON instead of a table")
    pr.add_argument("--batch-size", type=at_least_one, default=16, help="images per model call")
    _add_device(pr)
    pr.set_defaults(func=cmd_predict)


def _recipe(text: str) -> str:
    from fakebench.detectors.recipes import RECIPES

    if text not in RECIPES:
        raise argparse.ArgumentTypeError(f"unknown recipe {text!r}; recipes: {', '.join(RECIPES)}")
    return text


def _early_flag(argv: list[str], flag: str) -> bool:
    """Whether a global flag comes before the sub-command (where build_parser takes it)."""
    for arg in argv:
        if arg == flag:
            return True
        if not arg.startswith("-"):
            return False
    return False


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fakebench", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    add_shared(parser.add_argument, "--fast-numerics")
    parser.set_defaults(distributed=False)  # the data jobs that run under torchrun set it
    sub = parser.add_subparsers(dest="command", required=True)
    mini = sub.add_parser("mini", help="the embedded mini world").add_subparsers(dest="mini_command", required=True)
    train = mini.add_parser("train", help="retrain every mini-world model from a seed")
    train.add_argument("--seed", type=int, default=0, help="seed of every component's training")
    train.add_argument("--out", default=None, help="output folder (default: the committed weights folder)")
    train.set_defaults(func=cmd_mini_train)
    train_taef2 = mini.add_parser("train-taef2", help="retrain the two denoisers in TAEF2's latent space from a seed")
    train_taef2.add_argument("--seed", type=int, default=0, help="seed of both denoisers' training")
    train_taef2.add_argument("--out", default=None, help="output folder (default: the committed weights folder)")
    train_taef2.add_argument("--wall-seconds", type=float, default=None,
                             help="stop a denoiser early when it has trained this long (default 720; a busy machine)")
    train_taef2.set_defaults(func=cmd_mini_train_taef2)
    verify = mini.add_parser("verify", help="check the committed weights (mini world and TAEF2) against SHA256SUMS")
    verify.add_argument("--quality", action="store_true",
                        help="also print each autoencoder's round-trip PSNR on the held-out test photos")
    verify.add_argument("--quality-sides", type=at_least_one, nargs="+", default=[128, 256], help="crop sides")
    verify.add_argument("--quality-crops", type=at_least_one, default=4, help="crops per test photo")
    verify.set_defaults(func=cmd_mini_verify)
    lst = sub.add_parser("list", help="list registered detectors, generators or perturbations, or the built-in worlds")
    lst.add_argument("what", choices=["detectors", "generators", "perturbations", "worlds"], help="what to list")
    lst.add_argument("pattern", nargs="?", default=None, help="glob filter, e.g. 'mini-*'")
    lst.set_defaults(func=cmd_list)
    report = sub.add_parser("report", help="rebuild every leaderboard output from a score store, or compare two",
                            description="Rebuild leaderboard.md/.csv/.json and report.html from a score store "
                                        "without running a model; or show what changed between two stores.")
    report.add_argument("store", nargs="?", help="scores.parquet or scores.csv written by pytest benchmark/")
    report.add_argument("--out", default=None, help="output folder (default: the store's folder)")
    report.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"), help="compare two stores instead")
    report.add_argument("--bootstrap", type=positive_int, default=1000, help="bootstrap resamples (0: no intervals)")
    report.add_argument("--bootstrap-seed", type=int, default=0, help="seed of the bootstrap confidence intervals")
    report.set_defaults(func=cmd_report)

    summ = sub.add_parser("summary", help="the summary of a results folder: ranking, Table-3-style table, claims",
                          description="Print what a run's results folder says, answer first, from its "
                                      "leaderboard.json (no recomputation); --markdown for a CI job summary.")
    summ.add_argument("results", nargs="?", default="results", help="the results folder (default: results)")
    summ.add_argument("--detail", default="full", choices=("full", "short", "none"),
                      help="full (ranking, Table-3-style table, claims, floors, paths), short or none (paths)")
    summ.add_argument("--markdown", action="store_true", help="markdown instead of terminal text")
    summ.set_defaults(func=cmd_summary)
    bench = sub.add_parser("bench", help="speed and memory benchmarks").add_subparsers(dest="bench_command",
                                                                                        required=True)
    bench_report = bench.add_parser("report", help="time `fakebench report` on a synthetic store of N rows")
    bench_report.add_argument("--rows", type=positive_int, default=1_000_000, help="rows of the synthetic store")
    bench_report.add_argument("--bootstrap", type=positive_int, default=1000, help="bootstrap resamples per case")
    bench_report.set_defaults(func=cmd_bench_report)
    bench_cost = bench.add_parser("cost", help="images/s (or, with --flops, FLOPs per image) of generation vs "
                                               "reconstruction, and their ratio")
    bench_cost.add_argument("--generators", default=None, help="comma-separated names or globs (default: all)")
    bench_cost.add_argument("--images", type=positive_int, default=32, help="images timed per capability")
    bench_cost.add_argument("--batch-size", type=positive_int, default=8, help="images per timed generation batch")
    add_shared(bench_cost.add_argument, "--device")
    bench_cost.add_argument("--flops", action="store_true",
                            help="count FLOPs and MACs per image from the models' configs (meta device, no weights) "
                                 "instead of timing")
    bench_cost.add_argument("--out", default=None, help="with --flops: write the counts to this JSON file (cost.json)")
    bench_cost.set_defaults(func=cmd_bench_cost)
    thr = bench.add_parser("throughput", help="pipeline vs bare-model images/s, and peak memory vs dataset size")
    thr.add_argument("--detector", default="resnet50", help="registered detector whose scoring is timed")
    thr.add_argument("--generator", default="mini-sd", help="registered generator whose reconstruction is timed")
    thr.add_argument("--images", type=at_least_one, default=256, help="images per timed round (best of 5 rounds)")
    thr.add_argument("--batch-size", type=at_least_one, default=32, help="images per model call")
    add_shared(thr.add_argument, "--workers")
    thr.add_argument("--side", type=at_least_one, default=224, help="side of the synthetic test images")
    thr.add_argument("--memory-sizes", type=at_least_one, nargs="*", default=[1000, 20000],
                     help="dataset sizes whose peak memory is compared (none: skip)")
    thr.add_argument("--scratch", type=Path, default=None,
                     help="folder for the synthetic images and outputs (default: the system temp folder)")
    thr.add_argument("--recon-sides", type=at_least_one, nargs="*", default=[256],
                     help="image sides to time reconstruction at, besides the generator's native one")
    thr.add_argument("--compile", action="store_true", help="also time the detector under torch.compile")
    _add_device(thr)
    thr.set_defaults(func=cmd_bench_throughput)
    hfb = bench.add_parser("hf", help="peak memory of fakebench score --data hf:PATH vs dataset rows")
    hfb.add_argument("--sizes", type=at_least_one, nargs="+", default=[1000, 20000], help="rows per dataset")
    hfb.add_argument("--side", type=at_least_one, default=32, help="side of the synthetic JPEGs")
    hfb.add_argument("--detector", default="small-cnn", help="registered detector that scores the dataset")
    add_shared(hfb.add_argument, "--batch-size")
    hfb.add_argument("--scratch", type=Path, default=None, help="folder for the datasets (default: system temp)")
    hfb.set_defaults(func=cmd_bench_hf)
    _add_data_commands(sub)
    _add_audit(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        # before the parser: its type checks import torch, and the kernel knobs must be set before its first kernel
        numerics.pin(fast=_early_flag(sys.argv[1:] if argv is None else argv, "--fast-numerics") or None)
    except FakebenchError as exc:
        print(f"fakebench: error: {exc}", file=sys.stderr)
        return 2
    args = build_parser().parse_args(argv)
    try:
        if args.distributed:
            from fakebench.core import distributed
            from fakebench.core.devices import resolve_device

            args.device = str(resolve_device(args.device))
            distributed.init(args.device)
        return args.func(args)
    except FakebenchError as exc:
        if args.debug:
            raise
        print(f"fakebench: error: {exc}", file=sys.stderr)
        return 2
    finally:
        if "fakebench.core.distributed" in sys.modules:  # only runs that imported torch have a group to leave
            sys.modules["fakebench.core.distributed"].shutdown()


if __name__ == "__main__":
    sys.exit(main())
