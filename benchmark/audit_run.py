"""The benchmark's own training sets, audited (fakebench.benchmark.audit): one entry per recipe and real
source, for run.json, the leaderboard's protocol section and claim C0. No training is involved: the
sets come from the benchmark's cache (built if absent), and only their file headers are read."""
from __future__ import annotations

import math

from fakebench.benchmark.audit import audit_source
from fakebench.benchmark.audit_sources import recipe_source, world_reals_text
from fakebench.benchmark.cases import WorldConfig
from fakebench.core.errors import FakebenchError


def _number(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 4)


def training_set_audit(world: WorldConfig, recipe: str, reals: str) -> dict:
    """The audit of the training set a world's `recipe` detector learns from (`reals`: "corpus", the
    world's training reals, whatever `[reals] train` names; or "procedural", the shader experiment's), at
    the world's training seed; `source` is their source text. A set that cannot be built is an entry with
    its error."""
    entry = {"recipe": recipe, "reals": reals, "source": world_reals_text(world, reals),
             "generator": world.train_generator, "seed": world.train.seed}
    try:
        r = audit_source(recipe_source(recipe, reals, world))
    except FakebenchError as exc:
        return {**entry, "error": str(exc)}
    except Exception as exc:  # noqa: BLE001 - an audit is information: it never stops a run's reports
        return {**entry, "error": f"{type(exc).__name__}: {exc}"}
    s = r.shortcut
    return {**entry, "n_real": r.n_real, "n_fake": r.n_fake, "n_unreadable": r.n_unreadable, "auc": _number(s.auc),
            "lo": _number(s.lo), "hi": _number(s.hi), "leading": s.leading,
            "families": {name: _number(auc) for name, auc in s.families}, "notes": r.notes,
            "psnr_db_median": (r.pairs or {}).get("psnr_db", {}).get("median"),
            "format_mismatch": (r.pairs or {}).get("format_mismatch")}
