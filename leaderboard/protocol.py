"""The run's protocol (`run.json`, see `fakebench.benchmark.protocol`) rendered for the top of leaderboard.md
and report.html. Generic: nested settings are flattened to `key.sub=value`, so fields added to a
config appear without a change here."""
from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pandas as pd
from tabulate import tabulate

from fakebench.core import numerics

RUN_FILE = "run.json"


def read_protocol(store: Path) -> dict | None:
    """The run.json beside a score store, if there is one."""
    path = Path(store).with_name(RUN_FILE)
    return json.loads(path.read_text()) if path.is_file() else None


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}{k}."))
        return out
    return {prefix.rstrip("."): value}


def _text(flat: dict[str, Any]) -> str:
    return ", ".join(f"{k}={json.dumps(v) if isinstance(v, (list, dict)) else v}" for k, v in flat.items())


def protocol_tables(protocol: dict) -> tuple[list[str], pd.DataFrame, pd.DataFrame]:
    """Lines (kind, versions, settings), the detectors table and the dataset manifest table."""
    lines = [f"run: {protocol.get('kind', '?')} (`{' '.join(protocol.get('argv', []))}`), "
             f"{protocol.get('world_size', 1)} process(es)",
             "versions: " + _text(protocol.get("versions", {}))]
    if protocol.get("numerics"):
        lines.append("numerics: " + numerics.summary(protocol["numerics"]))
    settings = protocol.get("settings", {})
    lines += [f"{k}: {_text(flatten(v)) if isinstance(v, dict) else v}" for k, v in settings.items()]
    detectors = pd.DataFrame([{
        "detector": d.get("label"), "seed": d.get("seed"), "checkpoint": d.get("checkpoint"),
        "recipe": (d.get("spec") or {}).get("recipe", ""), "trained on": (d.get("spec") or {}).get("generator", ""),
        "training": _text(flatten(d.get("train_config") or {})),
        "training data (hash)": ", ".join(f"{k} {v[:12]}" for k, v in (d.get("training_data") or {}).items()),
    } for d in protocol.get("detectors", [])])
    datasets = pd.DataFrame([{
        "split": s.get("split"), "generator": s.get("generator") or "(shared)", "set": s.get("set"),
        "label": "fake" if s.get("label") == 1 else "real", "images": s.get("images"), "failed": s.get("failed"),
        "content hash": s.get("content_hash"),
    } for s in protocol.get("datasets", [])])
    return lines, detectors, datasets


def protocol_markdown(protocol: dict) -> str:
    lines, detectors, datasets = protocol_tables(protocol)
    parts = ["## Protocol", ""] + [f"- {line}" for line in lines] + [""]
    if len(detectors):
        parts += ["Detectors:", "", tabulate(detectors, headers="keys", tablefmt="github", showindex=False), ""]
    if len(datasets):
        parts += ["Data (content hash: over each set's image ids and sha256s):", "",
                  tabulate(datasets, headers="keys", tablefmt="github", showindex=False), ""]
    return "\n".join(parts)


def protocol_html(protocol: dict) -> str:
    lines, detectors, datasets = protocol_tables(protocol)
    body = ['<h2 id="protocol">Protocol</h2>', "<ul>"] + [f"<li>{html.escape(line)}</li>" for line in lines]
    body.append("</ul>")
    for title, frame in (("Detectors", detectors), ("Data", datasets)):
        if len(frame):
            body += [f"<h3>{title}</h3>", tabulate(frame, headers="keys", tablefmt="html", showindex=False)]
    return "\n".join(body)
