"""The answer first: the summary a person reads at the end of a run, in the terminal, at the top of
leaderboard.md and report.html, and in the CI job summary.

Sections, in order: the ranking, a table like the paper's Table 3 (rows: generators and the reals;
columns: the paper's detector by training recipe; cells: balanced accuracy clean / post-processed),
one line per claim, the failed floors grouped by detector and perturbation family, and where the
reports are. It is built from what a results folder holds (`fakebench.leaderboard.results`), so a
folder written by an older version renders the sections it can and names what it lacks."""
from __future__ import annotations

import math
import textwrap
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
from tabulate import tabulate

from fakebench.evaluation.claims import ClaimContext, ClaimResult, claim_value
from fakebench.evaluation.perturbations import CLEAN, family
from fakebench.leaderboard.tables import overall_ranking

POST_PROCESSED = "resize0.5+jpeg75"  # the paper's Table 3 "post-processed" column
REALS_ROW = "reals"
MAX_WIDTH = 120
MAX_FLOOR_LINES = 8  # failed-floor groups shown; the rest are counted
NOTHING = ("nothing to summarise: {where} holds no scored case; `pytest benchmark/` runs the benchmark and writes "
           "one (or `fakebench report STORE` rebuilds the reports of a score store)")
RANKING_COLUMNS = {"detector": "detector", "cases": "cases", "mean_bal_acc": "mean bal. acc",
                   "worst_bal_acc": "worst", "worst_case": "worst case", "mean_auc": "mean AUC",
                   "mean_real_fpr_cal": "real FPR@cal"}
RANKING_DROP = ("real FPR@cal", "mean AUC", "worst case", "cases")  # dropped in this order to fit a width
# what each section reads from a board; a results folder lacking one of them skips the section, saying so
NEEDS = {"ranking": ("detector", "bal_acc", "auc", "real_fpr_cal", "generator", "perturbation"),
         "paper table": ("detector", "generator", "perturbation", "bal_acc", "real_acc")}


FLOOR_MISS = "fakebench_floor_miss"  # the user property a failed case records its FloorMiss under


@dataclass(frozen=True)
class FloorMiss:
    """A case whose balanced accuracy fell below its declared floor (a failed `test_case`)."""

    detector: str
    generator: str
    perturbation: str
    seed: int
    bal_acc: float
    floor: float


@dataclass(frozen=True)
class Summary:
    """Everything the summary shows, already computed; the renderers only lay it out."""

    ranking: pd.DataFrame | None
    paper: pd.DataFrame | None  # index: generators then `reals`; columns: recipes
    paper_note: str
    claims: list[ClaimResult]
    floors: list[FloorMiss] | None  # None: not known (the folder was not written by a benchmark run)
    paths: dict[str, Path] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # what an older results folder lacks, in words
    empty: str = ""  # non-empty: there is nothing to summarise, and this says why and what to run
    not_judged: str = ""  # one line: the claims the world lacks the roles of (fakebench.evaluation.claims)


def recipe_columns(roles: ClaimContext) -> list[tuple[str, str]]:
    """(column header, detector label) of the paper's detector under each training recipe."""
    return [("baseline", roles.baseline), ("aligned", roles.aligned), ("aligned-sync", roles.aligned_sync),
            ("shader", roles.procedural)]


def _cell(clean: float, post: float, has_post: bool) -> str:
    text = "-" if math.isnan(clean) else f"{clean:.3f}"
    return text + (" / " + ("-" if math.isnan(post) else f"{post:.3f}") if has_post else "")


