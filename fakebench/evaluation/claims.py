"""The paper's findings as claims, one registry entry each, judged from the score store (and, for
cost, the FLOP record of the real architectures).

Each entry names the paper's statement and number, the cases it reads (declared once, under role
names, by its `cases_*` function: its judge reads those roles and a run scores exactly those cases),
its judge, and whether it is a known limit of alignment; metric, comparison and margin are fixed in
the judge before any run.
The pytest plugin, the reports and `fakebench report` all read `CLAIMS`.

Verdicts: `holds` (the value clears the margin and so does the whole 95% interval), `not significant`
(the value clears it, the interval straddles it), `fails (not significant)`, `fails`, and `no data`
(the store lacks a case the claim needs; the detail names it). Known limits (C4) read `limit shown`
/ `limit not shown`. A claim read from detectors is *judged* only on at least `MIN_SEEDS` training
seeds: one seed's detector is a coin the machine flips (float rounding differs between CPUs and a
short training turns it into a different detector), so with fewer seeds the verdict reads
`indicative (...)`, the numbers are shown, and the run neither passes nor fails on it."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from fakebench.detectors.spec import WEBP, DetectorSpec
from fakebench.evaluation.calibration import calibration_thresholds
from fakebench.evaluation.claim_stats import (
    Case,
    Estimate,
    bal_acc,
    fake_acc,
    paired,
    real_fpr,
    unpaired_drop,
    verdict,
)

MIN_SEEDS = 3  # training seeds a detector claim needs to be judged rather than indicative
FLOPS_GENERATOR = "sd15"  # C5 is the paper's count: Stable Diffusion 1.5 at 512 px
PAPER_GMACS = (25.2, 2.32)  # the paper's generation and reconstruction GMACs per image (SD, 512 px)


@dataclass(frozen=True)
class ClaimResult:
    id: str
    title: str
    paper: str
    metric: str
    comparison: str
    margin: float
    value: float
    lo: float
    hi: float
    verdict: str  # what the run reports; `indicative (...)` when it does not judge
    detail: str
    outcome: str = ""  # what the numbers say against the margin, judged or not
    seeds: int = 0  # training seeds the value averages (0: not read from detectors)
    judged: bool = False  # whether this verdict passes or fails a run
    known_limit: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ClaimContext:
    """What claims read: the store's test and calibration rows, the FLOP record, the world's names."""

    scores: pd.DataFrame
    cost: dict | None = None  # {"flops": {generator: count row}, "wallclock": {...}} (cost.json)
    trained_on: str = "mini-sd"
    denoiser_differs: str = "mini-playground"
    autoencoder_differs: str = "mini-othervae"
    backbone: str = "resnet50"
    downscale: str = "resize0.5"
    upscale: str = "resize2"
    webp: str = "webp50"
    robustness: tuple[str, ...] = ("resize0.5", "resize0.75", "resize1.5", "jpeg75", "jpeg50", "resize0.5+jpeg75")
    # the detector trained aligned on procedural reals (the paper's shader experiment); empty: by its
    # naming convention, aligned-shader-<backbone>
    procedural_detector: str = ""
    # C0: recipe -> the shortcut score of its training set ({auc, lo, hi, leading}), from the run's audit
    audit: dict | None = None

    @property
    def aligned(self) -> str:
        return DetectorSpec.label_of(self.backbone, "aligned")

    @property
    def baseline(self) -> str:
        return DetectorSpec.label_of(self.backbone, "baseline")

    @property
    def aligned_sync(self) -> str:
        return DetectorSpec.label_of(self.backbone, "aligned-sync")

    @property
    def procedural(self) -> str:
        return self.procedural_detector or DetectorSpec.label_of(self.backbone, "aligned", procedural=True)

    def needs(self) -> dict[str, list[Case]]:
        """Per claim, the (detector, generator, perturbation) cases it reads: what a run must score."""
        return {claim.id: claim.needs(self) for claim in CLAIMS}

    def roles(self) -> dict[str, Any]:
        """The world's names the claims read (every field but the data), as run.json records them, so
        a report rebuilt from the store judges the same cases as the run that wrote it."""
        roles = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _DATA_FIELDS}
        return {name: list(value) if name in _LIST_ROLES else value for name, value in roles.items()}

    @classmethod
    def from_roles(cls, scores: pd.DataFrame, roles: dict[str, Any], cost: dict | None = None) -> ClaimContext:
        """The context of a recorded run: its `roles()` (read back from run.json) over `scores`."""
        known = {f.name for f in fields(cls)} - _DATA_FIELDS
        kept = {k: tuple(v) if k in _LIST_ROLES else v for k, v in roles.items() if k in known}
        return cls(scores, cost=cost, **kept)


_DATA_FIELDS = {"scores", "cost"}  # what a ClaimContext reads; every other field is a role
_LIST_ROLES = {"robustness"}  # roles held as tuples, recorded as JSON lists


@dataclass(frozen=True)
class Judgement:
    """What a judge finds; `evaluate` turns it into a ClaimResult with the registry's fields."""

    metric: str
    comparison: str
    margin: float
    estimate: Estimate
    higher_is_claim: bool = True
    detail: str = ""
    interval: bool = True  # False: a count, not a sample (C5), so no bootstrap interval
    unmet: str = ""  # a further condition of the claim that the run does not meet (C0): the claim fails


