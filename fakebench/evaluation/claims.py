"""The paper's findings as claims, one registry entry each, judged from the score store (and, for
cost, the FLOP record of the real architectures).

Each entry names the paper's statement and number, the cases it reads (declared once, under role
names, by its `cases_*` function in `fakebench.evaluation.judges`: its judge reads those roles and a
run scores exactly those cases), its judge, the roles it needs of a world, and whether it is a known
limit of alignment; metric, comparison and margin are fixed in the judge before any run.
The pytest plugin, the reports and `fakebench report` all read `CLAIMS`.

A claim applies where the world has its roles (`Claim.roles`: a training generator, a generator whose
denoiser or autoencoder differs, the detectors it compares): where one is missing the claim is not
judged, neither failed nor listed as `no data`, and one line (`not_applicable_line`) names those
claims and what the world lacks.

Verdicts: `holds` (the value clears the margin and so does the whole 95% interval), `not significant`
(the value clears it, the interval straddles it), `fails (not significant)`, `fails`, and `no data`
(the store lacks a case the claim needs; the detail names it). Known limits (C4) read `limit shown`
/ `limit not shown`. A claim read from detectors is *judged* only on at least `MIN_SEEDS` training
seeds: one seed's detector is a coin the machine flips (float rounding differs between CPUs and a
short training turns it into a different detector), so with fewer seeds the verdict reads
`indicative (...)`, the numbers are shown, and the run neither passes nor fails on it.

The paper's predicted failures of single cases (`PREDICTED_FAILURES`: the benchmark's expected
failures) are declared here too, each with the claim whose finding predicts it."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from fakebench.evaluation.claim_stats import CaseKey, verdict
from fakebench.evaluation.claim_types import (
    ALIGNED,
    BASELINE,
    MIN_SEEDS,
    OTHER_AUTOENCODER,
    OTHER_DENOISER,
    PROCEDURAL,
    TRAINING,
    WEBP_RUN,
    Claim,
    ClaimContext,
    ClaimResult,
    Judgement,
    Role,
)
from fakebench.evaluation.judges import (
    C0_ALIGNED_CEILING,
    C0_MARGIN,
    FLOPS_GENERATOR,
    PAPER_GMACS,
    WEBP_LIMIT_MARGIN,
    audit_by_recipe,
    cases_c0,
    cases_c1,
    cases_c2a,
    cases_c2b,
    cases_c3,
    cases_c4a,
    cases_c4b,
    cases_c5,
    cases_c6,
    cases_c7,
    judge_c0,
    judge_c1,
    judge_c2a,
    judge_c2b,
    judge_c3,
    judge_c4a,
    judge_c4b,
    judge_c5,
    judge_c6,
    judge_c7,
)

__all__ = [  # what the benchmark, the reports and the tests import from here
    "C0_ALIGNED_CEILING", "C0_MARGIN", "CLAIMS", "CLAIMS_BY_ID", "FLOPS_GENERATOR", "LIMIT_VERDICTS", "MIN_SEEDS",
    "PAPER_GMACS", "PREDICTED_FAILURES", "WEBP_LIMIT_MARGIN", "CaseFacts", "Claim", "ClaimContext", "ClaimResult",
    "Judgement", "PredictedFailure", "Role", "audit_by_recipe", "claim_line", "claim_value", "claims_table",
    "evaluate", "evaluate_claims", "has_evidence", "needs", "not_applicable", "not_applicable_line",
    "predicted_failure", "recorded_roles",
]

WEBP_LIMIT = "WebP compression, absent from training augmentations, hurts the aligned detector"  # C4a, and its cases

# ------------------------------------------------------------------------------------- registry

CLAIMS: tuple[Claim, ...] = (
    Claim("C0", "baseline-set-offers-shortcuts",
          "the baseline's training set offers shortcuts, the aligned set does not",
          "Grommelt et al., Fake or JPEG? (GenImage): reals JPEG of every size vs fakes PNG at fixed sizes; "
          "removing both biases raised cross-generator accuracy by more than 11 points", cases_c0, judge_c0,
          roles=(TRAINING, BASELINE, ALIGNED),  # the two recipes' training sets, audited
          reads_detectors=False, reads_audit=True),
    Claim("C1", "aligned-beats-baseline-other-denoiser", "aligned beats baseline on a generator whose denoiser differs",
          "Playground v2.5 (a denoiser unlike SD's), Table 3 accuracy: baseline 86.25 -> aligned 98.80 "
          "clean, 24.11 -> 63.83 post-processed", cases_c1, judge_c1,
          roles=(TRAINING, OTHER_DENOISER, BASELINE, ALIGNED)),
    Claim("C2a", "baseline-calls-downscaled-fakes-real", "the baseline calls downscaled fakes real",
          "resize sweep: the baseline's fake probability falls to about 0.05 at 0.5x; the aligned detector still "
          "catches downscaled fakes (about 0.6-0.8)", cases_c2a, judge_c2a, roles=(TRAINING, BASELINE, ALIGNED)),
    Claim("C2b", "baseline-calls-upscaled-reals-fake", "the baseline calls upscaled reals fake",
          "resize sweep: the baseline's fake probability on reals rises to about 0.59 at 2x; the aligned detector "
          "keeps reals below about 0.07", cases_c2b, judge_c2b, roles=(TRAINING, BASELINE, ALIGNED)),
    Claim("C3", "aligned-robust-to-jpeg-and-resizing", "the aligned detector stays robust to JPEG and resizing",
          "aligned detectors stay robust to resizing and JPEG compression (Table 3, post-processed)", cases_c3,
          judge_c3, roles=(TRAINING, ALIGNED)),
    Claim("C4a", "limit-webp", "known limit: WebP compression", WEBP_LIMIT, cases_c4a, judge_c4a,
          roles=(TRAINING, ALIGNED), known_limit=True),
    Claim("C4b", "limit-other-autoencoder", "known limit: a generator whose autoencoder differs",
          "alignment ties the detector to one autoencoder: other autoencoders' images are missed", cases_c4b,
          judge_c4b, roles=(TRAINING, OTHER_AUTOENCODER, ALIGNED), known_limit=True),
    # C5 counts the paper's generator (FLOPS_GENERATOR) beside the world's training generator: what it
    # needs of a world is a generator that generates, which a world without a training generator lacks
    Claim("C5", "reconstruction-10x-cheaper", "reconstruction costs at least 10x fewer FLOPs than generation",
          f"about 10x cheaper per image: {PAPER_GMACS[0]} GMACs to generate (UNet 23.6 + autoencoder 1.6) vs "
          f"{PAPER_GMACS[1]} to reconstruct", cases_c5, judge_c5, roles=(TRAINING,), reads_detectors=False),
    Claim("C6", "alignment-not-content", "alignment, not content: procedural reals train as well as photos",
          "a detector trained on OpenGL-shader images and their reconstructions is comparable to one trained on "
          "natural images", cases_c6, judge_c6, roles=(TRAINING, ALIGNED, PROCEDURAL)),
    Claim("C7", "webp-augmentation-removes-webp-limit", "WebP among the training augmentations removes the WebP limit",
          "the paper's suggested mitigation of its WebP limit: add WebP to the training augmentations (Sec. 5)",
          cases_c7, judge_c7, roles=(TRAINING, ALIGNED, WEBP_RUN)),
)

CLAIMS_BY_ID: dict[str, Claim] = {c.id: c for c in CLAIMS}

LIMIT_VERDICTS = {"holds": "limit shown", "not significant": "limit shown (not significant)",
                  "fails": "limit not shown", "fails (not significant)": "limit not shown (not significant)"}


# ----------------------------------------------------------------------- predicted failures


@dataclass(frozen=True)
class CaseFacts:
    """What the paper's predictions read of one benchmark case (a detector trained by `recipe`)."""

    recipe: str
    other_autoencoder: bool  # the generator's autoencoder differs from the training generator's
    other_generator: bool  # not the training generator (same autoencoder, so its denoiser differs)
    downscales: bool  # the perturbation shrinks the image below the training generator's size
    webp: bool  # the perturbation compresses as WebP
    webp_trained: bool  # the detector trained with WebP among its augmentations (C7)