def paper_table(board: pd.DataFrame, roles: ClaimContext) -> tuple[pd.DataFrame | None, str]:
    """The Table-3-style grid and a one-line note saying how to read it (or why it is absent).

    Generator rows: balanced accuracy; the reals row: the share of reals called real (the same reals
    are scored with every generator, so it is their mean). Seeds are averaged."""
    columns = [(header, label) for header, label in recipe_columns(roles) if label in set(board["detector"])]
    if not columns:
        return None, (f"no paper table: the results hold none of {roles.backbone}'s recipes "
                      f"({', '.join(label for _, label in recipe_columns(roles))})")
    has_post = bool((board["perturbation"] == POST_PROCESSED).any())
    generators = sorted(board.loc[board["detector"].isin([label for _, label in columns]), "generator"].unique())

    def value(label: str, generator: str | None, perturbation: str) -> float:
        rows = board[(board["detector"] == label) & (board["perturbation"] == perturbation)]
        if generator is None:  # the reals: their accuracy, whichever generator's case scored them
            return float(rows["real_acc"].mean()) if len(rows) else math.nan
        rows = rows[rows["generator"] == generator]
        return float(rows["bal_acc"].mean()) if len(rows) else math.nan

    rows = {}
    for generator in [*generators, None]:
        rows[REALS_ROW if generator is None else generator] = {
            header: _cell(value(label, generator, CLEAN), value(label, generator, POST_PROCESSED), has_post)
            for header, label in columns}
    table = pd.DataFrame.from_dict(rows, orient="index")
    trained = f", trained on {roles.trained_on}" if roles.trained_on else ""
    note = (f"{roles.backbone} by training recipe{trained}: balanced accuracy clean"
            + (f" / {POST_PROCESSED}" if has_post else f" ({POST_PROCESSED} not in these results)")
            + f"; row `{REALS_ROW}`: share of reals called real; `-`: not scored")
    return table, note


def floor_groups(floors: list[FloorMiss]) -> pd.DataFrame:
    """One row per detector x perturbation family: how many cases missed, on what, the worst value."""
    if not floors:
        return pd.DataFrame(columns=["detector", "family", "cases", "generators", "perturbations", "worst", "floor"])
    frame = pd.DataFrame([asdict(f) for f in floors]).assign(family=lambda f: f["perturbation"].map(family))
    rows = []
    for (detector, fam), group in frame.groupby(["detector", "family"], sort=False):
        rows.append({"detector": detector, "family": fam, "cases": len(group),
                     "generators": ", ".join(dict.fromkeys(group["generator"])),
                     "perturbations": ", ".join(dict.fromkeys(group["perturbation"])),
                     "worst": float(group["bal_acc"].min()), "floor": float(group["floor"].max())})
    return pd.DataFrame(rows).sort_values(["cases", "worst"], ascending=[False, True], ignore_index=True)


def build_summary(board: pd.DataFrame, claims: list[ClaimResult], roles: ClaimContext,
                  floors: list[FloorMiss] | None = None, paths: dict[str, Path] | None = None,
                  missing: list[str] | None = None, where: str = "the results", not_judged: str = "") -> Summary:
    missing = list(missing or [])
    if board is None or not len(board):
        return Summary(None, None, "", [], floors, paths or {}, missing, empty=NOTHING.format(where=where))
    lacking = {name: [c for c in cols if c not in board.columns] for name, cols in NEEDS.items()}
    missing += [f"{name}: column(s) {', '.join(cols)}" for name, cols in lacking.items() if cols]
    ranking = overall_ranking(board) if not lacking["ranking"] else None
    paper, note = paper_table(board, roles) if not lacking["paper table"] else (None, "")
    return Summary(ranking, paper, note, list(claims), floors, paths or {}, missing, not_judged=not_judged)


# ------------------------------------------------------------------------------------ verdicts


def verdict_word(r: ClaimResult) -> str:
    """`holds`, `fails`, `limit shown`, ... when judged; `indicative: <outcome>` when not; `no data`.
    `(not significant)` reads `(n.s.)`: the 95% interval straddles the margin."""
    outcome = (r.outcome or r.verdict).replace("not significant", "n.s.")  # an older folder has no outcome
    if r.judged or outcome == "no data" or outcome.startswith("indicative"):
        return outcome
    return f"indicative: {outcome}"