@dataclass(frozen=True)
class Claim:
    id: str
    slug: str  # the pytest id: claims-<id>-<slug>
    title: str
    paper: str  # the paper's statement and number
    # the cases it reads, each under a role name, declared once: the judge reads these roles and a run
    # scores exactly these cases (`needs`), so the two cannot drift apart
    cases: Callable[[ClaimContext], dict[str, Case]]
    judge: Callable[[ClaimContext, dict[str, Case]], Judgement]
    known_limit: bool = False
    reads_detectors: bool = True  # False: judged from configs (C5), so training seeds do not apply
    reads_audit: bool = False  # True: judged from the audit of the training sets (C0), no training involved

    @property
    def test_id(self) -> str:
        return f"claims-{self.id}-{self.slug}"

    def needs(self, ctx: ClaimContext) -> list[Case]:
        """The (detector, generator, perturbation) cases a run must score for this claim, in declared order."""
        return list(dict.fromkeys(self.cases(ctx).values()))


# --------------------------------------------------------------------------------------- judges
# Each claim is a pair: `cases_cX(ctx)` declares the cases it reads under role names (once), and
# `judge_cX(ctx, cases)` reads those roles. A new claim follows the same pattern.


def _drop(a: str, b: str) -> Callable:
    """Balanced accuracy of role `a` minus role `b`."""
    return lambda s, w, seed: bal_acc(s[a], w) - bal_acc(s[b], w)


def _fmt(e: Estimate) -> str:
    lo, hi = e.interval()
    return f"{e.value:+.3f} [{lo:+.3f}, {hi:+.3f}]" if not math.isnan(e.value) else "n/a"


def _level(ctx: ClaimContext, case: Case, tag: str) -> Estimate:
    """One case's balanced accuracy (over seeds, with its interval): the level a claim's difference starts from."""
    return paired(ctx.scores, {"x": case}, lambda s, w, seed: bal_acc(s["x"], w), tag)


def _roles(cases: dict[str, Case], *roles: str) -> dict[str, Case]:
    """The named roles of a claim's declared cases, for a judge that compares some of them."""
    return {role: cases[role] for role in roles}


def cases_c1(ctx: ClaimContext) -> dict[str, Case]:
    return {"a": (ctx.aligned, ctx.denoiser_differs, "identity"), "b": (ctx.baseline, ctx.denoiser_differs, "identity")}


def judge_c1(ctx: ClaimContext, cases: dict[str, Case]) -> Judgement:
    gen = ctx.denoiser_differs
    est = paired(ctx.scores, cases, _drop("a", "b"), "C1")
    return Judgement(metric=f"balanced accuracy, {ctx.aligned} minus {ctx.baseline}, on {gen} (clean)",
                     comparison="difference > margin", margin=0.0, estimate=est, detail=est.missing)