@dataclass(frozen=True)
class PredictedFailure:
    """A case the paper predicts a trained detector to miss, from the finding of claim `claim`: the
    benchmark marks it an expected failure, `reason` its text."""

    claim: str
    reason: str
    applies: Callable[[CaseFacts], bool]


PREDICTED_FAILURES: tuple[PredictedFailure, ...] = (  # the first that applies gives a case its reason
    PredictedFailure("C4b", "known limit: the generator's autoencoder differs from the training generator's "
                            "(paper, Sec. 5)", lambda f: f.other_autoencoder),
    PredictedFailure("C1", "paper: the baseline degrades on a generator whose denoiser differs (Playground, "
                           "aligned +36.98/+52.09)", lambda f: f.recipe == "baseline" and f.other_generator),
    PredictedFailure("C2a", "paper: the baseline learns resolution, so downscaled images fool it",
                     lambda f: f.recipe == "baseline" and f.downscales),
    # a detector trained with WebP is not expected to fail on it: that is claim C7
    PredictedFailure("C4a", f"known limit: {WEBP_LIMIT} (paper)",
                     lambda f: f.recipe.startswith("aligned") and f.webp and not f.webp_trained),
)


def predicted_failure(facts: CaseFacts) -> str:
    """The paper's reason to expect this case to miss its floor ("" when it predicts nothing); only
    detectors trained by a recipe are predicted."""
    if not facts.recipe:
        return ""
    return next((p.reason for p in PREDICTED_FAILURES if p.applies(facts)), "")


