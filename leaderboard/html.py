"""The self-contained HTML report: tables and plots in one file (plots inlined as base64 PNG), so CI
can publish it as a single artifact and anyone can open it offline."""
from __future__ import annotations

import base64
import html

import pandas as pd
from tabulate import tabulate

from fakebench.leaderboard.claims import claims_table
from fakebench.leaderboard.plots import claims_plot
from fakebench.leaderboard.tables import (
    DETECTION_NOTE,
    METRIC_GLOSSARY,
    SEEDS_NOTE,
    generator_tables,
    overall_ranking,
)

CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.85rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; display: block; margin: 0.5rem 0 1.5rem; }
.note { color: #555; font-size: 0.9rem; }
"""

PLOT_TITLES = {
    "resize": "Balanced accuracy vs resize scale",
    "jpeg": "Balanced accuracy vs JPEG quality",
    "webp": "Balanced accuracy vs WebP quality",
    "real_fpr": "Real FPR at the calibrated threshold",
}


def _table(frame: pd.DataFrame) -> str:
    return tabulate(frame, headers="keys", tablefmt="html", showindex=False, floatfmt=".3f", missingval="n/a")


def _img(name: str, title: str, png: bytes) -> str:
    return (f'<img id="plot-{name}" alt="{html.escape(title)}" '
            f'src="data:image/png;base64,{base64.b64encode(png).decode()}">')


def render_html(board: pd.DataFrame, plots: dict[str, bytes], version: str, claims: list | None = None,
                protocol: str = "", detection: list[tuple[str, pd.DataFrame]] | None = None) -> str:
    """`protocol`: the run's protocol as HTML (fakebench.leaderboard.protocol); `detection`: the per-generator
    detection tables (fakebench.leaderboard.detection)."""
    n_images = int((board["n_real"] + board["n_fake"] + board["n_failed"]).sum()) if len(board) else 0
    body = [
        "<h1>fakebench leaderboard</h1>",
        f'<p class="note">{len(board)} cases, {n_images} scored image rows, fakebench {html.escape(version)}. '
        f"{html.escape(METRIC_GLOSSARY)}</p>",
    ]
    if protocol:
        body.append(protocol)
    if claims:
        body += ['<h2 id="claims">Claims</h2>', _table(claims_table(claims))]
        if png := claims_plot(claims):
            body.append(_img("claims", "claims: our value and 95% interval against each margin", png))
    body += ["<h2>Overall ranking</h2>", _table(overall_ranking(board))]
    if detection:
        body += ['<h2 id="detection">Detection per generator</h2>',
                 f'<p class="note">{html.escape(DETECTION_NOTE)}</p>']
        for detector, table in detection:
            body += [f"<h3>{html.escape(detector)}</h3>", _table(table.astype(object).where(table.notna(), None))]
    for name, png in plots.items():
        title = PLOT_TITLES.get(name, name)
        body += [f"<h2>{html.escape(title)}</h2>", _img(name, title, png)]
    if len(board) and board["seed"].nunique() > 1:
        body += [f'<p class="note">{html.escape(SEEDS_NOTE)}</p>']
    for generator, table in generator_tables(board):
        body += [f'<h2 id="gen-{html.escape(generator)}">{html.escape(generator)}</h2>', _table(table)]
    notes = board[board["note"] != ""]
    if len(notes):
        body += ["<h2>Notes</h2>", "<ul>"]
        body += [f"<li><code>{html.escape(r.case_id)}</code>: {html.escape(r.note)}</li>" for r in notes.itertuples()]
        body += ["</ul>"]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>fakebench leaderboard</title>"
            f"<style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")