def _resolution_cases(ctx: ClaimContext, key: str, perturbation: str) -> dict[str, Case]:
    """The four cases a resolution claim reads, on the training generator: `a`ligned and `b`aseline,
    each clean and under `perturbation` (roles `aclean`, `a<key>`, `bclean`, `b<key>`)."""
    return {f"{d}{p}": (det, ctx.trained_on, pert) for d, det in (("a", ctx.aligned), ("b", ctx.baseline))
            for p, pert in (("clean", "identity"), (key, perturbation))}


def _each_detector(ctx: ClaimContext, cases: dict[str, Case], stat_of: Callable[[str], Callable], tag: str) -> str:
    """Each detector's own change (its statistic over its own two cases), for a claim's detail line."""
    parts = [paired(ctx.scores, {k: v for k, v in cases.items() if k.startswith(d)}, stat_of(d), f"{tag}{d}")
             for d in ("b", "a")]
    return f"{ctx.baseline} {_fmt(parts[0])}, {ctx.aligned} {_fmt(parts[1])}"


def cases_c2a(ctx: ClaimContext) -> dict[str, Case]:
    return _resolution_cases(ctx, "down", ctx.downscale)


def judge_c2a(ctx: ClaimContext, cases: dict[str, Case]) -> Judgement:
    """Fake accuracy drop from clean to 0.5x on the training generator: baseline's minus aligned's."""
    gen, down = ctx.trained_on, ctx.downscale

    def drop(det: str) -> Callable:
        return lambda s, w, seed: fake_acc(s[f"{det}clean"], w) - fake_acc(s[f"{det}down"], w)

    est = paired(ctx.scores, cases, lambda s, w, seed: drop("b")(s, w, seed) - drop("a")(s, w, seed), "C2a")
    detail = est.missing
    if not detail:
        detail = f"fake accuracy drop: {_each_detector(ctx, cases, drop, 'C2a')}"
    return Judgement(metric=f"fake accuracy on {gen}, clean minus {down}: {ctx.baseline}'s drop minus "
                            f"{ctx.aligned}'s", comparison="difference > margin", margin=0.10, estimate=est,
                     detail=detail)


def cases_c2b(ctx: ClaimContext) -> dict[str, Case]:
    return _resolution_cases(ctx, "up", ctx.upscale)


def judge_c2b(ctx: ClaimContext, cases: dict[str, Case]) -> Judgement:
    """Real FPR at the clean-calibrated threshold, 2x minus clean: baseline's rise minus aligned's."""
    gen, up = ctx.trained_on, ctx.upscale
    thresholds: dict[tuple[str, int], float] = {(d, int(s)): t for (d, _, s), t in
                                                 calibration_thresholds(ctx.scores).items()} if len(ctx.scores) else {}
    uncalibrated = [d for d in (ctx.baseline, ctx.aligned) if not any(k[0] == d for k in thresholds)]
    names = {"b": ctx.baseline, "a": ctx.aligned}

    def rise(det: str) -> Callable:
        def stat(s, w, seed):
            thr = thresholds.get((names[det], seed), math.nan)
            return real_fpr(s[f"{det}up"], w, thr) - real_fpr(s[f"{det}clean"], w, thr)
        return stat

    est = paired(ctx.scores, cases, lambda s, w, seed: rise("b")(s, w, seed) - rise("a")(s, w, seed), "C2b")
    if uncalibrated and not est.missing:
        est = Estimate.absent("the store lacks the clean calibration reals of " + ", ".join(uncalibrated))
    detail = est.missing
    if not detail:
        detail = f"real FPR rise: {_each_detector(ctx, cases, rise, 'C2b')}"
    return Judgement(metric=f"real FPR at the threshold calibrated for 5% FPR on clean held-out reals, {up} minus "
                            f"clean, on {gen}: {ctx.baseline}'s rise minus {ctx.aligned}'s",
                     comparison="difference > margin", margin=0.05, estimate=est, detail=detail)