# ---------------------------------------------------------------------------- roles of a world


def needs(ctx: ClaimContext) -> dict[str, list[CaseKey]]:
    """Per claim, the (detector, generator, perturbation) cases it reads: what a run must score."""
    return {claim.id: claim.needs(ctx) for claim in CLAIMS}


def not_applicable(ctx: ClaimContext) -> dict[str, list[str]]:
    """Claim id -> what the world lacks of it (the words of its missing roles), for the claims it cannot judge."""
    return {claim.id: missing for claim in CLAIMS if (missing := ctx.missing(claim.roles))}


def not_applicable_line(missing: dict[str, list[str]], why: str = "") -> str:
    """The one line that names the claims a world cannot judge and what it lacks ("" when it judges
    them all); `why` is added when it says more (a store with no recorded roles).

    It names the fewest missing roles that account for every such claim (the role most claims lack
    first: a world with no training generator lacks everything else too); each skipped test's reason
    names all of that claim's."""
    if not missing:
        return ""
    ids = list(missing)
    by_role: dict[str, list[str]] = {}
    for claim_id, words in missing.items():
        for w in words:
            by_role.setdefault(w, []).append(claim_id)
    shown, covered = [], set()
    for words, who in sorted(by_role.items(), key=lambda item: -len(item[1])):  # stable: declared order on ties
        if not covered >= set(who):
            shown.append((words, who))
            covered |= set(who)
    lacks = "; ".join(f"no {w}" + (f": {', '.join(who)}" if len(shown) > 1 else "") for w, who in shown)
    return f"claims not judged, the world lacks their roles: {', '.join(ids)} ({lacks})" + (
        f"; {why}" if why else "")


_OLD_WORLD_ROLES = {"trained_on": "train_generator", "denoiser_differs": "denoiser_differs",
                    "autoencoder_differs": "autoencoder_differs", "backbone": "claims_backbone"}


def recorded_roles(run_record: dict | None) -> dict | None:
    """The claim roles a run.json records (`ClaimContext.roles`); one written before it recorded them
    names them in its world settings (train_generator, denoiser_differs, ...); None: no record."""
    if not run_record:
        return None
    if "roles" in run_record:
        return run_record["roles"]
    world = (run_record.get("settings") or {}).get("world")
    if not isinstance(world, dict):
        return None
    return {role: world[key] for role, key in _OLD_WORLD_ROLES.items() if key in world} or None