def claim_cells(r: ClaimResult) -> tuple[str, str, str, str, str]:
    """(id, words, value [interval], margin, verdict) of one claim; the margin as `<op> <number>` (the
    quantity compared is in the words)."""
    margin = " ".join(r.comparison.replace("margin", f"{r.margin:g}").split()[-2:])
    return r.id, r.title, claim_value(r, seeds=False), margin, verdict_word(r)


# ------------------------------------------------------------------------------------ terminal


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(0, width - 1)] + "…"


def _render(frame: pd.DataFrame) -> list[str]:
    return tabulate(frame, headers="keys", tablefmt="simple", showindex=False, floatfmt=".3f").splitlines()


def _fit_table(frame: pd.DataFrame, width: int, drop: tuple[str, ...] = (), clip: str | None = None,
               clip_to: int = 24) -> list[str]:
    """A plain-text table no wider than `width`: clip column `clip` to `clip_to` characters, then drop
    columns in `drop` order, then clip every line."""
    frame = frame.copy()
    lines = _render(frame)
    if max(map(len, lines)) > width and clip in frame.columns:
        frame[clip] = frame[clip].astype(str).map(lambda v: _clip(v, clip_to))
        lines = _render(frame)
    for column in drop:
        if max(map(len, lines)) <= width:
            break
        if column in frame.columns and len(frame.columns) > 2:
            frame = frame.drop(columns=column)
            lines = _render(frame)
    return [_clip(line, width) for line in lines]


def ranking_frame(ranking: pd.DataFrame) -> pd.DataFrame:
    return ranking[[c for c in RANKING_COLUMNS if c in ranking.columns]].rename(columns=RANKING_COLUMNS)


def _claim_lines(claims: list[ClaimResult], width: int) -> list[str]:
    """Aligned columns; the words take what the others leave (clipped, never the numbers)."""
    cells = [claim_cells(r) for r in claims]
    w = [max(len(c[i]) for c in cells) for i in range(5)]
    title_w = min(w[1], width - w[0] - w[2] - w[3] - w[4] - 8)
    if title_w < 30:  # too narrow for the words beside the numbers: the words go on a line of their own
        pad = " " * (w[0] + 2)
        return [line for c in cells for line in (
            _clip(f"{c[0]:<{w[0]}}  {c[2]:<{w[2]}}  {c[3]:<{w[3]}}  {c[4]}", width), _clip(pad + c[1], width))]
    return [_clip(f"{c[0]:<{w[0]}}  {_clip(c[1], title_w):<{title_w}}  {c[2]:<{w[2]}}  {c[3]:<{w[3]}}  {c[4]}",
                  width) for c in cells]


def _floor_lines(groups: pd.DataFrame, width: int, limit: int) -> list[str]:
    lines = []
    for g in groups.head(limit).itertuples():
        cases = f"{g.cases} case{'s' if g.cases != 1 else ''}"
        lines.append(_clip(f"{g.detector} / {g.family}: {cases}, worst {g.worst:.3f} < floor {g.floor:.2f} "
                           f"({g.perturbations} on {g.generators})", width))
    if len(groups) > limit:
        rest = groups.iloc[limit:]
        lines.append(f"... and {len(rest)} more group(s), {int(rest['cases'].sum())} case(s): see leaderboard.md")
    return lines


def _path_lines(paths: dict[str, Path], width: int) -> list[str]:
    if not paths:
        return []
    folders = {Path(p).parent for p in paths.values()}
    if len(folders) == 1:
        folder = folders.pop()
        names = [Path(p).name for p in paths.values()]
        return _wrap(f"reports in {folder}/: {', '.join(names)}", width)
    return [_clip(f"{kind:>9}: {path}", width) for kind, path in paths.items()]


