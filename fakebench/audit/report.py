"""An audit's reports: the terminal table a person reads in ten seconds (one line per source), JSON for
machines, and a self-contained HTML page with per-class histograms (matplotlib, inlined like
report.html's plots)."""
from __future__ import annotations

import base64
import html
import io
import json
import math
from pathlib import Path

import numpy as np
from tabulate import tabulate

from fakebench.audit.headers import QUALITY_ESTIMATOR
from fakebench.audit.shortcut import CLASSIFIER, LEAD_MIN, AuditResult, ShortcutScore
from fakebench.core.cache import atomic_write_bytes

AUDIT_FORMAT = 1  # bumped when the JSON's shape changes


def auc_text(s: ShortcutScore | None) -> str:
    if s is None or math.isnan(s.auc):
        return "n/a"
    return f"{s.auc:.2f} [{s.lo:.2f}, {s.hi:.2f}]"


def cue_text(s: ShortcutScore) -> str:
    """The leading cue with its own AUC, and the runner-up when it also leaks."""
    if s.leading == "none":
        return "none" if s.families else "n/a"
    leaks = [f"{name} {auc:.2f}" for name, auc in s.families if auc >= LEAD_MIN]
    return ", ".join(leaks[:2])


def _pairs_text(pairs: dict | None) -> str:
    if not pairs:
        return ""
    psnr = pairs["psnr_db"].get("median")
    size, fmt = pairs["size_mismatch"], pairs["format_mismatch"]
    return (f"{pairs['pairs']} pairs, PSNR {psnr:.1f} dB" if psnr is not None else f"{pairs['pairs']} pairs") + \
        (f", size differs {size:.0%}, format differs {fmt:.0%}" if size is not None else "")


def terminal_table(results: list[AuditResult]) -> str:
    """One line per source, then any notes (small classes, missing pairs)."""
    pixels = any(r.pixels is not None for r in results)
    pairs = any(r.pairs for r in results)
    rows = []
    for r in results:
        row = [r.source, auc_text(r.shortcut), cue_text(r.shortcut), r.n_real, r.n_fake, r.n_unreadable]
        if pixels:
            row += [auc_text(r.pixels), cue_text(r.pixels) if r.pixels else ""]
        if pairs:
            row.append(_pairs_text(r.pairs))
        rows.append(row)
    headers = ["source", "shortcut AUC [95% CI]", "leading cue (family AUC)", "n real", "n fake", "n unreadable"]
    headers += ["pixel AUC [95% CI]", "leading pixel cue"] if pixels else []
    headers += ["pairs"] if pairs else []
    lines = [tabulate(rows, headers=headers, disable_numparse=True)]
    lines += [f"{r.source}: {note}" for r in results for note in r.notes]
    lines.append("shortcut AUC: a metadata-only classifier's cross-validated AUC (0.5: metadata says nothing about "
                 "the label; 1.0: no pixel needed)")
    return "\n".join(lines)


def _no_nan(value):
    """NaN (an AUC that cannot be computed) as null, so the JSON stays standard."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_no_nan(v) for v in value]
    return value


def audit_record(results: list[AuditResult]) -> dict:
    """The JSON document: every source's audit (unreadable files listed, each with its reason)."""
    return _no_nan({"format": AUDIT_FORMAT, "classifier": CLASSIFIER, "quality_estimator": QUALITY_ESTIMATOR,
                    "sources": [r.as_dict() for r in results]})


def write_json(path: Path, results: list[AuditResult]) -> Path:
    atomic_write_bytes(Path(path), json.dumps(audit_record(results), indent=1, default=float).encode())
    return Path(path)


# --- HTML ---------------------------------------------------------------------------------------------

HISTOGRAMS = {  # title -> value of one readable header (None: left out of that histogram)
    "short side (px)": lambda h: min(h.width, h.height),
    "aspect ratio (w / h)": lambda h: h.width / h.height,
    "megapixels": lambda h: h.megapixels,
    "JPEG quality (estimated)": lambda h: None if math.isnan(h.jpeg_quality) else h.jpeg_quality,
    "bytes per pixel": lambda h: h.bytes_per_pixel,
}
PIXEL_TITLES = ("mean intensity", "mean saturation", "Laplacian variance")
COLORS = {"real": "tab:blue", "fake": "tab:orange"}


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _histograms(per_class: dict[str, list[float]], title: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.2, 2.6))
    values = [v for vs in per_class.values() for v in vs]
    if values:
        bins = np.histogram_bin_edges(values, bins=30)
        for label, vs in per_class.items():
            if vs:
                ax.hist(vs, bins=bins, alpha=0.55, label=f"{label} ({len(vs)})", color=COLORS.get(label))
        ax.legend(fontsize=7)
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)
    return _png(fig)


def _source_html(r: AuditResult) -> str:
    parts = [f"<h2>{html.escape(r.source)}</h2>", f"<p class='note'>{html.escape(r.note)}</p>",
             tabulate([[auc_text(r.shortcut), cue_text(r.shortcut), r.n_real, r.n_fake, r.n_unreadable,
                        auc_text(r.pixels)]],
                      headers=["shortcut AUC [95% CI]", "leading cue", "n real", "n fake", "n unreadable",
                               "pixel AUC"], tablefmt="html", disable_numparse=True)]
    parts.append(tabulate([[name, f"{auc:.3f}"] for name, auc in r.shortcut.families],
                          headers=["feature family", "AUC alone"], tablefmt="html", disable_numparse=True))
    cues = ["format", "most_common_size", "most_common_size_share", "distinct_sizes", "subsampling", "progressive",
            "mode", "icc", "exif"]
    parts.append(tabulate([[c, *(json.dumps(r.classes[k].get(c)) for k in ("real", "fake"))] for c in cues],
                          headers=["cue", "real", "fake"], tablefmt="html", disable_numparse=True))
    plots = []
    for title, value in HISTOGRAMS.items():
        per_class = {k: [v for h in hs if h.readable and (v := value(h)) is not None] for k, hs in r.headers.items()}
        if any(per_class.values()):
            plots.append(_histograms(per_class, title))
    for k, title in enumerate(PIXEL_TITLES):
        if r.pixel_values:
            plots.append(_histograms({c: list(v[:, k]) for c, v in r.pixel_values.items()}, title))
    if r.pairs and r.pairs["psnr_values"]:
        plots.append(_histograms({"pairs": r.pairs["psnr_values"]}, "PSNR of each fake vs its real (dB)"))
    parts += [f"<img src='data:image/png;base64,{p}' style='display:inline-block;width:32%'>" for p in plots]
    if r.unreadable:
        parts.append(f"<h3>Unreadable files ({len(r.unreadable)})</h3>")
        parts.append(tabulate([[u["file"], u["label"], u["reason"]] for u in r.unreadable],
                              headers=["file", "label", "reason"], tablefmt="html", disable_numparse=True))
    parts += [f"<p class='note'>{html.escape(n)}</p>" for n in r.notes]
    return "\n".join(parts)


CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.85rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; } th { background: #f3f3f3; }
.note { color: #555; font-size: 0.9rem; }
"""


def write_html(path: Path, results: list[AuditResult]) -> Path:
    body = "\n".join(_source_html(r) for r in results)
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>fakebench audit</title><style>{CSS}</style>"
            f"</head><body><h1>Training-set audit</h1><p class='note'>Shortcut AUC: {html.escape(CLASSIFIER)} on "
            f"header metadata only. JPEG quality: {html.escape(QUALITY_ESTIMATOR)}.</p>{body}</body></html>")
    atomic_write_bytes(Path(path), page.encode())
    return Path(path)