def cases_c3(ctx: ClaimContext) -> dict[str, Case]:
    """The clean case, then one role per perturbation of the robustness sweep (named by it)."""
    return {"clean": (ctx.aligned, ctx.trained_on, "identity"),
            **{p: (ctx.aligned, ctx.trained_on, p) for p in ctx.robustness}}


def judge_c3(ctx: ClaimContext, cases: dict[str, Case]) -> Judgement:
    """The aligned detector's worst balanced-accuracy drop from clean over resizing and JPEG."""
    gen, margin = ctx.trained_on, 0.10
    sweep = [role for role in cases if role != "clean"]
    metric = (f"largest drop of {ctx.aligned}'s balanced accuracy on {gen} from clean, over "
              f"{', '.join(sweep)}")
    worst, worst_p, missing = None, "", []
    for p in sweep:
        est = paired(ctx.scores, {"clean": cases["clean"], "p": cases[p]}, _drop("clean", "p"), f"C3{p}")
        if est.missing:
            missing.append(est.missing)
        elif worst is None or est.value > worst.value:
            worst, worst_p = est, p
    if missing or worst is None:
        why = "; ".join(missing) or "no perturbation to judge"
        return Judgement(metric, "worst drop < margin", margin, Estimate.absent(why), higher_is_claim=False, detail=why)
    # the level the drops start from: a detector near chance clean has nothing to lose (a vacuous hold)
    clean = _level(ctx, cases["clean"], "C3clean")
    return Judgement(metric, "worst drop < margin", margin, worst, higher_is_claim=False,
                     detail=f"worst: {worst_p}; clean balanced accuracy {clean.value:.3f}")


def cases_c4a(ctx: ClaimContext) -> dict[str, Case]:
    return {"ref": (ctx.aligned, ctx.trained_on, "identity"), "b": (ctx.aligned, ctx.trained_on, ctx.webp)}


def judge_c4a(ctx: ClaimContext, cases: dict[str, Case]) -> Judgement:
    gen = ctx.trained_on
    est = paired(ctx.scores, cases, _drop("ref", "b"), "C4a")
    return Judgement(f"drop of {ctx.aligned}'s balanced accuracy from {gen} clean to {gen} / {ctx.webp}",
                     "drop > margin", 0.05, est, detail=est.missing)


def cases_c4b(ctx: ClaimContext) -> dict[str, Case]:
    return {"ref": (ctx.aligned, ctx.trained_on, "identity"),
            "other": (ctx.aligned, ctx.autoencoder_differs, "identity")}


def judge_c4b(ctx: ClaimContext, cases: dict[str, Case]) -> Judgement:
    # other generator: different fakes, so the two cases are bootstrapped each on its own
    est = unpaired_drop(ctx.scores, cases["ref"], cases["other"], "C4b")
    return Judgement(f"drop of {ctx.aligned}'s balanced accuracy from {ctx.trained_on} clean to "
                     f"{ctx.autoencoder_differs} / identity", "drop > margin", 0.10, est, detail=est.missing)


def _gmacs(flops: float) -> str:
    return f"{flops / 2e9:,.1f}"


def cases_c5(ctx: ClaimContext) -> dict[str, Case]:
    return {}  # a count from the configs: no detector case