def summary_text(s: Summary, width: int = MAX_WIDTH, detail: str = "full") -> str:
    """The terminal summary: at most `width` columns (and MAX_WIDTH; a path longer than that stays whole);
    `detail` full, short or none."""
    width = min(width, MAX_WIDTH)
    if s.empty:
        return _clip(s.empty, 10_000)  # one line, whole: it names the command
    out: list[str] = []
    if detail == "full" and s.ranking is not None:
        out += ["ranking (mean balanced accuracy over every case a detector ran):"]
        out += _fit_table(ranking_frame(s.ranking), width, RANKING_DROP, clip="worst case") + [""]
    if detail != "none" and s.paper is not None:
        out += _wrap(s.paper_note, width)
        out += _fit_table(s.paper.rename_axis("").reset_index(), width) + [""]
    elif detail != "none" and s.paper_note:
        out += [_clip(s.paper_note, width), ""]
    if detail != "none" and s.claims:
        indicative = any(verdict_word(r).startswith("indicative") for r in s.claims)
        out += _wrap("claims: value [95% CI], margin, verdict (n.s.: the interval straddles the margin)"
                     + ("; indicative: too few training seeds to judge, --seeds 0,1,2 judges" if indicative else ""),
                     width)
        out += _claim_lines(s.claims, width) + [""]
    if detail != "none" and s.not_judged:
        out += _wrap(s.not_judged, width) + [""]
    if detail != "none" and s.floors:
        groups = floor_groups(s.floors)
        out += [f"failed floors: {len(s.floors)} case(s), by detector / perturbation family"]
        out += _floor_lines(groups, width, MAX_FLOOR_LINES if detail == "full" else 4) + [""]
    if s.missing:
        out += _wrap("not shown, the results lack: " + "; ".join(s.missing)
                     + " (written by an older fakebench? `fakebench report STORE` rebuilds them)", width) + [""]
    out += _path_lines(s.paths, width)
    return "\n".join(out).rstrip("\n")


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False) or [""]  # paths stay whole


# ------------------------------------------------------------------------------------ markdown


def _md(frame: pd.DataFrame) -> str:
    return tabulate(frame, headers="keys", tablefmt="github", showindex=False, floatfmt=".3f")


def claims_brief(claims: list[ClaimResult]) -> pd.DataFrame:
    """The claims as the summary shows them: one row each, few words."""
    return pd.DataFrame([claim_cells(r) for r in claims],
                        columns=["claim", "says", "ours [95% CI]", "margin", "verdict"])


def floors_markdown(floors: list[FloorMiss]) -> list[str]:
    groups = floor_groups(floors)
    return [f"- **{g.detector}** / {g.family}: {g.cases} case(s), worst {g.worst:.3f} < floor {g.floor:.2f} "
            f"({g.perturbations} on {g.generators})" for g in groups.itertuples()]


def summary_markdown(s: Summary, detail: str = "full", heading: str = "##") -> str:
    """The summary as markdown: leaderboard.md's top (`full`) and the CI job summary (`short`)."""
    if s.empty:
        return s.empty + "\n"
    parts: list[str] = []
    if detail == "full" and s.ranking is not None:
        parts += [f"{heading} Overall ranking", "", _md(ranking_frame(s.ranking)), ""]
    if detail != "none" and s.paper is not None:
        parts += [f"{heading} Results like the paper's Table 3", "", s.paper_note + ".", "",
                  _md(s.paper.rename_axis("").reset_index()), ""]
    if detail != "none" and s.claims:
        parts += [f"{heading} Claims", "", _md(claims_brief(s.claims)), ""]
    if detail != "none" and s.not_judged:
        parts += [s.not_judged + ".", ""]
    if detail != "none" and s.floors:
        parts += [f"{heading} Failed floors ({len(s.floors)} cases)", ""] + floors_markdown(s.floors) + [""]
    if s.missing:
        parts += ["Not shown, the results lack: " + "; ".join(s.missing) + ".", ""]
    return "\n".join(parts)
