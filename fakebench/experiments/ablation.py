"""Issue 24's ablation: what made the difference in the lite world, one change at a time, three seeds each.

    python -m fakebench.experiments.ablation --out ablation              # every ablation world, seeds 0,1,2
    python -m fakebench.experiments.ablation --worlds reference,npr-input --out ablation
    python -m fakebench.experiments.ablation --out ablation --table-only # the table from what has finished
    python -m fakebench.experiments.ablation --list

Each ablation is a world file under `benchmark/worlds/ablation/` (kept out of `fakebench list worlds`: they
are rows of one table, not worlds to pick) that extends `reference` (the lite world cut to what the table
and the claims read) and changes one thing. Each world runs as `pytest benchmark/ --world ablation/<name>
--seeds ...` in a subprocess with its own leaderboard folder `OUT/<name>/` (its log in `pytest.log`
there); the models, fakes and reconstructions are cached in FAKEBENCH_HOME, shared by every world, so a
change that leaves a detector or an image set as it was reuses it. A world whose run finished (pytest
exit 0 or 1: failed floors and claims are findings) with the same seeds is not rerun. Then
`OUT/ablation.md` and `.csv` are written from the folders (fakebench.leaderboard.ablation_table).
"""
from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from fakebench.benchmark.world_files import builtin_dir, load_world
from fakebench.core.cache import atomic_write_json, read_json
from fakebench.core.errors import FakebenchError
from fakebench.leaderboard.ablation_table import AblationRun, write_ablation_table

log = logging.getLogger(__name__)

FOLDER = "ablation"  # under the built-in worlds: `--world ablation/<name>` names one
BENCHMARK_DIR = builtin_dir().parent  # the pytest suite: benchmark/ (fakebench.benchmark)
RECORD = "ablation-run.json"  # in a world's folder: how its pytest run ended (what resuming reads)
FINISHED = (0, 1)  # pytest's exit status of a run that ran to the end (1: some case or claim failed)
SEEDS = (0, 1, 2)


@dataclass(frozen=True)
class Ablation:
    """One row: its world file (`benchmark/worlds/ablation/<world>.toml`), what it changes in words, the key
    its file sets, and the WorldConfig fields that differ from the reference world, a table's as dotted
    paths (`roles.same_autoencoder`; the tests check them)."""

    world: str
    change: str
    key: str
    fields: tuple[str, ...] = ()


REFERENCE = Ablation("reference", "the lite world's recipe: TAEF2, raw pixels, stem stride 2, photo reals, light "
                     "augmentation, round trips stored like their reals", "")
ABLATIONS: tuple[Ablation, ...] = (
    REFERENCE,
    Ablation("old-autoencoder", "TAEF2 -> the mini autoencoder (mini-sd, mini-playground)",
             "generators, train_generator, [roles]",
             ("generators", "train_generator", "roles.same_autoencoder", "roles.denoiser_differs",
              "roles.autoencoder_differs")),
    Ablation("npr-input", "raw pixels -> NPR residual input", "detectors.resnet50.params.input", ("detectors",)),
    Ablation("no-stride", "stem stride 2 -> 1", "detectors.resnet50.params.stem_stride", ("detectors",)),
    # `[reals] train` (WorldConfig.reals.train) is issue 29's: the world loads once the schema reads it
    Ablation("photos-procedural", "photo reals -> photos + 700 procedural", "reals.train", ("reals.train",)),
    Ablation("paper-augment", "light -> paper augmentation", "train.augment.preset", ("train",)),
    Ablation("png-fakes", "round trips stored like their reals -> as PNG", "aligned_storage", ("aligned_storage",)),
    Ablation("imagenet-init", "random-init ResNet-50 (width 16) -> ImageNet-initialised MobileNetV2, no stem stride",
             "detectors.mobilenetv2-nodown, [claims] backbone", ("detectors", "claims.backbone", "score")),
    Ablation("more-photos", "photo reals -> photos + 8 crops of 146 packaged photographs", "reals.train",
             ("reals.train",)),
)
BY_NAME = {a.world: a for a in ABLATIONS}


def world_ref(world: str) -> str:
    """What `--world` takes for an ablation world."""
    return f"{FOLDER}/{world}"


def world_path(world: str) -> Path:
    return builtin_dir() / FOLDER / f"{world}.toml"


def pytest_command(world: str, seeds: tuple[int, ...], folder: Path, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "pytest", str(BENCHMARK_DIR), "-p", "no:cacheprovider", "--world", world_ref(world),
            "--seeds", ",".join(map(str, seeds)), "--leaderboard-dir", str(folder), *extra]