def judge_c5(ctx: ClaimContext, cases: dict[str, Case]) -> Judgement:
    """Generation vs reconstruction FLOPs per image of SD 1.5 at 512 px, counted from its configs."""
    metric = (f"FLOPs per image of {FLOPS_GENERATOR} at its native size, generation (steps x denoiser calls + "
              "decode) / reconstruction (encode + decode), counted from its configs on the meta device")
    row = ((ctx.cost or {}).get("flops") or {}).get(FLOPS_GENERATOR)
    if not row or row.get("error"):
        why = (f"no FLOP count of {FLOPS_GENERATOR}" + (f": {row['error']}" if row else "")
               + " (run pytest benchmark/ -k claims, or fakebench bench cost --flops --out DIR/cost.json)")
        return Judgement(metric, "ratio >= margin", 10.0, Estimate.absent(why), detail=why, interval=False)
    value = float(row["generate_flops"]) / float(row["reconstruct_flops"])
    detail = (f"generate {_gmacs(row['generate_flops'])} GMACs = {row['denoiser_calls']} denoiser calls x "
              f"{_gmacs(row['denoiser_flops'])} + decode {_gmacs(row['decode_flops'])}; reconstruct "
              f"{_gmacs(row['reconstruct_flops'])} GMACs = encode {_gmacs(row['encode_flops'])} + decode; paper "
              f"(its own count): {PAPER_GMACS[0]} vs {PAPER_GMACS[1]} GMACs, "
              f"{PAPER_GMACS[0] / PAPER_GMACS[1]:.1f}x")
    wall = (ctx.cost or {}).get("wallclock")
    if wall and not wall.get("error"):
        detail += (f". Information, not judged: {wall['generator']} measured {wall['ratio']:.1f}x by wall clock "
                   f"({wall['steps']} steps, batch {wall['batch_size']}, {wall['device']})")
    # a count, not a sample: the interval is the value itself
    return Judgement(metric, "ratio >= margin", 10.0, Estimate(value, np.array([value]), 0), detail=detail,
                     interval=False)


def cases_c6(ctx: ClaimContext) -> dict[str, Case]:
    return {"photo": (ctx.aligned, ctx.trained_on, "identity"), "proc": (ctx.procedural, ctx.trained_on, "identity")}


def judge_c6(ctx: ClaimContext, cases: dict[str, Case]) -> Judgement:
    """Photo-trained minus procedural-trained aligned detector, balanced accuracy on the world's photos
    against the training generator's fakes."""
    gen = ctx.trained_on
    est = paired(ctx.scores, cases, _drop("photo", "proc"), "C6")
    detail = est.missing
    if est.missing:
        detail += (f" (C6 reads the detector trained aligned on procedural reals, {ctx.procedural}; train it with "
                   "the procedural real source)")
    else:
        parts = [_level(ctx, cases[role], f"C6{cases[role][0]}") for role in ("photo", "proc")]
        detail = f"balanced accuracy: {ctx.aligned} {_fmt(parts[0])}, {ctx.procedural} {_fmt(parts[1])}"
    return Judgement(f"balanced accuracy on {gen} (clean photos vs its fakes), {ctx.aligned} (photos) minus "
                     f"{ctx.procedural} (procedural reals)", "difference < margin", 0.05, est,
                     higher_is_claim=False, detail=detail)


# ------------------------------------------------------------------------------- C0 (audit)

C0_MARGIN = 0.3  # shortcut AUC, baseline set minus aligned set
C0_ALIGNED_CEILING = 0.6  # the aligned set's interval must contain 0.5 or lie below this


def audit_by_recipe(entries: list[dict] | None) -> dict | None:
    """C0's input from the run's training-set audit (run.json `training_audit`): recipe -> entry, for
    the sets built on the world's own reals (not procedural ones)."""
    found = {e["recipe"]: e for e in entries or [] if e.get("reals") == "corpus"}
    return found or None


