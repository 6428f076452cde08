"""What changed between two score stores: cases added or removed, and metric moves larger than the
bootstrap intervals (a move inside them is noise at this sample size, so it is not flagged)."""
from __future__ import annotations

import math

import pandas as pd
from tabulate import tabulate

from fakebench.core import numerics

KEY = ["case_id", "seed"]
COMPARED = ("bal_acc", "auc")


def _beyond(old: float, old_lo: float, old_hi: float, new: float, new_lo: float, new_hi: float) -> bool:
    """Each estimate lies outside the other's interval."""
    if any(math.isnan(v) for v in (old, new, old_lo, old_hi, new_lo, new_hi)):
        return False
    return not (old_lo <= new <= old_hi) and not (new_lo <= old <= new_hi)


def compare_boards(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """One row per case in either board: status (added, removed, changed, same) and metric deltas."""
    merged = old.merge(new, on=KEY, how="outer", suffixes=("_old", "_new"), indicator=True)
    rows = []
    for r in merged.to_dict("records"):
        row = {"case_id": r["case_id"], "seed": r["seed"]}
        if r["_merge"] != "both":
            row["status"] = "removed" if r["_merge"] == "left_only" else "added"
            rows.append(row)
            continue
        changed = []
        for m in COMPARED:
            row[f"{m}_old"], row[f"{m}_new"] = r[f"{m}_old"], r[f"{m}_new"]
            row[f"{m}_delta"] = r[f"{m}_new"] - r[f"{m}_old"]
            if _beyond(r[f"{m}_old"], r[f"{m}_lo_old"], r[f"{m}_hi_old"],
                       r[f"{m}_new"], r[f"{m}_lo_new"], r[f"{m}_hi_new"]):
                changed.append(m)
        row["checkpoint_changed"] = r["checkpoint_old"] != r["checkpoint_new"]
        row["status"] = "changed" if changed else "same"
        row["beyond_intervals"] = ", ".join(changed)
        rows.append(row)
    columns = ["case_id", "seed", "status", "beyond_intervals", "checkpoint_changed"] + [
        f"{m}_{s}" for m in COMPARED for s in ("old", "new", "delta")]
    return pd.DataFrame(rows).reindex(columns=columns).sort_values(["status", "case_id", "seed"], ignore_index=True)


def comparison_markdown(diff: pd.DataFrame) -> str:
    counts = diff["status"].value_counts()
    summary = ", ".join(f"{counts.get(s, 0)} {s}" for s in ("added", "removed", "changed", "same"))
    parts = ["# fakebench: what changed", "", f"{len(diff)} cases: {summary}.",
             "A case is *changed* when a metric's new value lies outside the old 95% interval and the old "
             "value outside the new one.", ""]
    for status in ("changed", "added", "removed"):
        part = diff[diff["status"] == status]
        if len(part):
            shown = part.dropna(axis=1, how="all").drop(columns="status")
            floatfmt = ["+.3f" if c.endswith("_delta") else ".3f" for c in shown.columns]
            parts += [f"## {status.capitalize()}", "",
                      tabulate(shown, headers="keys", tablefmt="github", showindex=False, floatfmt=floatfmt), ""]
    return "\n".join(parts)


def numerics_warnings(old_record: dict | None, new_record: dict | None) -> list[str]:
    """Warnings when the two runs' numerics differ (fingerprints in their run.json): their bits may then
    differ for that reason alone, not because of what changed in code or data."""
    old, new = ((p or {}).get("numerics") for p in (old_record, new_record))
    found = numerics.differences(old, new)
    if not found:
        return []
    return ["the two runs' numerics differ, so scores may differ for that reason alone: " + "; ".join(found)]


def world_warnings(old_record: dict | None, new_record: dict | None) -> list[str]:
    """A warning when the two runs' worlds differ (their run.json's world sha256): a different world can
    move scores by itself. Two clones running the same world agree (run.json names a built-in world
    `builtin:<name>` and a world file by the path as given, and hashes the merged world, not its place)."""
    old, new = (((p or {}).get("settings") or {}).get("world") or {} for p in (old_record, new_record))
    if not old.get("sha256") or not new.get("sha256") or old["sha256"] == new["sha256"]:
        return []
    return [f"the two runs' worlds differ ({old.get('source')} sha256 {old['sha256'][:12]} -> {new.get('source')} "
            f"sha256 {new['sha256'][:12]}), so scores may differ for that reason alone"]
