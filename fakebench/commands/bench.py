"""`fakebench bench ...`: speed and memory benchmarks (fakebench.perf)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fakebench.core.errors import FakebenchError


def cmd_bench_report(args: argparse.Namespace) -> int:
    from fakebench.perf.reports import bench_report

    print(bench_report(args.rows, args.bootstrap))
    return 0


def cmd_bench_cost(args: argparse.Namespace) -> int:
    if args.flops:
        return bench_cost_flops(args)
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


def bench_cost_flops(args: argparse.Namespace) -> int:
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


def cmd_bench_throughput(args: argparse.Namespace) -> int:
    from fakebench.core.devices import resolve_device
    from fakebench.perf.throughput import ThroughputConfig, bench_throughput

    print(bench_throughput(ThroughputConfig(detector=args.detector, generator=args.generator, images=args.images,
                                            batch_size=args.batch_size, workers=args.workers,
                                            memory_sizes=tuple(args.memory_sizes), side=args.side,
                                            device=str(resolve_device(args.device)), scratch=args.scratch,
                                            compile=args.compile, recon_sides=tuple(args.recon_sides))))
    return 0


def cmd_bench_hf(args: argparse.Namespace) -> int:
    from fakebench.perf.hf import HFBenchConfig, bench_hf

    print(bench_hf(HFBenchConfig(sizes=tuple(args.sizes), side=args.side, detector=args.detector,
                                 batch_size=args.batch_size, scratch=args.scratch)))
    return 0