def judge_c0(ctx: ClaimContext, cases: dict[str, Case]) -> Judgement:
    """Shortcut AUC (metadata-only classifier, fakebench.audit.shortcut) of the baseline recipe's training
    set minus the aligned recipe's. The interval of the difference is the conservative one of two
    independent intervals, [lo_b - hi_a, hi_b - lo_a]; and the aligned set must itself look aligned."""
    metric = ("shortcut AUC of the training set (a classifier on file metadata alone, 5-fold CV), baseline set "
              "minus aligned set")
    audit = ctx.audit or {}
    b, a = audit.get("baseline") or {}, audit.get("aligned") or {}
    missing = [name for name, r in (("baseline", b), ("aligned", a)) if r.get("auc") is None]
    if missing:
        error = b.get("error") or a.get("error")
        why = "no audit of the " + " and ".join(missing) + " training set" + (f": {error}" if error else "")
        return Judgement(metric, "difference > margin", C0_MARGIN, Estimate.absent(why), detail=why)
    value = b["auc"] - a["auc"]
    lo, hi = b["lo"] - a["hi"], b["hi"] - a["lo"]
    est = Estimate(value, np.array([lo, lo, hi, hi]), 0)  # quantiles 2.5% / 97.5% of these four are lo / hi
    aligned_ok = a["lo"] <= 0.5 <= a["hi"] or a["hi"] < C0_ALIGNED_CEILING
    detail = (f"baseline set {b['auc']:.3f} [{b['lo']:.3f}, {b['hi']:.3f}] (leading cue: {b.get('leading', '?')}), "
              f"aligned set {a['auc']:.3f} [{a['lo']:.3f}, {a['hi']:.3f}] (leading cue: {a.get('leading', '?')})")
    unmet = "" if aligned_ok else (f"the aligned set's interval neither contains 0.5 nor lies below "
                                   f"{C0_ALIGNED_CEILING}: it offers the {a.get('leading', '?')} shortcut")
    return Judgement(metric, "difference > margin", C0_MARGIN, est, detail=detail + (f"; {unmet}" if unmet else ""),
                     unmet=unmet)


# --- C7: WebP among the training augmentations removes the WebP limit (self-contained: the detector it
# reads is named here, `aligned-webp-<backbone>`, trained with the world's augmentation plus WebP, the
# `webp` DetectorSpec variant a world's detector runs as `aligned-webp`; margin fixed before any run: C4a's)

C7_MARGIN = 0.05  # C4a calls a drop above this a shown limit; removed means the WebP-trained drop is below it


def webp_trained(ctx: ClaimContext) -> str:
    """The aligned detector trained with WebP among its augmentations (fakebench.detectors.spec, augment=webp)."""
    return DetectorSpec.label_of(ctx.backbone, "aligned", augment=WEBP)


def cases_c7(ctx: ClaimContext) -> dict[str, Case]:
    """The WebP-trained detector clean and under WebP, and C4a's cases (the plain aligned detector on the
    same images): whether there was a limit to remove is part of the verdict's reading."""
    det = webp_trained(ctx)
    return {"ref": (det, ctx.trained_on, "identity"), "b": (det, ctx.trained_on, ctx.webp),
            **{f"plain_{role}": case for role, case in cases_c4a(ctx).items()}}


def judge_c7(ctx: ClaimContext, cases: dict[str, Case]) -> Judgement:
    """The WebP-trained aligned detector's balanced-accuracy drop from clean to WebP on the training
    generator, below C4a's margin. The detail shows C4a's drop (the plain aligned detector) on the same
    images: the claim says something only where that one shows the limit."""
    gen, det = ctx.trained_on, webp_trained(ctx)
    plain = paired(ctx.scores, {"ref": cases["plain_ref"], "b": cases["plain_b"]}, _drop("ref", "b"), "C7plain")
    est = paired(ctx.scores, {"ref": cases["ref"], "b": cases["b"]}, _drop("ref", "b"), "C7")
    if plain.missing:  # without C4a's drop there is no reading of a removed limit
        est = Estimate.absent(plain.missing)
    detail = est.missing
    if not detail:
        lo, _ = plain.interval()
        shown = "shows the limit" if plain.value > C7_MARGIN and lo > C7_MARGIN else \
            "does not show the limit here, so there was none to remove (no evidence either way)"
        detail = f"{ctx.aligned} (C4a) drops {_fmt(plain)}: it {shown}"
    return Judgement(f"drop of {det}'s balanced accuracy from {gen} clean to {gen} / {ctx.webp}",
                     "drop < margin", C7_MARGIN, est, higher_is_claim=False, detail=detail)


C7 = Claim("C7", "webp-augmentation-removes-webp-limit", "WebP among the training augmentations removes the WebP limit",
           "the paper's suggested mitigation of its WebP limit: add WebP to the training augmentations (Sec. 5)",
           cases_c7, judge_c7)


