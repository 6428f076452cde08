"""The `fakebench` command: data jobs (reconstruct, train, score), reports, benchmarks, listings and
mini-world maintenance.

The benchmark itself runs through pytest (`pytest benchmark/`), so that any pytest selection works.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from fakebench.core import numerics
from fakebench.core.errors import FakebenchError


def _cmd_mini_train(args: argparse.Namespace) -> int:
    from pathlib import Path

    from fakebench.generators.mini.architectures import MiniTrainConfig
    from fakebench.generators.mini.train import train_mini_world
    from fakebench.generators.mini.weights import WEIGHTS_DIR

    cfg = MiniTrainConfig(seed=args.seed)
    out = Path(args.out) if args.out else WEIGHTS_DIR
    timings = train_mini_world(cfg, out)
    print(f"mini world trained in {timings['total']:.0f} s -> {out}")
    return 0


def _cmd_mini_train_taef2(args: argparse.Namespace) -> int:
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


def _cmd_mini_verify(args: argparse.Namespace) -> int:
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
        _print_quality(args.quality_sides, args.quality_crops)
    return 0


QUALITY_GENERATORS = ("mini-sd", "mini-othervae", "taef2")  # one per autoencoder: vae-sd, vae-other, taef2


def _print_quality(sides: list[int], per_photo: int) -> None:
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


def _describe(factory) -> str:
    return ((factory.__doc__ or "").strip().splitlines() or [""])[0]


def _detector_rows(pattern: str | None) -> list[list]:
    from fakebench.detectors import DETECTORS
    from fakebench.detectors.recipes import RECIPES
    from fakebench.detectors.trainable import Trainable

    rows = []
    for name in DETECTORS.names(pattern):
        try:
            det = DETECTORS.create(name)
        except Exception as exc:  # a plugin that cannot be built is listed with why, not fatal
            if name in DETECTORS:  # not left out (a product outside the protocol is): show why here
                rows.append([name, DETECTORS.origin(name), "?", "?", "?",
                             f"cannot be built: {type(exc).__name__}: {exc}"])
            continue
        count = det.parameter_count()
        params = f"{count / 1e6:.2f} M" if count is not None else "-"
        policy = det.policy
        shown = (policy.mode + (f" {policy.size}" if policy.size else "") + f", min side {policy.min_side}"
                 + (f", JPEG {policy.jpeg} first" if policy.jpeg is not None else ""))
        rows.append([name, DETECTORS.origin(name), ", ".join(RECIPES) if isinstance(det, Trainable) else "no",
                     shown, params, _describe(DETECTORS.factory(name))])
    return rows


def _training_options() -> str:
    """What `fakebench train` (and a world's config) can choose besides the detector."""
    from fakebench.detectors.augment import PRESETS
    from fakebench.detectors.recipes import RECIPES
    from fakebench.detectors.training_loop import SCHEDULE_DEFAULTS, train_config

    def probs(cfg) -> str:
        ops = [("resized crop", cfg.resized_crop_prob), ("jitter", cfg.jitter_prob), ("gray", cfg.grayscale_prob),
               ("cutout", cfg.cutout_prob), ("noise", cfg.noise_prob), ("blur", cfg.blur_prob),
               ("JPEG", cfg.jpeg_prob), ("WebP", cfg.webp_prob)]
        return ", ".join(f"{op} p {p:g}" for op, p in ops if p) + (", rot90" if cfg.rot90 else "") + \
            f", flip, crop {cfg.crop}"

    lines = [f"recipes (--recipe): {', '.join(RECIPES)}; reals (--real): a folder, procedural:N, corpus, "
             "hf:NAME or a mixture ('corpus + procedural:700')"]
    lines += [f"augmentation preset {name} (--augment): {probs(cfg)}" for name, cfg in PRESETS.items()]
    for name in SCHEDULE_DEFAULTS:
        cfg = train_config(name)
        rule = ("Adam, lr / 10 after a plateau, early stop, best epoch kept" if name == "paper"
                else "AdamW, warm-up cosine")
        lines.append(f"schedule {name} (--schedule): {rule}; lr {cfg.lr:g}, weight decay {cfg.weight_decay:g}, "
                     f"epochs {cfg.epochs}")
    return "\n" + "\n".join(lines)


def _cmd_list(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    if args.what == "generators":
        from fakebench.generators import GENERATORS

        rows = []
        for name in GENERATORS.names(args.pattern):
            try:
                info = GENERATORS.create(name).info
            except Exception as exc:
                if name not in GENERATORS:  # left out: listed below with why
                    continue
                rows.append([name, GENERATORS.origin(name), "", "", "", f"cannot be built: {exc}"])
                continue
            rows.append([name, GENERATORS.origin(name), info.autoencoder, info.denoiser, info.resolution,
                         info.family])
        print(tabulate(rows, headers=["generator", "source", "autoencoder", "denoiser", "resolution", "family"]))
    elif args.what == "detectors":
        print(tabulate(_detector_rows(args.pattern),
                       headers=["detector", "source", "recipes", "input policy", "parameters", "description"]))
        print(_training_options())
    elif args.what == "worlds":
        from fakebench.benchmark.world_files import world_lines

        print("\n".join(world_lines(args.pattern)))
    else:
        from fakebench.evaluation.perturbations import PERTURBATIONS

        examples = {"identity": "identity", "resize": "resize0.5", "short": "short128", "jpeg": "jpeg75",
                    "webp": "webp50", "blur": "blur1"}
        print(tabulate([[n, PERTURBATIONS.origin(n), examples.get(n, n)] for n in PERTURBATIONS.names(args.pattern)],
                       headers=["perturbation", "source", "example id"]))
    _print_left_out()
    return 0


def _print_left_out() -> None:
    """Plugins that failed to load, to build or to meet their protocol: one line each, after the table."""
    from fakebench.core.registry import plugin_failures

    failures = plugin_failures()
    if failures:
        print("\nplugins left out:")
        for f in failures:
            print(f"  {f.line()}")


def _cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from fakebench.evaluation.metrics import BootstrapConfig
    from fakebench.evaluation.store import read_store

    bootstrap = BootstrapConfig(resamples=args.bootstrap, seed=args.bootstrap_seed)
    if args.compare:
        from fakebench.leaderboard.compare import compare_boards, comparison_markdown, numerics_warnings, world_warnings
        from fakebench.leaderboard.protocol import read_protocol
        from fakebench.leaderboard.tables import leaderboard_frame

        protocols = [read_protocol(Path(p)) for p in args.compare]
        for warning in [*world_warnings(*protocols), *numerics_warnings(*protocols)]:
            print(f"fakebench: warning: {warning}", file=sys.stderr)
        old, new = (leaderboard_frame(read_store(Path(p)), bootstrap) for p in args.compare)
        print(comparison_markdown(compare_boards(old, new)))
        return 0
    if not args.store:
        raise FakebenchError("fakebench report needs a STORE or --compare OLD NEW",
                             fix="e.g. fakebench report results/scores.parquet")
    from fakebench.core.cache import read_json
    from fakebench.evaluation.store import cost_path
    from fakebench.leaderboard.reports import write_reports

    store = Path(args.store)
    cost = read_json(cost_path(store)) if cost_path(store).is_file() else None
    from fakebench.leaderboard.protocol import read_protocol

    board, paths = write_reports(read_store(store), Path(args.out) if args.out else store.parent, bootstrap, cost,
                                 protocol=read_protocol(store))
    _print_summary(paths)
    return 0


def _print_summary(paths: dict[str, Path], detail: str = "full") -> None:
    """The summary of the results folder the reports went to, as wide as the terminal (at most 120)."""
    import shutil

    from fakebench.leaderboard.results import read_results
    from fakebench.leaderboard.summary import MAX_WIDTH, summary_text

    print(summary_text(read_results(paths["json"].parent, paths), min(MAX_WIDTH, shutil.get_terminal_size().columns),
                       detail))


def _cmd_summary(args: argparse.Namespace) -> int:
    import shutil

    from fakebench.leaderboard.results import read_results
    from fakebench.leaderboard.summary import MAX_WIDTH, summary_markdown, summary_text

    folder = Path(args.results)
    if not folder.is_dir():
        raise FakebenchError(f"results folder {str(folder)!r} does not exist",
                             fix="pass a run's --leaderboard-dir (default: results); `pytest benchmark/` makes one")
    summary = read_results(folder)
    if args.markdown:
        print(summary_markdown(summary, args.detail))
    else:
        print(summary_text(summary, min(MAX_WIDTH, shutil.get_terminal_size().columns), args.detail))
    return 0


def _cmd_bench_report(args: argparse.Namespace) -> int:
    from fakebench.perf.reports import bench_report

    print(bench_report(args.rows, args.bootstrap))
    return 0


def _cmd_bench_cost(args: argparse.Namespace) -> int:
    if args.flops:
        return _bench_cost_flops(args)
    from tabulate import tabulate

    from fakebench.generators import GENERATORS
    from fakebench.generators.cost import measure_cost

    rows, breakdowns = [], []
    for name in GENERATORS.names(args.generators.split(",") if args.generators else None):
        generator = GENERATORS.create(name, device=args.device)
        if not (generator.can_generate and generator.can_reconstruct):
            print(f"{name}: skipped (it cannot both generate and reconstruct)", file=sys.stderr)
            continue
        try:
            r = measure_cost(generator, args.images, args.batch_size)
        except FakebenchError as exc:  # e.g. a real model whose weights are not in the local cache
            print(f"{name}: skipped ({exc})", file=sys.stderr)
            continue
        rows.append([r.generator, r.steps, r.batch_size, r.images, r.generate_ips, r.reconstruct_ips, r.ratio])
        breakdowns.append(f"{r.generator}: {r.breakdown()}")
    print(tabulate(rows, headers=["generator", "sampler steps", "batch", "images", "generate img/s",
                                  "reconstruct img/s", "reconstruct / generate"], floatfmt=".2f"))
    print("\n".join(breakdowns))
    print(f"device {args.device}, torch threads {__import__('torch').get_num_threads()}")
    return 0


def _bench_cost_flops(args: argparse.Namespace) -> int:
    """FLOPs per image of every registered generator (or those named), counted from configs alone."""
    from fakebench.core.cache import atomic_write_json
    from fakebench.generators import GENERATORS
    from fakebench.generators.flops import flop_record
    from fakebench.leaderboard.cost_table import flops_table

    record = flop_record(GENERATORS.names(args.generators.split(",") if args.generators else None))
    print(flops_table(record))
    if args.out:
        atomic_write_json(Path(args.out), record)
        print(f"counts: {args.out}")
    return 0


def _kwargs(pairs: list[str] | None) -> dict:
    """`--detector-arg width=16` pairs as factory kwargs (numbers parsed as JSON, the rest text)."""
    import json

    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise FakebenchError(f"--detector-arg takes KEY=VALUE, got {pair!r}", fix="e.g. --detector-arg width=16")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def _scoring(args: argparse.Namespace):
    from fakebench.detectors.inference import ScoringConfig

    return ScoringConfig(batch_size=args.batch_size, num_workers=args.workers)


def _cmd_reconstruct(args: argparse.Namespace) -> int:
    from fakebench.core import distributed
    from fakebench.jobs import reconstruct_folder

    r = reconstruct_folder(args.generator, args.input, args.output, args.batch_size, args.device, args.dtype)
    if distributed.current().is_main:
        print(f"reconstructed {r.written} images ({r.reused} already there) into {r.output} in {r.seconds:.1f} s; "
              f"{len(r.skipped)} left out (see {r.output / 'skipped.csv'})")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from fakebench.core import distributed
    from fakebench.detectors.augment import augment_preset
    from fakebench.detectors.training_loop import train_config
    from fakebench.jobs import TrainJob, train_from_folders

    augment = augment_preset(args.augment, **({"crop": args.crop} if args.crop else {}))
    given = {"epochs": args.epochs, "lr": args.lr, "weight_decay": args.weight_decay}
    cfg = train_config(args.schedule, batch_size=args.batch_size, seed=args.seed, num_workers=args.workers,
                       augment=augment, pretrained=args.pretrained, **{k: v for k, v in given.items() if v is not None})
    if args.patience is not None:
        from dataclasses import replace

        cfg = replace(cfg, plateau=replace(cfg.plateau, patience=args.patience))
    job = TrainJob(args.recipe, args.generator, args.real, args.val_real, args.recon, args.detector,
                   _kwargs(args.detector_arg), args.out, args.device, args.aligned_storage)
    path, validation = train_from_folders(job, cfg)
    if distributed.current().is_main:
        print(f"checkpoint: {path}")
        print("validation: " + ", ".join(f"{k} {v:.3f}" for k, v in validation.items()))
    return 0


def _cmd_score(args: argparse.Namespace) -> int:
    from fakebench.core import distributed
    from fakebench.jobs import ScoreJob, score_folder

    job = ScoreJob(args.data, args.detector or [], [Path(p) for p in args.checkpoint or []], args.perturbations,
                   Path(args.calibration) if args.calibration else None, Path(args.out), args.bench_seed, args.device,
                   args.compile)
    _, paths = score_folder(job, _scoring(args))
    if distributed.current().is_main:
        _print_summary(paths)
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    from fakebench.core.devices import resolve_device
    from fakebench.predict import as_json, as_table, predict

    predictions = predict(args.images, [Path(p) for p in args.checkpoint or []], args.detector or [],
                          str(resolve_device(args.device)), args.batch_size)
    print(as_json(predictions) if args.json else as_table(predictions))
    for p in predictions:
        if p.error:
            print(f"fakebench: cannot read {p.image}: {p.error}", file=sys.stderr)
        for label, why in p.failed.items():
            print(f"fakebench: {label} failed {p.image}: {why}", file=sys.stderr)
    return 0


def _cmd_bench_throughput(args: argparse.Namespace) -> int:
    from fakebench.core.devices import resolve_device
    from fakebench.perf.throughput import ThroughputConfig, bench_throughput

    print(bench_throughput(ThroughputConfig(detector=args.detector, generator=args.generator, images=args.images,
                                            batch_size=args.batch_size, workers=args.workers,
                                            memory_sizes=tuple(args.memory_sizes), side=args.side,
                                            device=str(resolve_device(args.device)), scratch=args.scratch,
                                            compile=args.compile, recon_sides=tuple(args.recon_sides))))
    return 0


def _cmd_bench_hf(args: argparse.Namespace) -> int:
    from fakebench.perf.hf import HFBenchConfig, bench_hf

    print(bench_hf(HFBenchConfig(sizes=tuple(args.sizes), side=args.side, detector=args.detector,
                                 batch_size=args.batch_size, scratch=args.scratch)))
    return 0


def _cmd_audit(args: argparse.Namespace) -> int:
    from fakebench.audit.report import terminal_table, write_html, write_json
    from fakebench.audit.shortcut import audit_source
    from fakebench.benchmark.training_audit import resolve_audit_source

    sources = [resolve_audit_source(s) for s in args.sources]  # a bad SOURCE fails before any is audited
    results = [audit_source(s, pixels=args.pixels, pairs=args.pairs, seed=args.seed) for s in sources]
    print(terminal_table(results))
    for kind, path, write in (("json", args.json, write_json), ("html", args.html, write_html)):
        if path:
            print(f"{kind:>5}: {write(path, results)}")
    return 0


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
    au.set_defaults(func=_cmd_audit)


def _add_device(p: argparse.ArgumentParser, dtype: bool = False) -> None:
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, mps or auto")
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
    rec.add_argument("--batch-size", type=_at_least_one, default=16, help="halved automatically on out-of-memory")
    _add_device(rec, dtype=True)
    rec.set_defaults(func=_cmd_reconstruct, distributed=True)

    tr = sub.add_parser("train", help="train a detector by a recipe (baseline, aligned, aligned-sync) on reals",
                        description="The paper's recipe on real data: reals vs their reconstructions (aligned; "
                                    "aligned-sync trains each real and its reconstruction in one batch under the "
                                    "same augmentation) or vs generated fakes (baseline). Defaults to the paper's "
                                    "augmentations and schedule. Resumes from the last epoch; DDP under torchrun.")
    tr.add_argument("--recipe", required=True, type=_recipe, help="baseline, aligned or aligned-sync")
    tr.add_argument("--generator", required=True)
    tr.add_argument("--real", required=True, help="folder of real training images, procedural:N (N procedural "
                                                   "images, the paper's shader experiment), corpus, hf:NAME, or "
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
    tr.add_argument("--detector", default="resnet50")
    tr.add_argument("--detector-arg", action="append", metavar="KEY=VALUE", help="factory argument, e.g. width=16")
    tr.add_argument("--pretrained", default="", help="'imagenet' (torchvision's file in the torch cache) or a file")
    tr.add_argument("--epochs", type=_at_least_one, default=None,
                    help="epochs (cosine, default 5) or the most epochs (paper, default 100)")
    tr.add_argument("--batch-size", type=_at_least_one, default=128,
                    help="global batch in images, split over processes (aligned-sync: pairs count as two)")
    tr.add_argument("--lr", type=float, default=None, help="learning rate (default: cosine 2e-3, paper 1e-4)")
    tr.add_argument("--weight-decay", type=float, default=None, help="default: cosine 1e-4, paper 0")
    tr.add_argument("--patience", type=_at_least_one, default=None,
                    help="paper schedule: epochs without improvement before lr / 10 (default 10)")
    tr.add_argument("--crop", type=_at_least_one, default=None,
                    help="final random crop side (default: the preset's: light 48, paper 96)")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--workers", type=_positive_int, default=None,
                    help="DataLoader workers (default: none on 2 cores, else half the cores up to 8)")
    tr.add_argument("--out", type=Path, default=None, help="copy model.safetensors and its sidecar here")
    _add_device(tr)
    tr.set_defaults(func=_cmd_train, distributed=True)

    sc = sub.add_parser("score", help="score detectors on a folder dataset and write the leaderboard",
                        description="Score trained checkpoints or registered detectors on folder:PATH or hf:NAME under "
                                    "perturbations; writes the score store, the reports and skipped.csv.")
    sc.add_argument("--data", required=True,
                    help="folder:PATH (real/ + fake/, 0_real/1_fake, GenImage, or a CSV), hf:OWNER/NAME[:SPLIT] (local "
                         "Hugging Face cache, never downloaded) or hf:PATH[:SPLIT] (save_to_disk folder); hf columns "
                         "by query: hf:NAME?image=COL&label=COL&generator=COL")
    _add_detector_choice(sc, "scored as it comes")
    sc.add_argument("--perturbations", default="identity", help="ids, 'quick' or 'grid'")
    sc.add_argument("--calibration", default=None, help="folder of clean reals for the 5%%-FPR threshold")
    sc.add_argument("--out", default="results")
    sc.add_argument("--bench-seed", type=int, default=0)
    sc.add_argument("--batch-size", type=_at_least_one, default=64)
    sc.add_argument("--workers", type=_positive_int, default=None, help="decoding workers (default: by cores)")
    sc.add_argument("--compile", action="store_true",
                    help="torch.compile the detectors' networks: slow first batches, faster after (large sets)")
    _add_device(sc)
    sc.set_defaults(func=_cmd_score, distributed=True)

    pr = sub.add_parser("predict", help="probability of fake for a few image files",
                        description="One probability per image from a trained checkpoint or a registered detector "
                                    "(a table, or JSON with --json). Unreadable files are named; none readable "
                                    "exits 2.")
    pr.add_argument("images", nargs="+", help="image files (JPEG, PNG, WebP, ...)")
    _add_detector_choice(pr, "used as it comes")
    pr.add_argument("--json", action="store_true", help="print JSON instead of a table")
    pr.add_argument("--batch-size", type=_at_least_one, default=16)
    _add_device(pr)
    pr.set_defaults(func=_cmd_predict)


def _recipe(text: str) -> str:
    from fakebench.detectors.recipes import RECIPES

    if text not in RECIPES:
        raise argparse.ArgumentTypeError(f"unknown recipe {text!r}; recipes: {', '.join(RECIPES)}")
    return text


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value


def _at_least_one(text: str) -> int:
    value = _positive_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


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
    parser.add_argument("--fast-numerics", action="store_true",
                        help="let torch pick this machine's fastest CPU kernels and threads: faster, but numbers "
                             "are machine-specific (default: pinned, the same bits on any x86-64 machine with AVX2)")
    parser.set_defaults(distributed=False)  # the data jobs that run under torchrun set it
    sub = parser.add_subparsers(dest="command", required=True)
    mini = sub.add_parser("mini", help="the embedded mini world").add_subparsers(dest="mini_command", required=True)
    train = mini.add_parser("train", help="retrain every mini-world model from a seed")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", default=None, help="output folder (default: the committed weights folder)")
    train.set_defaults(func=_cmd_mini_train)
    train_taef2 = mini.add_parser("train-taef2", help="retrain the two denoisers in TAEF2's latent space from a seed")
    train_taef2.add_argument("--seed", type=int, default=0)
    train_taef2.add_argument("--out", default=None, help="output folder (default: the committed weights folder)")
    train_taef2.add_argument("--wall-seconds", type=float, default=None,
                             help="stop a denoiser early when it has trained this long (default 720; a busy machine)")
    train_taef2.set_defaults(func=_cmd_mini_train_taef2)
    verify = mini.add_parser("verify", help="check the committed weights (mini world and TAEF2) against SHA256SUMS")
    verify.add_argument("--quality", action="store_true",
                        help="also print each autoencoder's round-trip PSNR on the held-out test photos")
    verify.add_argument("--quality-sides", type=_at_least_one, nargs="+", default=[128, 256], help="crop sides")
    verify.add_argument("--quality-crops", type=_at_least_one, default=4, help="crops per test photo")
    verify.set_defaults(func=_cmd_mini_verify)
    lst = sub.add_parser("list", help="list registered detectors, generators or perturbations, or the built-in worlds")
    lst.add_argument("what", choices=["detectors", "generators", "perturbations", "worlds"])
    lst.add_argument("pattern", nargs="?", default=None, help="glob filter, e.g. 'mini-*'")
    lst.set_defaults(func=_cmd_list)
    report = sub.add_parser("report", help="rebuild every leaderboard output from a score store, or compare two",
                            description="Rebuild leaderboard.md/.csv/.json and report.html from a score store "
                                        "without running a model; or show what changed between two stores.")
    report.add_argument("store", nargs="?", help="scores.parquet or scores.csv written by pytest benchmark/")
    report.add_argument("--out", default=None, help="output folder (default: the store's folder)")
    report.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"), help="compare two stores instead")
    report.add_argument("--bootstrap", type=_positive_int, default=1000, help="bootstrap resamples (0: no intervals)")
    report.add_argument("--bootstrap-seed", type=int, default=0)
    report.set_defaults(func=_cmd_report)

    summ = sub.add_parser("summary", help="the summary of a results folder: ranking, Table-3-style table, claims",
                          description="Print what a run's results folder says, answer first, from its "
                                      "leaderboard.json (no recomputation); --markdown for a CI job summary.")
    summ.add_argument("results", nargs="?", default="results", help="the results folder (default: results)")
    summ.add_argument("--detail", default="full", choices=("full", "short", "none"))
    summ.add_argument("--markdown", action="store_true", help="markdown instead of terminal text")
    summ.set_defaults(func=_cmd_summary)
    bench = sub.add_parser("bench", help="speed and memory benchmarks").add_subparsers(dest="bench_command",
                                                                                        required=True)
    bench_report = bench.add_parser("report", help="time `fakebench report` on a synthetic store of N rows")
    bench_report.add_argument("--rows", type=_positive_int, default=1_000_000)
    bench_report.add_argument("--bootstrap", type=_positive_int, default=1000)
    bench_report.set_defaults(func=_cmd_bench_report)
    bench_cost = bench.add_parser("cost", help="images/s (or, with --flops, FLOPs per image) of generation vs "
                                               "reconstruction, and their ratio")
    bench_cost.add_argument("--generators", default=None, help="comma-separated names or globs (default: all)")
    bench_cost.add_argument("--images", type=_positive_int, default=32, help="images timed per capability")
    bench_cost.add_argument("--batch-size", type=_positive_int, default=8)
    bench_cost.add_argument("--device", default="cpu")
    bench_cost.add_argument("--flops", action="store_true",
                            help="count FLOPs and MACs per image from the models' configs (meta device, no weights) "
                                 "instead of timing")
    bench_cost.add_argument("--out", default=None, help="with --flops: write the counts to this JSON file (cost.json)")
    bench_cost.set_defaults(func=_cmd_bench_cost)
    thr = bench.add_parser("throughput", help="pipeline vs bare-model images/s, and peak memory vs dataset size")
    thr.add_argument("--detector", default="resnet50")
    thr.add_argument("--generator", default="mini-sd")
    thr.add_argument("--images", type=_at_least_one, default=256, help="images per timed round (best of 5 rounds)")
    thr.add_argument("--batch-size", type=_at_least_one, default=32)
    thr.add_argument("--workers", type=_positive_int, default=None)
    thr.add_argument("--side", type=_at_least_one, default=224, help="side of the synthetic test images")
    thr.add_argument("--memory-sizes", type=_at_least_one, nargs="*", default=[1000, 20000],
                     help="dataset sizes whose peak memory is compared (none: skip)")
    thr.add_argument("--scratch", type=Path, default=None,
                     help="folder for the synthetic images and outputs (default: the system temp folder)")
    thr.add_argument("--recon-sides", type=_at_least_one, nargs="*", default=[256],
                     help="image sides to time reconstruction at, besides the generator's native one")
    thr.add_argument("--compile", action="store_true", help="also time the detector under torch.compile")
    _add_device(thr)
    thr.set_defaults(func=_cmd_bench_throughput)
    hfb = bench.add_parser("hf", help="peak memory of fakebench score --data hf:PATH vs dataset rows")
    hfb.add_argument("--sizes", type=_at_least_one, nargs="+", default=[1000, 20000], help="rows per dataset")
    hfb.add_argument("--side", type=_at_least_one, default=32, help="side of the synthetic JPEGs")
    hfb.add_argument("--detector", default="small-cnn")
    hfb.add_argument("--batch-size", type=_at_least_one, default=64)
    hfb.add_argument("--scratch", type=Path, default=None, help="folder for the datasets (default: system temp)")
    hfb.set_defaults(func=_cmd_bench_hf)
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