def finished(folder: Path, seeds: tuple[int, ...]) -> bool:
    """Whether `folder` holds a run of these seeds that ran to the end (its record says so)."""
    path = Path(folder) / RECORD
    if not path.is_file():
        return False
    record = read_json(path)
    return record.get("returncode") in FINISHED and tuple(record.get("seeds", ())) == tuple(seeds)


def run_world(ablation: Ablation, seeds: tuple[int, ...], folder: Path, extra: list[str], step: str) -> str:
    """Run one ablation world unless it already finished; "" when it has (now or before), else why not."""
    if finished(folder, seeds):
        log.info("%s %s: finished before (%s), not rerun", step, ablation.world, folder / RECORD)
        return ""
    try:
        load_world(world_ref(ablation.world))
    except FakebenchError as exc:  # e.g. a key the schema does not read yet: the row says so, the rest runs
        log.warning("%s %s: not run: %s", step, ablation.world, exc.message)
        return f"not run: {exc.message}"
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    command = pytest_command(ablation.world, seeds, folder, extra)
    log.info("%s %s: pytest --world %s --seeds %s (log: %s)", step, ablation.world, world_ref(ablation.world),
             ",".join(map(str, seeds)), folder / "pytest.log")
    start = time.monotonic()
    with open(folder / "pytest.log", "wb") as out:
        returncode = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False).returncode
    wall = time.monotonic() - start
    atomic_write_json(folder / RECORD, {"world": world_ref(ablation.world), "seeds": list(seeds),
                                        "returncode": returncode, "wall_s": round(wall, 1), "command": command})
    if returncode in FINISHED:
        log.info("%s %s: finished in %.1f min (pytest exit %d%s)", step, ablation.world, wall / 60, returncode,
                 ": some cases or claims failed, which are findings" if returncode else "")
        return ""
    log.error("%s %s: pytest exit %d after %.1f min; see %s", step, ablation.world, returncode, wall / 60,
              folder / "pytest.log")
    return f"pytest exit {returncode} (see {folder / 'pytest.log'})"


def run_ablation(ablations: list[Ablation], seeds: tuple[int, ...], out: Path, extra: list[str] | None = None,
                 table_only: bool = False) -> tuple[list[AblationRun], dict[str, Path]]:
    """Run each ablation world (unless `table_only`), then write the table; returns the runs and its paths."""
    runs = []
    for i, ablation in enumerate(ablations, 1):
        folder = Path(out) / ablation.world
        if table_only:
            status = "" if finished(folder, seeds) else "not finished"
        else:
            status = run_world(ablation, seeds, folder, list(extra or []), f"ablation [{i}/{len(ablations)}]")
        runs.append(AblationRun(ablation.world, ablation.change, folder, status))
    paths = write_ablation_table(runs, Path(out))
    log.info("ablation table: %s, %s", paths["markdown"], paths["csv"])
    return runs, paths


def _ablations(names: str | None) -> list[Ablation]:
    if not names:
        return list(ABLATIONS)
    chosen = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in chosen if n not in BY_NAME]
    if unknown:
        raise FakebenchError(f"unknown ablation {', '.join(map(repr, unknown))}; ablations: {', '.join(BY_NAME)}",
                             fix="pick from --list (comma-separated)")
    return [BY_NAME[n] for n in chosen]


def _seeds(value: str) -> tuple[int, ...]:
    try:
        seeds = tuple(int(v) for v in value.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seeds takes comma-separated integers, got {value!r}") from None
    if not seeds:
        raise argparse.ArgumentTypeError("--seeds is empty")
    return seeds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="arguments after -- go to each pytest run (e.g. -- --device cuda)")
    parser.add_argument("--out", type=Path, default=Path("ablation"), help="one folder per world, and the table")
    parser.add_argument("--worlds", default=None, help=f"comma-separated, of: {', '.join(BY_NAME)} (default: all)")
    parser.add_argument("--seeds", type=_seeds, default=SEEDS, help="training seeds (default: 0,1,2)")
    parser.add_argument("--table-only", action="store_true", help="write the table from the finished worlds only")
    parser.add_argument("--list", action="store_true", help="the ablations: world, what it changes, its key")
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        ablations = _ablations(args.worlds)
    except FakebenchError as exc:
        parser.error(str(exc))
    if args.list:
        for a in ablations:
            sys.stdout.write(f"{world_ref(a.world):<30} {a.change}{f' ({a.key})' if a.key else ''}\n")
        return 0
    log.info("ablation: %d world(s), seeds %s, into %s; FAKEBENCH_HOME %s", len(ablations),
             ",".join(map(str, args.seeds)), args.out, os.environ.get("FAKEBENCH_HOME", "(default)"))
    runs, _ = run_ablation(ablations, args.seeds, args.out, extra, args.table_only)
    return 0 if all(not r.status for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