# ------------------------------------------------------------------------------------- registry

CLAIMS: tuple[Claim, ...] = (
    Claim("C0", "baseline-set-offers-shortcuts",
          "the baseline's training set offers shortcuts, the aligned set does not",
          "Grommelt et al., Fake or JPEG? (GenImage): reals JPEG of every size vs fakes PNG at fixed sizes; "
          "removing both biases raised cross-generator accuracy by more than 11 points", lambda ctx: {}, judge_c0,
          reads_detectors=False, reads_audit=True),
    Claim("C1", "aligned-beats-baseline-other-denoiser", "aligned beats baseline on a generator whose denoiser differs",
          "Playground v2.5 (a denoiser unlike SD's), Table 3 accuracy: baseline 86.25 -> aligned 98.80 "
          "clean, 24.11 -> 63.83 post-processed", cases_c1, judge_c1),
    Claim("C2a", "baseline-calls-downscaled-fakes-real", "the baseline calls downscaled fakes real",
          "resize sweep: the baseline's fake probability falls to about 0.05 at 0.5x; the aligned detector still "
          "catches downscaled fakes (about 0.6-0.8)", cases_c2a, judge_c2a),
    Claim("C2b", "baseline-calls-upscaled-reals-fake", "the baseline calls upscaled reals fake",
          "resize sweep: the baseline's fake probability on reals rises to about 0.59 at 2x; the aligned detector "
          "keeps reals below about 0.07", cases_c2b, judge_c2b),
    Claim("C3", "aligned-robust-to-jpeg-and-resizing", "the aligned detector stays robust to JPEG and resizing",
          "aligned detectors stay robust to resizing and JPEG compression (Table 3, post-processed)", cases_c3,
          judge_c3),
    Claim("C4a", "limit-webp", "known limit: WebP compression",
          "WebP compression, absent from training augmentations, hurts the aligned detector", cases_c4a, judge_c4a,
          known_limit=True),
    Claim("C4b", "limit-other-autoencoder", "known limit: a generator whose autoencoder differs",
          "alignment ties the detector to one autoencoder: other autoencoders' images are missed", cases_c4b,
          judge_c4b, known_limit=True),
    Claim("C5", "reconstruction-10x-cheaper", "reconstruction costs at least 10x fewer FLOPs than generation",
          f"about 10x cheaper per image: {PAPER_GMACS[0]} GMACs to generate (UNet 23.6 + autoencoder 1.6) vs "
          f"{PAPER_GMACS[1]} to reconstruct", cases_c5, judge_c5, reads_detectors=False),
    Claim("C6", "alignment-not-content", "alignment, not content: procedural reals train as well as photos",
          "a detector trained on OpenGL-shader images and their reconstructions is comparable to one trained on "
          "natural images", cases_c6, judge_c6),
    C7,
)

CLAIMS_BY_ID: dict[str, Claim] = {c.id: c for c in CLAIMS}

LIMIT_VERDICTS = {"holds": "limit shown", "not significant": "limit shown (not significant)",
                  "fails": "limit not shown", "fails (not significant)": "limit not shown (not significant)"}


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
    """Every claim (or those named), in the registry's order."""
    return [evaluate(c, ctx) for c in CLAIMS if ids is None or c.id in ids]


def claim_line(r: ClaimResult) -> str:
    """One line per claim, as the test outcome and the terminal show it."""
    ci = f" [{r.lo:+.3f}, {r.hi:+.3f}]" if not math.isnan(r.lo) else ""
    value = "n/a" if math.isnan(r.value) else f"{r.value:+.3f}{ci}"
    return (f"{r.id} {r.title}: {r.verdict}. {r.metric}: {value}, {r.comparison}, margin {r.margin:g}"
            + (f". {r.detail}" if r.detail else ""))


def claims_frame(results: list[ClaimResult]) -> pd.DataFrame:
    return pd.DataFrame([r.as_dict() for r in results])


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