# ------------------------------------------------------------------------------------- verdicts


def evaluate(claim: Claim, ctx: ClaimContext) -> ClaimResult:
    """Judge one claim; below MIN_SEEDS training seeds its verdict is indicative, not judged."""
    j = claim.judge(ctx, claim.cases(ctx))
    est = j.estimate
    lo, hi = est.interval() if j.interval else (math.nan, math.nan)
    if j.interval:
        outcome = verdict(est.value, lo, hi, j.margin, j.higher_is_claim)
    else:  # a count: it clears the margin or it does not
        outcome = "no data" if math.isnan(est.value) else ("holds" if est.value >= j.margin else "fails")
    if j.unmet and outcome in ("holds", "not significant"):
        outcome = "fails"
    if claim.known_limit:
        outcome = LIMIT_VERDICTS.get(outcome, outcome)
    judged = outcome != "no data" and (not claim.reads_detectors or est.seeds >= MIN_SEEDS)
    shown = outcome
    if outcome != "no data" and not judged:
        shown = (f"indicative ({est.seeds} training seed{'s' if est.seeds != 1 else ''}; judging needs "
                 f"{MIN_SEEDS}): {outcome}")
    return ClaimResult(id=claim.id, title=claim.title, paper=claim.paper, metric=j.metric, comparison=j.comparison,
                       margin=j.margin, value=est.value, lo=lo, hi=hi, verdict=shown, detail=j.detail,
                       outcome=outcome, seeds=est.seeds, judged=judged, known_limit=claim.known_limit)


def evaluate_claims(ctx: ClaimContext, ids: list[str] | None = None) -> list[ClaimResult]:
    """Every claim the world has the roles of (or those of them named), in the registry's order; the
    others are `not_applicable`."""
    return [evaluate(c, ctx) for c in CLAIMS if (ids is None or c.id in ids) and c.applies(ctx)]


def claim_line(r: ClaimResult) -> str:
    """One line per claim, as the test outcome and the terminal show it."""
    ci = f" [{r.lo:+.3f}, {r.hi:+.3f}]" if not math.isnan(r.lo) else ""
    value = "n/a" if math.isnan(r.value) else f"{r.value:+.3f}{ci}"
    return (f"{r.id} {r.title}: {r.verdict}. {r.metric}: {value}, {r.comparison}, margin {r.margin:g}"
            + (f". {r.detail}" if r.detail else ""))


def claim_value(r: ClaimResult, seeds: bool = True, interval: bool = True) -> str:
    """Our value as people read it: `+0.083 [-0.167, +0.333]` (and its training seeds), a count `22.8x`, or n/a."""
    if math.isnan(r.value):
        return "n/a"
    if not r.seeds and math.isnan(r.lo):  # a count (C5)
        return f"{r.value:.1f}x"
    ci = f" [{r.lo:+.3f}, {r.hi:+.3f}]" if interval and not math.isnan(r.lo) else ""
    return f"{r.value:+.3f}{ci}" + (f" ({r.seeds} seed{'s' if r.seeds != 1 else ''})" if seeds and r.seeds else "")


def claims_table(results: list[ClaimResult]) -> pd.DataFrame:
    """The claims as people read them: the paper's number next to ours, with its interval and verdict."""
    return pd.DataFrame({
        "claim": [f"{r.id}: {r.title}" for r in results],
        "paper": [r.paper for r in results],
        "metric": [r.metric for r in results],
        "ours [95% CI]": [claim_value(r) for r in results],
        "margin": [f"{r.comparison}, margin {r.margin:g}" for r in results],
        "verdict": [r.verdict for r in results],
        "detail": [r.detail for r in results],
    })


def has_evidence(results: list[ClaimResult]) -> bool:
    return any(r.verdict != "no data" for r in results)
