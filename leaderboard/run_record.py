"""The run's record (`run.json`, see `fakebench.core.provenance`) rendered for the top of leaderboard.md
and report.html. Generic: nested settings are flattened to `key.sub=value`, so fields added to a
config appear without a change here."""
from __future__ import annotations

import html
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd
from tabulate import tabulate

from fakebench.core import numerics
from fakebench.core.provenance import read_run_json


def read_run_record(store: Path) -> dict | None:
    """The run.json beside a score store, if there is one."""
    return read_run_json(Path(store).parent)


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}{k}."))
        return out
    return {prefix.rstrip("."): value}


def _text(flat: dict[str, Any]) -> str:
    return ", ".join(f"{k}={json.dumps(v) if isinstance(v, (list, dict)) else v}" for k, v in flat.items())


def augment_brief(augment: dict) -> str:
    """An augmentation config as its preset's name plus the fields that differ from the preset
    (`light (crop=32)`); one not from a known preset is written out whole."""
    from fakebench.detectors.augment import PRESETS  # the presets' single source; torch is loaded by then

    preset = PRESETS.get(str(augment.get("preset")))
    if preset is None:
        return _text(flatten(augment))
    defaults = json.loads(json.dumps(asdict(preset)))  # tuples as JSON lists, like run.json's
    differs = {k: v for k, v in augment.items() if k != "preset" and defaults.get(k) != v}
    return f"{augment['preset']}" + (f" ({_text(differs)})" if differs else "")


def _brief(value: Any) -> Any:
    """`value` with every `augment` dict holding a `preset` replaced by augment_brief's text."""
    if not isinstance(value, dict):
        return value
    return {k: augment_brief(v) if k == "augment" and isinstance(v, dict) and "preset" in v else _brief(v)
            for k, v in value.items()}


def run_record_tables(run_record: dict) -> tuple[list[str], pd.DataFrame, pd.DataFrame]:
    """Lines (kind, versions, settings), the detectors table and the dataset manifest table."""
    lines = [f"run: {run_record.get('kind', '?')} (`{' '.join(run_record.get('argv', []))}`), "
             f"{run_record.get('world_size', 1)} process(es)",
             "versions: " + _text(run_record.get("versions", {}))]
    if run_record.get("numerics"):
        lines.append("numerics: " + numerics.summary(run_record["numerics"]))
    settings = _brief(run_record.get("settings", {}))
    lines += [f"{k}: {_text(flatten(v)) if isinstance(v, dict) else v}" for k, v in settings.items()]
    if run_record.get("roles"):
        lines.append("claim roles: " + _text(run_record["roles"]))
    detectors = pd.DataFrame([{
        "detector": d.get("label"), "seed": d.get("seed"), "checkpoint": d.get("checkpoint"),
        "recipe": (d.get("spec") or {}).get("recipe", ""), "trained on": (d.get("spec") or {}).get("generator", ""),
        "training": _text(flatten(_brief(d.get("train_config") or {}))),
        "training data (hash)": ", ".join(f"{k} {v[:12]}" for k, v in (d.get("training_data") or {}).items()),
    } for d in run_record.get("detectors", [])])
    datasets = pd.DataFrame([{
        "split": s.get("split"), "generator": s.get("generator") or "(shared)", "set": s.get("set"),
        "label": "fake" if s.get("label") == 1 else "real", "images": s.get("images"), "failed": s.get("failed"),
        "content hash": s.get("content_hash"),
    } for s in run_record.get("datasets", [])])
    return lines, detectors, datasets


PROTOCOL_SUMMARY = "Protocol: the command, versions, settings, each detector's training and the data scored"


AUDIT_NOTE = ("Training-set audit (fakebench audit): a classifier on file metadata alone (format, JPEG quality, "
              "size, mode) separates the set's reals from its fakes with this cross-validated AUC; 0.5 = aligned, "
              "1.0 = a detector need not look at a pixel.")


def audit_frame(run_record: dict) -> pd.DataFrame:
    """run.json's `training_audit`: one row per training set the run's detectors learned from."""
    def auc(e: dict) -> str:
        return f"{e['auc']:.2f} [{e['lo']:.2f}, {e['hi']:.2f}]" if e.get("auc") is not None else "n/a"

    return pd.DataFrame([{
        "recipe": e.get("recipe"), "reals": e.get("reals"), "generator": e.get("generator"),
        "n real": e.get("n_real", ""), "n fake": e.get("n_fake", ""), "n unreadable": e.get("n_unreadable", ""),
        "shortcut AUC [95% CI]": auc(e), "leading cue": e.get("leading", ""),
        "note": e.get("error") or "; ".join(e.get("notes") or []),
    } for e in run_record.get("training_audit") or []])


def run_record_markdown(run_record: dict) -> str:
    """The run_record inside `<details>`: collapsed where the renderer supports it (GitHub does)."""
    lines, detectors, datasets = run_record_tables(run_record)
    parts = ["<details>", f"<summary>{PROTOCOL_SUMMARY}</summary>", "", "## Protocol", ""]
    parts += [f"- {line}" for line in lines] + [""]
    if len(detectors):
        parts += ["Detectors:", "", tabulate(detectors, headers="keys", tablefmt="github", showindex=False), ""]
    if len(datasets):
        parts += ["Data (content hash: over each set's image ids and sha256s):", "",
                  tabulate(datasets, headers="keys", tablefmt="github", showindex=False), ""]
    audit = audit_frame(run_record)
    if len(audit):
        parts += [AUDIT_NOTE, "", tabulate(audit, headers="keys", tablefmt="github", showindex=False,
                                           disable_numparse=True), ""]
    return "\n".join(parts + ["</details>", ""])


def run_record_html(run_record: dict) -> str:
    lines, detectors, datasets = run_record_tables(run_record)
    body = ['<details id="run_record-details">', f"<summary>{html.escape(PROTOCOL_SUMMARY)}</summary>",
            '<h2 id="run_record">Protocol</h2>', "<ul>"] + [f"<li>{html.escape(line)}</li>" for line in lines]
    body.append("</ul>")
    for title, frame in (("Detectors", detectors), ("Data", datasets)):
        if len(frame):
            body += [f"<h3>{title}</h3>", '<div class="scroll">'
                     + tabulate(frame, headers="keys", tablefmt="html", showindex=False) + "</div>"]
    audit = audit_frame(run_record)
    if len(audit):
        body += ["<h3>Training-set audit</h3>", f"<p class='note'>{html.escape(AUDIT_NOTE)}</p>",
                 '<div class="scroll">' + tabulate(audit, headers="keys", tablefmt="html", showindex=False,
                                                    disable_numparse=True) + "</div>"]
    return "\n".join(body + ["</details>"])
