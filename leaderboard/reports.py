"""Every leaderboard output, written from a score frame alone (so `fakebench report STORE` rebuilds
them without running a model)."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from fakebench.core.cache import atomic_write_bytes
from fakebench.leaderboard.claims import ClaimContext, evaluate_claims, has_evidence
from fakebench.leaderboard.detection import detection_tables
from fakebench.leaderboard.html import render_html
from fakebench.leaderboard.metrics import BootstrapConfig
from fakebench.leaderboard.plots import all_plots
from fakebench.leaderboard.protocol import protocol_html, protocol_markdown
from fakebench.leaderboard.tables import leaderboard_frame, to_json, to_markdown

REPORT_FILES = {"markdown": "leaderboard.md", "csv": "leaderboard.csv", "json": "leaderboard.json",
                "html": "report.html"}


def write_reports(scores: pd.DataFrame, out_dir: Path, bootstrap: BootstrapConfig = BootstrapConfig(),
                  cost: dict | None = None, claims: ClaimContext | None = None, protocol: dict | None = None,
                  ) -> tuple[pd.DataFrame, dict[str, Path]]:
    """Write leaderboard.md / .csv / .json and report.html atomically; return the board and the paths.

    The claims section appears when the store holds what at least one claim needs. `protocol` (the
    run's run.json) is printed first, and its `roles` name the world's generators and detectors the
    claims read; `claims` overrides them, and a store without a recorded run reads the mini world's."""
    board = leaderboard_frame(scores, bootstrap)
    if claims is not None:
        claims = replace(claims, scores=scores, cost=cost)
    elif protocol and "roles" in protocol:
        claims = ClaimContext.from_roles(scores, protocol["roles"], cost)
    else:
        claims = ClaimContext(scores, cost=cost)
    results = evaluate_claims(claims)
    results = results if has_evidence(results) else []
    versions = sorted(scores["fakebench_version"].unique()) if len(scores) else []
    version = versions[0] if versions else "unknown"
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {kind: out_dir / name for kind, name in REPORT_FILES.items()}
    detection = detection_tables(scores)
    protocol_md = protocol_markdown(protocol) if protocol else ""
    atomic_write_bytes(paths["markdown"], to_markdown(board, results, cost, protocol_md, detection).encode())
    atomic_write_bytes(paths["csv"], board.to_csv(index=False, float_format="%.6g").encode())
    atomic_write_bytes(paths["json"], to_json(board, version, results, cost).encode())
    atomic_write_bytes(paths["html"], render_html(board, all_plots(board), version, results,
                                                  protocol_html(protocol) if protocol else "", detection).encode())
    return board, paths
