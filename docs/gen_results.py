"""Write the generated blocks of README.md and the documentation (results tables, the terminal excerpt, the
worlds table) from committed results files and from the code.

    .venv/bin/python docs/gen_results.py                       # rewrite every block from the files
    .venv/bin/python docs/gen_results.py --check               # exit 1 naming every block that differs
    .venv/bin/python docs/gen_results.py collect RESULTS --as mini-seed0     # take a run's results, then rewrite

A block sits between `<!-- results:NAME -->` and `<!-- /results:NAME -->` in a markdown file; its text is
a pure function of `docs/results/<run>/` (or, for `worlds`, of the built-in world files), so a figure in
the README or on the results page cannot drift from the run it comes from. `collect` copies what the
blocks read out of a results folder written by `pytest benchmark/` (its `--leaderboard-dir`):

- `leaderboard.csv`, as the run wrote it (one row per case and training seed, every metric);
- `claims.json`, the `claims` of its `leaderboard.json` (every claim's value, interval, margin, verdict);
- `summary.txt`, what `fakebench summary RESULTS --detail short` prints at 100 columns;
- `source.json`: the run's command, fakebench version, CPU and date (from its `run.json`).

`tests/test_docs.py` fails when a block differs from what its files give.
"""
from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "results"
SUMMARY_COLUMNS = "100"  # the terminal width the summary excerpt is printed at
EXCERPT_LINES = 16  # how much of the summary the README shows (the rest is in the file)

# Which cases the seed-0 table shows: the mini world's generators under the perturbations the claims read
# (the full grid of 162 cases is in leaderboard.csv). A view of the file, not a figure.
TABLE_ROWS = (
    ("mini-sd", "identity"), ("mini-sd", "resize0.5"), ("mini-sd", "resize2"), ("mini-sd", "jpeg50"),
    ("mini-sd", "webp50"), ("mini-sd", "blur2"), ("mini-sd", "resize0.5+jpeg75"),
    ("mini-playground", "identity"), ("mini-playground", "resize0.5"), ("mini-playground", "resize0.5+jpeg75"),
    ("mini-othervae", "identity"), ("mini-othervae", "resize0.5"), ("taef2", "identity"),
)
TABLE_DETECTORS = ("aligned-resnet50", "baseline-resnet50", "aligned-sync-resnet50", "aligned-shader-resnet50",
                   "aligned-small-cnn", "baseline-small-cnn", "aligned-freq-lr", "baseline-freq-lr")

RUNS = ("mini-seed0", "mini-seeds0-2", "lite-seeds0-2")  # the runs docs/results/ holds (collect --as)

BLOCK = re.compile(r"(<!-- results:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /results:(?P=name) -->)", re.S)
FILES = ("README.md", "docs/results.md", "docs/tutorials/first-run.md")  # where blocks may sit


class ResultsError(Exception):
    pass


def _source(run: str) -> dict:
    path = RESULTS / run / "source.json"
    if not path.is_file():
        raise ResultsError(f"{path.relative_to(ROOT)} is missing: collect the run (see docs/gen_results.py)")
    return json.loads(path.read_text())


def _caption(run: str) -> str:
    src = _source(run)
    made = f"`{src['command']}`" + (f", fakebench {src['fakebench']}" if src.get("fakebench") else "")
    made += f", {src['machine']}" if src.get("machine") else ""
    made += f", {src['date']}" if src.get("date") else ""
    note = f" {src['note']}" if src.get("note") else ""
    return f"<sub>From `docs/results/{run}/` ({made}).{note}</sub>"


def seed0_table() -> str:
    import pandas as pd

    run = "mini-seed0"
    path = RESULTS / run / "leaderboard.csv"
    board = pd.read_csv(path, keep_default_na=True)
    board = board[board["seed"] == 0]
    cell = {(r.detector, r.generator, r.perturbation): r.bal_acc for r in board.itertuples()}
    lines = ["| generator | perturbation | " + " | ".join(TABLE_DETECTORS) + " |",
             "|---|---|" + "---|" * len(TABLE_DETECTORS)]
    for generator, perturbation in TABLE_ROWS:
        values = [cell.get((d, generator, perturbation), math.nan) for d in TABLE_DETECTORS]
        shown = ["" if value is None or math.isnan(value) else f"{value:.3f}" for value in values]
        lines.append(f"| {generator} | {perturbation} | " + " | ".join(shown) + " |")
    return "\n".join(lines) + "\n\n" + _caption(run) + "\n"


def _value(claim: dict) -> str:
    value, lo, hi = (claim.get(k) for k in ("value", "lo", "hi"))
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if "ratio" in claim.get("comparison", ""):
        return f"{value:.1f}x"
    if lo is None or hi is None or any(isinstance(v, float) and math.isnan(v) for v in (lo, hi)):
        return f"{value:+.3f}"
    return f"{value:+.3f} [{lo:+.3f}, {hi:+.3f}]"


def seeds_claims(run: str) -> str:
    """A run's claims over seeds 0-2, one row each."""
    claims = json.loads((RESULTS / run / "claims.json").read_text())
    lines = ["| claim | what it says | ours [95% CI] | holds when | verdict |", "|---|---|---|---|---|"]
    for c in claims:
        holds = c.get("comparison", "").replace("margin", f"{c.get('margin', math.nan):g}")
        lines.append(f"| [{c['id']}](docs/reference/claims.md#{c['id'].lower()}) | {c['title']} | {_value(c)} | "
                     f"{holds} | {c['verdict']} |")
    return "\n".join(lines) + "\n\n" + _caption(run) + "\n"


