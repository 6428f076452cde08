"""The cost record (cost.json) as people read it: FLOPs and MACs per image of generation and of
reconstruction for each generator, their ratio, and the paper's count beside ours."""
from __future__ import annotations

from typing import Any

import pandas as pd
from tabulate import tabulate

from fakebench.evaluation.claims import FLOPS_GENERATOR, PAPER_GMACS

COST_NOTE = ("Per image at the native resolution and default sampling: generation = steps x denoiser calls "
             "(x2 with classifier-free guidance) + decode; reconstruction = encode + decode; text encoders run "
             "once per prompt and are not counted. Counted from the models' configs on the meta device "
             "(torch FlopCounterMode, attention included); MACs = FLOPs / 2. The paper's count for SD at 512 px "
             f"(its own method): {PAPER_GMACS[0]} GMACs to generate vs {PAPER_GMACS[1]} to reconstruct.")


def _g(flops: float) -> float:
    return flops / 1e9


def flops_frame(record: dict[str, Any]) -> pd.DataFrame:
    """One row per counted generator (those that could not be counted: `not_counted`)."""
    rows = []
    for name, c in (record.get("flops") or {}).items():
        if c.get("error"):
            continue
        cfg = c["denoiser_calls"] > c["steps"]
        rows.append({
            "generator": name, "px": c["resolution"], "steps": c["steps"],
            "denoiser calls": f"{c['denoiser_calls']}" + (" (CFG)" if cfg else ""),
            "denoiser GFLOPs/call": _g(c["denoiser_flops"]),
            "generate GMACs": _g(c["generate_flops"]) / 2,
            "encode GFLOPs": _g(c["encode_flops"]), "decode GFLOPs": _g(c["decode_flops"]),
            "reconstruct GMACs": _g(c["reconstruct_flops"]) / 2,
            "generate / reconstruct": c["ratio"],
            "text encoders (not counted)": ", ".join(c.get("text_encoders") or []) or "-",
            "note": c.get("note", ""),
        })
    return pd.DataFrame(rows)


def not_counted(record: dict[str, Any]) -> dict[str, str]:
    return {name: c["error"] for name, c in (record.get("flops") or {}).items() if c.get("error")}


def flops_table(record: dict[str, Any], tablefmt: str = "simple") -> str:
    frame, missing = flops_frame(record), not_counted(record)
    parts = [tabulate(frame, headers="keys", tablefmt=tablefmt, showindex=False, floatfmt=",.2f")
             if len(frame) else "no generator could be counted"]
    if missing:
        parts.append("not counted:\n" + "\n".join(f"  {name}: {why}" for name, why in missing.items()))
    ours = (record.get("flops") or {}).get(FLOPS_GENERATOR)
    if ours and not ours.get("error"):
        parts.append(f"{FLOPS_GENERATOR}: ours {ours['generate_flops'] / 2e9:,.1f} vs "
                     f"{ours['reconstruct_flops'] / 2e9:,.1f} GMACs ({ours['ratio']:.1f}x); paper {PAPER_GMACS[0]} vs "
                     f"{PAPER_GMACS[1]} GMACs ({PAPER_GMACS[0] / PAPER_GMACS[1]:.1f}x)")
    counted_with = record.get("counted_with")
    if counted_with:
        parts.append("counted with " + ", ".join(f"{k} {v}" for k, v in counted_with.items()))
    return "\n\n".join(parts + [COST_NOTE])
