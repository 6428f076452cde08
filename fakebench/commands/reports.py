"""`fakebench report` and `fakebench summary`: every leaderboard output rebuilt from a store, and its summary."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fakebench.core.errors import FakebenchError


def cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from fakebench.evaluation.metrics import BootstrapConfig
    from fakebench.evaluation.store import read_store

    bootstrap = BootstrapConfig(resamples=args.bootstrap, seed=args.bootstrap_seed)
    if args.compare:
        from fakebench.leaderboard.compare import compare_boards, comparison_markdown, numerics_warnings, world_warnings
        from fakebench.leaderboard.run_record import read_run_record
        from fakebench.leaderboard.tables import leaderboard_frame

        records = [read_run_record(Path(p)) for p in args.compare]
        for warning in [*world_warnings(*records), *numerics_warnings(*records)]:
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
    from fakebench.leaderboard.run_record import read_run_record

    board, paths = write_reports(read_store(store), Path(args.out) if args.out else store.parent, bootstrap, cost,
                                 run_record=read_run_record(store))
    print_summary(paths)
    return 0


def print_summary(paths: dict[str, Path], detail: str = "full") -> None:
    """The summary of the results folder the reports went to, as wide as the terminal (at most 120)."""
    import shutil

    from fakebench.leaderboard.results import read_results
    from fakebench.leaderboard.summary import MAX_WIDTH, summary_text

    print(summary_text(read_results(paths["json"].parent, paths), min(MAX_WIDTH, shutil.get_terminal_size().columns),
                       detail))


def cmd_summary(args: argparse.Namespace) -> int:
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
