"""The data jobs: `fakebench reconstruct`, `train`, `score`, `predict` and `audit`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fakebench.commands.reports import print_summary
from fakebench.core.errors import FakebenchError


def kwargs(pairs: list[str] | None) -> dict:
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


def scoring(args: argparse.Namespace):
    from fakebench.detectors.inference import ScoringConfig

    return ScoringConfig(batch_size=args.batch_size, num_workers=args.workers)


def cmd_reconstruct(args: argparse.Namespace) -> int:
    from fakebench.core import distributed
    from fakebench.jobs import reconstruct_folder

    r = reconstruct_folder(args.generator, args.input, args.output, args.batch_size, args.device, args.dtype)
    if distributed.current().is_main:
        print(f"reconstructed {r.written} images ({r.reused} already there) into {r.output} in {r.seconds:.1f} s; "
              f"{len(r.skipped)} left out (see {r.output / 'skipped.csv'})")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from fakebench.core import distributed
    from fakebench.detectors.augment import augment_preset
    from fakebench.detectors.train_config import train_config
    from fakebench.jobs import TrainJob, train_from_folders

    augment = augment_preset(args.augment, **({"crop": args.crop} if args.crop else {}))
    given = {"epochs": args.epochs, "lr": args.lr, "weight_decay": args.weight_decay}
    cfg = train_config(args.schedule, batch_size=args.batch_size, seed=args.seed, num_workers=args.workers,
                       augment=augment, pretrained=args.pretrained, **{k: v for k, v in given.items() if v is not None})
    if args.patience is not None:
        from dataclasses import replace

        cfg = replace(cfg, plateau=replace(cfg.plateau, patience=args.patience))
    job = TrainJob(args.recipe, args.generator, args.real, args.val_real, args.recon, args.detector,
                   kwargs(args.detector_arg), args.out, args.device, args.aligned_storage)
    path, validation = train_from_folders(job, cfg)
    if distributed.current().is_main:
        print(f"checkpoint: {path}")
        print("validation: " + ", ".join(f"{k} {v:.3f}" for k, v in validation.items()))
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from fakebench.core import distributed
    from fakebench.jobs import ScoreJob, score_folder

    job = ScoreJob(args.data, args.detector or [], [Path(p) for p in args.checkpoint or []], args.perturbations,
                   Path(args.calibration) if args.calibration else None, Path(args.out), args.bench_seed, args.device,
                   args.compile)
    _, paths = score_folder(job, scoring(args))
    if distributed.current().is_main:
        print_summary(paths)
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
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


def cmd_audit(args: argparse.Namespace) -> int:
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
