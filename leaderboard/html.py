"""The self-contained HTML report: tables and plots in one file (plots inlined as base64 PNG), so CI
can publish it as a single artifact and anyone can open it offline.

The answer first, as in leaderboard.md: the summary (ranking, Table-3-style table, claims, failed
floors), then the plots, each titled and captioned with what to read from it, then the tables in full,
then the run record, collapsed."""
from __future__ import annotations

import base64
import html

import pandas as pd
from tabulate import tabulate

from fakebench.evaluation.claims import claims_table
from fakebench.leaderboard.plots import claims_plot
from fakebench.leaderboard.summary import Summary, claims_brief, floor_groups, ranking_frame
from fakebench.leaderboard.tables import DETECTION_NOTE, METRIC_GLOSSARY, SEEDS_NOTE, generator_tables

CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5rem auto; padding: 0 1rem; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.85rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: left; }  /* numbers: tabulate right-aligns */
th { background: #f3f3f3; }
.scroll { overflow-x: auto; max-width: 100%; }
figure { margin: 0.5rem 0 1.5rem; } figcaption { color: #444; font-size: 0.9rem; }
img { max-width: 100%; display: block; margin: 0.3rem 0; }
.note { color: #555; font-size: 0.9rem; }
summary { cursor: pointer; font-weight: 600; margin: 1rem 0; }
"""

# name (fakebench.leaderboard.plots.all_plots): (title, what to read from it)
PLOTS = {
    "resize_probability": ("Fake probability against resize scale, by recipe (claim C2)",
                           "Fakes (red) should stay high and reals (blue) low at every scale: the baseline's fakes "
                           "fall towards 0 when downscaled and its reals rise when upscaled; the aligned recipes' "
                           "should not."),
    "resize": ("Balanced accuracy against resize scale",
               "A flat line is a detector robust to resizing; 0.5 (dotted) is chance."),
    "jpeg": ("Balanced accuracy against JPEG quality",
             "Read right to left: how fast each detector loses accuracy as compression grows; 0.5 is chance."),
    "webp": ("Balanced accuracy against WebP quality",
             "WebP is absent from training augmentations: a drop here is the paper's known limit (C4a)."),
    "real_fpr": ("Reals flagged as fake at the calibrated threshold",
                 "Bars above the dashed 5% line: the perturbation makes real images look fake to that detector."),
    "claims": ("Claims: our value against each margin",
               "Each panel is one claim: the dot and bar are our value and 95% interval, the dashed line the "
               "margin it must clear; grey: indicative (fewer training seeds than a verdict needs)."),
}


def _table(frame: pd.DataFrame, index: bool = False) -> str:
    return ('<div class="scroll">' + tabulate(frame, headers="keys", tablefmt="html", showindex=index,
                                              floatfmt=".3f", missingval="n/a") + "</div>")


def _figure(name: str, png: bytes) -> str:
    title, caption = PLOTS[name]
    return (f'<section id="plot-section-{name}"><h3>{html.escape(title)}</h3><figure>'
            f'<img id="plot-{name}" alt="{html.escape(title)}" '
            f'src="data:image/png;base64,{base64.b64encode(png).decode()}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure></section>")


def summary_html(s: Summary) -> list[str]:
    """The summary's sections: ranking, Table-3-style table, claims (with their plot), failed floors."""
    if s.empty:
        return [f'<p class="note">{html.escape(s.empty)}</p>']
    body = []
    if s.ranking is not None:
        body += ['<h2 id="ranking">Ranking</h2>',
                 '<p class="note">Detectors by mean balanced accuracy over every case they ran.</p>',
                 _table(ranking_frame(s.ranking))]
    if s.paper is not None:
        body += ['<h2 id="table3">Results like the paper\'s Table 3</h2>',
                 f'<p class="note">{html.escape(s.paper_note)}.</p>', _table(s.paper.rename_axis(""), index=True)]
    if s.claims:
        body += ['<h2 id="claims">Claims</h2>', _table(claims_brief(s.claims))]
        if png := claims_plot(s.claims):
            body.append(_figure("claims", png))
    if s.not_judged:
        body.append(f'<p class="note">{html.escape(s.not_judged)}.</p>')
    if s.floors:
        body += [f'<h2 id="floors">Failed floors ({len(s.floors)} cases)</h2>',
                 _table(floor_groups(s.floors))]
    if s.missing:
        body.append(f'<p class="note">Not shown, the results lack: {html.escape("; ".join(s.missing))}.</p>')
    return body


def render_html(board: pd.DataFrame, plots: dict[str, bytes], version: str, claims: list | None = None,
                run_record: str = "", detection: list[tuple[str, pd.DataFrame]] | None = None,
                summary: Summary | None = None) -> str:
    """`plots`: fakebench.leaderboard.plots.all_plots; `run_record`: the run's record as HTML
    (fakebench.leaderboard.run_record); `detection`: the per-generator detection tables
    (fakebench.leaderboard.detection); `summary`: what the page leads with (fakebench.leaderboard.summary)."""
    n_images = int((board["n_real"] + board["n_fake"] + board["n_failed"]).sum()) if len(board) else 0
    body = [
        "<h1>fakebench leaderboard</h1>",
        f'<p class="note">{len(board)} cases, {n_images} scored image rows, fakebench {html.escape(version)}.</p>',
    ]
    if summary is not None:
        body += summary_html(summary)
    if plots:
        body += ['<h2 id="plots">Plots</h2>'] + [_figure(name, png) for name, png in plots.items()]
    body += ['<h2 id="in-full">In full</h2>', f'<p class="note">{html.escape(METRIC_GLOSSARY)}</p>']
    if claims:
        body += ['<h3 id="claims-full">Claims: the paper\'s numbers, the metric, the detail</h3>',
                 _table(claims_table(claims))]
    if detection:
        body += ['<h3 id="detection">Detection per generator</h3>',
                 f'<p class="note">{html.escape(DETECTION_NOTE)}</p>']
        for detector, table in detection:
            body += [f"<h4>{html.escape(detector)}</h4>", _table(table.astype(object).where(table.notna(), None))]
    if len(board) and board["seed"].nunique() > 1:
        body += [f'<p class="note">{html.escape(SEEDS_NOTE)}</p>']
    for generator, table in generator_tables(board):
        body += [f'<h3 id="gen-{html.escape(generator)}">{html.escape(generator)}: every case</h3>', _table(table)]
    notes = board[board["note"] != ""]
    if len(notes):
        body += ["<h3>Notes</h3>", "<ul>"]
        body += [f"<li><code>{html.escape(r.case_id)}</code>: {html.escape(r.note)}</li>" for r in notes.itertuples()]
        body += ["</ul>"]
    if run_record:
        body.append(run_record)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>fakebench leaderboard</title>"
            f"<style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")