def seed0_summary() -> str:
    run = "mini-seed0"
    lines = (RESULTS / run / "summary.txt").read_text().rstrip("\n").splitlines()
    shown = lines[:EXCERPT_LINES] + (["..."] if len(lines) > EXCERPT_LINES else [])
    return "```text\n" + "\n".join(shown) + "\n```\n\n" + _caption(run) + "\n"


def worlds_table() -> str:
    from fakebench.benchmark.world_files import builtin_worlds, load_world

    lines = ["| world | what it is |", "|---|---|"]
    lines += [f"| `{name}` | {load_world(name).description} |" for name in builtin_worlds()]
    return "\n".join(lines) + "\n"


BLOCKS: dict[str, Callable[[], str]] = {
    "mini-seed0-table": seed0_table,
    "mini-seeds0-2-claims": partial(seeds_claims, "mini-seeds0-2"),
    "lite-seeds0-2-claims": partial(seeds_claims, "lite-seeds0-2"),
    "mini-seed0-summary": seed0_summary,
    "worlds": worlds_table,
}


def _relink(text: str, file: str) -> str:
    """Links written from the repository root (README) made relative to a page under docs/."""
    if not file.startswith("docs/"):
        return text
    depth = file.count("/") - 1
    return text.replace("](docs/", "](" + "../" * depth if depth else "](")


def render(file: str, text: str, cache: dict[str, str]) -> str:
    def block(match: re.Match) -> str:
        name = match["name"]
        if name not in BLOCKS:
            raise ResultsError(f"{file}: unknown block {name!r}; known: {', '.join(BLOCKS)}")
        if name not in cache:
            cache[name] = BLOCKS[name]()
        return match.group(1) + _relink(cache[name], file) + match.group(4)

    return BLOCK.sub(block, text)


def stale() -> list[str]:
    """'file: block' for every block whose text differs from what its files give."""
    cache: dict[str, str] = {}
    found = []
    for file in FILES:
        path = ROOT / file
        if not path.is_file():
            continue
        text = path.read_text()
        fresh = render(file, text, cache)
        if fresh != text:
            old = {m["name"]: m["body"] for m in BLOCK.finditer(text)}
            new = {m["name"]: m["body"] for m in BLOCK.finditer(fresh)}
            found += [f"{file}: block {name}" for name in new if old.get(name) != new[name]]
    return found


def rewrite() -> list[str]:
    cache: dict[str, str] = {}
    written = []
    for file in FILES:
        path = ROOT / file
        if path.is_file():
            text = path.read_text()
            fresh = render(file, text, cache)
            if fresh != text:
                path.write_text(fresh)
                written.append(file)
    return written


def collect(results: Path, run: str) -> None:
    """Take what the blocks read out of a results folder written by `pytest benchmark/`."""
    results = Path(results)
    out = RESULTS / run
    out.mkdir(parents=True, exist_ok=True)
    for name in ("leaderboard.csv", "leaderboard.json"):
        if not (results / name).is_file():
            raise ResultsError(f"{results / name} is missing: pass a run's --leaderboard-dir")
    shutil.copyfile(results / "leaderboard.csv", out / "leaderboard.csv")
    board = json.loads((results / "leaderboard.json").read_text())
    keep = ("id", "title", "metric", "comparison", "margin", "value", "lo", "hi", "verdict", "detail", "seeds")
    claims = [{k: c.get(k) for k in keep} for c in board.get("claims", [])]
    (out / "claims.json").write_text(json.dumps(claims, indent=1) + "\n")
    summary = subprocess.run([sys.executable, "-m", "fakebench", "summary", str(results), "--detail", "short"],
                             capture_output=True, text=True, check=True, env={**os.environ, "COLUMNS": SUMMARY_COLUMNS})
    (out / "summary.txt").write_text(summary.stdout)
    run_json = json.loads((results / "run.json").read_text()) if (results / "run.json").is_file() else {}
    argv = list(run_json.get("argv") or [])
    if "--leaderboard-dir" in argv[:-1]:  # where the run wrote its results says nothing about them
        at = argv.index("--leaderboard-dir")
        del argv[at:at + 2]
    command = " ".join(["pytest", *argv[1:]]) if argv and "pytest" in argv[0] else " ".join(argv)
    numerics = run_json.get("numerics") or {}
    source = {"command": command or "unknown", "fakebench": board.get("fakebench_version", ""),
              "machine": numerics.get("cpu", "") if isinstance(numerics, dict) else "",
              "date": datetime.date.today().isoformat(), "note": ""}
    (out / "source.json").write_text(json.dumps(source, indent=1) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 naming the blocks that differ; write nothing")
    sub = parser.add_subparsers(dest="command")
    take = sub.add_parser("collect", help="take a results folder's files into docs/results/RUN, then rewrite")
    take.add_argument("results", type=Path, help="a results folder written by pytest benchmark/")
    take.add_argument("--as", dest="run", required=True, choices=RUNS,
                      help="mini-seed0: the default run (seed 0); mini-seeds0-2 and lite-seeds0-2: that world's "
                           "claims over seeds 0,1,2")
    args = parser.parse_args(argv)
    try:
        if args.command == "collect":
            collect(args.results, args.run)
        if args.check:
            differ = stale()
            for block in differ:
                print(f"{block} differs from its results files: run .venv/bin/python docs/gen_results.py",
                      file=sys.stderr)
            return 1 if differ else 0
        for file in rewrite():
            print(f"rewrote the generated blocks of {file}")
    except ResultsError as exc:
        print(f"gen_results: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
