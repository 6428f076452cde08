"""The benchmark's own training sets, audited (fakebench.audit.shortcut): one entry per recipe and real
source, for run.json, the leaderboard's protocol section and claim C0; and `mini:NAME`, those sets as
`fakebench audit` sources. No training is involved: the sets come from the benchmark's cache (built if
absent), and only their file headers are read.

The world files and the generators are imported where a training set is built, so that `fakebench audit`
of files (folder:, hf:, recon:) reads headers without importing a model (or torch)."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from fakebench.audit.shortcut import AUDIT_SCHEMA, audit_source
from fakebench.audit.sources import SOURCE_FORMS, AuditSource, resolve_source, training_source
from fakebench.benchmark.world import WorldConfig
from fakebench.core.cache import cached_json, stable_hash
from fakebench.core.errors import FakebenchError, WeightsMissingError
from fakebench.data.procedural import PREFIX as PROCEDURAL_PREFIX
from fakebench.data.reals import source_reals
from fakebench.detectors.recipes import TrainingData, training_data

if TYPE_CHECKING:
    from fakebench.generators.base import Generator

MINI_PREFIX = "mini:"
MINI_SETS = {  # name -> (recipe, real source): the training sets of the mini world's detectors
    "baseline": ("baseline", "corpus"),
    "aligned": ("aligned", "corpus"),
    "aligned-sync": ("aligned-sync", "corpus"),
    "shader": ("aligned", "procedural"),
}


def world_reals_text(world: WorldConfig, reals: str) -> str:
    """The source text of a world's training reals of a kind: "corpus" (every trainable detector's: the
    world's `[reals] train`, the photo corpus by default) or "procedural" (the shader experiment's)."""
    return world.reals.train if reals == "corpus" else f"{PROCEDURAL_PREFIX}{world.reals.procedural}"


def recipe_data(recipe: str, reals: str, world: WorldConfig, generator: Generator | None = None) -> TrainingData:
    """The training sets (reals and fakes) a world's detector of `recipe` learns from, read as training
    reads them (`source_reals`) and built through the benchmark's cache if absent; `reals` is "corpus"
    (the world's training reals) or "procedural" (the shader experiment's); `generator`: the world's training
    generator when already built."""
    from fakebench.generators import create_generator

    real, val = source_reals(world_reals_text(world, reals), world.reals.corpus, world.train.seed)
    return training_data(recipe, generator or create_generator(world.train_generator), real, val, world.train.seed,
                         storage=world.aligned_storage)


def recipe_source(recipe: str, reals: str, world: WorldConfig, name: str = "",
                  data: TrainingData | None = None) -> AuditSource:
    """`recipe_data` as an audit source (`data`: those sets, when already built)."""
    data = data or recipe_data(recipe, reals, world)
    return training_source(name or f"{world.name}:{recipe}", data,
                           f"{world.name} world, {recipe} recipe on {world.train_generator}, "
                           f"reals {world_reals_text(world, reals)}"
                           + (f", fakes stored {data.fakes_stored}" if data.fakes_stored else ""))


AUDIT_SOURCE_FORMS = f"{SOURCE_FORMS}, {MINI_PREFIX}{'|'.join(MINI_SETS)}"


def _mini(name: str, spec: str) -> AuditSource:
    if name not in MINI_SETS:
        raise FakebenchError(f"unknown mini-world training set {spec!r}",
                             fix=f"use one of {', '.join(MINI_PREFIX + n for n in MINI_SETS)}")
    from fakebench.benchmark.world_files import load_world

    return recipe_source(*MINI_SETS[name], load_world("mini"), spec)


def resolve_audit_source(spec: str) -> AuditSource:
    """What `fakebench audit SOURCE` audits: the mini world's training sets (`mini:NAME`), or any file
    source `fakebench.audit.sources.resolve_source` knows."""
    if spec.startswith(MINI_PREFIX):
        return _mini(spec[len(MINI_PREFIX):], spec)
    return resolve_source(spec, forms=AUDIT_SOURCE_FORMS)


def _number(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 4)


def training_set_audit(world: WorldConfig, recipe: str, reals: str, generator: Generator | None = None) -> dict:
    """The audit of the training set a world's `recipe` detector learns from (`reals`: "corpus", the
    world's training reals, whatever `[reals] train` names; or "procedural", the shader experiment's), at
    the world's training seed; `source` is their source text. Cached on the sets' content hashes (a warm
    run re-audits nothing; a changed set is audited anew). A set that cannot be built is an entry with
    its error (and `weights_missing` when a real model's weights are not on this machine), never cached.
    `generator`: the world's training generator when the caller has built it already."""
    entry = {"recipe": recipe, "reals": reals, "source": world_reals_text(world, reals),
             "generator": world.train_generator, "seed": world.train.seed}
    try:
        data = recipe_data(recipe, reals, world, generator)
        key = stable_hash("training-audit", AUDIT_SCHEMA, entry, data.real.content_hash, data.fake.content_hash)
        return {**entry, **cached_json("audits", key, lambda: _audit_numbers(recipe_source(recipe, reals, world,
                                                                                           data=data)))}
    except WeightsMissingError as exc:  # marked, so a claim reading this audit skips as a case would (C0)
        return {**entry, "error": str(exc), "weights_missing": True}
    except FakebenchError as exc:
        return {**entry, "error": str(exc)}
    except Exception as exc:  # noqa: BLE001 - an audit is information: it never stops a run's reports
        return {**entry, "error": f"{type(exc).__name__}: {exc}"}


def _audit_numbers(source: AuditSource) -> dict:
    """What run.json and C0 keep of a training set's audit."""
    r = audit_source(source)
    s = r.shortcut
    return {"n_real": r.n_real, "n_fake": r.n_fake, "n_unreadable": r.n_unreadable, "auc": _number(s.auc),
            "lo": _number(s.lo), "hi": _number(s.hi), "leading": s.leading,
            "families": {name: _number(auc) for name, auc in s.families}, "notes": r.notes,
            "psnr_db_median": (r.pairs or {}).get("psnr_db", {}).get("median"),
            "format_mismatch": (r.pairs or {}).get("format_mismatch")}
