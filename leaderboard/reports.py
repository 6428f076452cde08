"""Every leaderboard output, written from a score frame alone (so `fakebench report STORE` rebuilds
them without running a model)."""
from __future__ import annotations

import base64
from dataclasses import replace
from pathlib import Path

import pandas as pd

from fakebench.core.cache import atomic_write_bytes, cached_json, stable_hash
from fakebench.evaluation.claims import (
    ClaimContext,
    audit_by_recipe,
    evaluate_claims,
    has_evidence,
    not_applicable,
    not_applicable_line,
    recorded_roles,
)
from fakebench.evaluation.metrics import BootstrapConfig
from fakebench.evaluation.store import frame_hash
from fakebench.leaderboard.detection import detection_tables
from fakebench.leaderboard.html import render_html
from fakebench.leaderboard.plots import PLOTS_SCHEMA, all_plots
from fakebench.leaderboard.results import floors_dict, roles_dict
from fakebench.leaderboard.run_record import run_record_html, run_record_markdown
from fakebench.leaderboard.summary import FloorMiss, build_summary, summary_markdown
from fakebench.leaderboard.tables import leaderboard_frame, to_json, to_markdown

REPORT_FILES = {"markdown": "leaderboard.md", "csv": "leaderboard.csv", "json": "leaderboard.json",
                "html": "report.html"}


def write_reports(scores: pd.DataFrame, out_dir: Path, bootstrap: BootstrapConfig = BootstrapConfig(),
                  cost: dict | None = None, claims: ClaimContext | None = None, run_record: dict | None = None,
                  floors: list[FloorMiss] | None = None) -> tuple[pd.DataFrame, dict[str, Path]]:
    """Write leaderboard.md / .csv / .json and report.html atomically; return the board and the paths.

    Each leads with the summary (fakebench.leaderboard.summary): the ranking, the Table-3-style table of
    `claims`' backbone (the run's roles), the claims and the `floors` a benchmark run missed (None: not
    known here), then the grids, then `run_record` (the run's run.json). The claims appear when the store
    holds what at least one claim needs. `run_record`'s `roles` name the world's generators and detectors
    the claims read (an older run.json's world settings do); `claims` overrides them, and a store without
    a recorded run has none: with no roles, no claim applies. A claim whose roles the world lacks is not
    judged: one line names them all (`not_applicable_line`), in the summary and in leaderboard.json."""
    board = leaderboard_frame(scores, bootstrap)
    recorded = recorded_roles(run_record)
    if claims is not None:
        roles = replace(claims, scores=scores, cost=cost)
    elif recorded is not None:
        roles = ClaimContext.from_roles(scores, recorded, cost)
    else:
        roles = ClaimContext(scores, cost=cost)
    audit = audit_by_recipe((run_record or {}).get("training_audit"))  # C0, from the run's training-set audit
    results = evaluate_claims(replace(roles, audit=roles.audit or audit))
    results = results if has_evidence(results) else []
    lacking = not_applicable(roles)
    not_judged = not_applicable_line(lacking, "" if claims is not None or recorded is not None
                                     else "no run.json beside the store records the world's roles")
    versions = sorted(scores["fakebench_version"].unique()) if len(scores) else []
    version = versions[0] if versions else "unknown"
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {kind: out_dir / name for kind, name in REPORT_FILES.items()}
    detection = detection_tables(scores)
    summary = build_summary(board, results, roles, floors, where=f"the score store ({len(scores)} rows)",
                            not_judged=not_judged)
    record_md = run_record_markdown(run_record) if run_record else ""
    atomic_write_bytes(paths["markdown"], to_markdown(board, results, cost, record_md, detection,
                                                      summary_markdown(summary)).encode())
    atomic_write_bytes(paths["csv"], board.to_csv(index=False, float_format="%.6g").encode())
    extra = {"roles": roles_dict(roles), "failed_floors": floors_dict(floors),  # what the summary reads back
             "claims_not_applicable": lacking,  # claim id -> what the world lacks of it: the claim is not judged
             "claims_not_judged": not_judged}  # the one line naming those claims, as the summary shows it
    atomic_write_bytes(paths["json"], to_json(board, version, results, cost, extra).encode())
    atomic_write_bytes(paths["html"], render_html(board, _plots(board, scores, roles), version, results,
                                                  run_record_html(run_record) if run_record else "", detection,
                                                  summary).encode())
    return board, paths


def _plots(board: pd.DataFrame, scores: pd.DataFrame, roles: ClaimContext) -> dict[str, bytes]:
    """`all_plots`, cached in the results home on what they draw (the scores, the board, the roles): a warm
    run's report draws nothing it drew before."""
    key = stable_hash("plots", PLOTS_SCHEMA, frame_hash(scores), frame_hash(board), roles.roles())
    drawn = cached_json("plots", key, lambda: [[name, base64.b64encode(png).decode()]  # pairs: the order is the page's
                                               for name, png in all_plots(board, scores, roles).items()])
    return {name: base64.b64decode(png) for name, png in drawn}
