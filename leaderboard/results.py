"""A results folder read back for its summary: the board, the claims, the failed floors and the roles
that `leaderboard.json` records (`leaderboard.csv` when an older folder has no JSON). The terminal,
`fakebench summary` and the CI job summary all render from here, so they agree; what an older folder
lacks is named, never guessed at."""
from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pandas as pd

from fakebench.evaluation.claims import ClaimContext, ClaimResult
from fakebench.leaderboard.summary import FloorMiss, Summary, build_summary

JSON_FILE, CSV_FILE = "leaderboard.json", "leaderboard.csv"
SHOWN_FILES = ("leaderboard.md", "report.html", CSV_FILE, JSON_FILE, "run.json", "scores.parquet", "scores.csv",
               "skipped.csv")
_CLAIM_FIELDS = {f.name: f for f in dataclasses.fields(ClaimResult)}
_REQUIRED = [name for name, f in _CLAIM_FIELDS.items()
             if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]


def roles_dict(roles: ClaimContext) -> dict:
    """The claim roles leaderboard.json records, so a summary rebuilt from it names the same detectors."""
    return {"backbone": roles.backbone, "trained_on": roles.trained_on,
            "procedural_detector": roles.procedural_detector}


def floors_dict(floors: list[FloorMiss] | None) -> list[dict] | None:
    return None if floors is None else [dataclasses.asdict(f) for f in floors]


def _claim(record: dict) -> ClaimResult:
    """A ClaimResult from its JSON record (null: NaN); fields it does not know are left out."""
    return ClaimResult(**{k: (math.nan if v is None else v) for k, v in record.items() if k in _CLAIM_FIELDS})


def read_board(folder: Path) -> tuple[pd.DataFrame | None, dict, list[str]]:
    """A results folder's board (one row per case and training seed), its leaderboard.json document ({}
    when only the CSV is there) and what it lacks; the board is None when the folder holds neither."""
    folder = Path(folder)
    if (folder / JSON_FILE).is_file():
        doc = json.loads((folder / JSON_FILE).read_text())
        return pd.DataFrame(doc.get("cases") or []).astype(object).fillna(math.nan).infer_objects(), doc, []
    if (folder / CSV_FILE).is_file():
        return pd.read_csv(folder / CSV_FILE), {}, [f"claims ({JSON_FILE} is absent)"]
    return None, {}, []


def read_results(folder: Path, paths: dict[str, Path] | None = None) -> Summary:
    """The summary of a results folder; `paths` (default: the report files it holds) are listed last."""
    folder = Path(folder)
    where = str(folder)
    if paths is None:
        paths = {name: folder / name for name in SHOWN_FILES if (folder / name).is_file()}
    board, doc, missing = read_board(folder)
    if board is None:
        return build_summary(pd.DataFrame(), [], ClaimContext(pd.DataFrame()), paths=paths, where=where)
    claims = []
    for record in doc.get("claims") or []:
        lacking = [name for name in _REQUIRED if name not in record]
        if lacking:  # an older record: the claim is named, not guessed at
            missing.append(f"claim {record.get('id', '?')}: field(s) {', '.join(lacking)}")
        else:
            claims.append(_claim(record))
    roles = ClaimContext(pd.DataFrame(), **doc.get("roles", {}))
    floors = doc.get("failed_floors")
    floors = None if floors is None else [FloorMiss(**f) for f in floors]
    return build_summary(board, claims, roles, floors, paths, missing, where=where,
                         not_judged=doc.get("claims_not_judged", ""))
