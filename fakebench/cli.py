"""The `fakebench` command: mini-world maintenance and registry listings.

The benchmark itself runs through pytest (`pytest benchmark/`), so that any pytest selection works.
"""
from __future__ import annotations

import argparse
import logging
import sys

from fakebench.errors import FakebenchError


def _cmd_mini_train(args: argparse.Namespace) -> int:
    from pathlib import Path

    from generators.mini.architectures import MiniTrainConfig
    from generators.mini.train import train_mini_world
    from generators.mini.weights import WEIGHTS_DIR

    cfg = MiniTrainConfig(seed=args.seed)
    out = Path(args.out) if args.out else WEIGHTS_DIR
    timings = train_mini_world(cfg, out)
    print(f"mini world trained in {timings['total']:.0f} s -> {out}")
    return 0


def _cmd_mini_verify(args: argparse.Namespace) -> int:
    from generators.mini.architectures import UNETS, VAES
    from generators.mini.weights import verify_component

    for component in list(VAES) + list(UNETS):
        print(f"{component:18s} ok  {verify_component(component)[:16]}")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    if args.what == "generators":
        from generators import GENERATORS
        from generators.mini.architectures import GENERATORS as MINI

        rows = []
        for name in GENERATORS.names(args.pattern):
            spec = next((s for s in MINI if s.name == name), None)
            rows.append([name, spec.vae if spec else "", spec.denoiser_label if spec else "", spec.description if spec else ""])
        print(tabulate(rows, headers=["generator", "autoencoder", "denoiser", "note"]))
    elif args.what == "detectors":
        from detectors import DETECTORS

        print(tabulate([[n, (DETECTORS.factory(n).__doc__ or "").strip().splitlines()[0]]
                        for n in DETECTORS.names(args.pattern)], headers=["detector", "description"]))
    else:
        from benchmark.perturbations import PERTURBATIONS

        print("\n".join(PERTURBATIONS.names(args.pattern)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fakebench", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)
    mini = sub.add_parser("mini", help="the embedded mini world").add_subparsers(dest="mini_command", required=True)
    train = mini.add_parser("train", help="retrain every mini-world model from a seed")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", default=None, help="output folder (default: the committed weights folder)")
    train.set_defaults(func=_cmd_mini_train)
    mini.add_parser("verify", help="check the committed weights against SHA256SUMS").set_defaults(func=_cmd_mini_verify)
    lst = sub.add_parser("list", help="list registered detectors, generators or perturbations")
    lst.add_argument("what", choices=["detectors", "generators", "perturbations"])
    lst.add_argument("pattern", nargs="?", default=None, help="glob filter, e.g. 'mini-*'")
    lst.set_defaults(func=_cmd_list)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except FakebenchError as exc:
        if args.debug:
            raise
        print(f"fakebench: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
