"""How each of the paper's findings is judged: per claim a pair, `cases_cX(ctx)` declaring the cases it
reads under role names (once) and `judge_cX(ctx, cases)` reading those roles from the score store (C5:
the FLOP record; C0: the audit of the training sets). Metric, comparison and margin are fixed here
before any run. The registry that names them (`fakebench.evaluation.claims.CLAIMS`) adds the paper's
statement and the roles each needs of a world."""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from fakebench.evaluation.calibration import calibration_thresholds
from fakebench.evaluation.claim_stats import (
    CaseKey,
    Estimate,
    bal_acc,
    fake_acc,
    paired,
    real_fpr,
    unpaired_drop,
)
from fakebench.evaluation.claim_types import ClaimContext, Judgement

FLOPS_GENERATOR = "sd15"  # C5 is the paper's count: Stable Diffusion 1.5 at 512 px
PAPER_GMACS = (25.2, 2.32)  # the paper's generation and reconstruction GMACs per image (SD, 512 px)
# C4a calls a WebP drop above this a shown limit; C7 calls the limit removed when the WebP-trained
# detector's drop is below it: one margin, fixed before any run
WEBP_LIMIT_MARGIN = 0.05


# Each claim is a pair: `cases_cX(ctx)` declares the cases it reads under role names (once), and
# `judge_cX(ctx, cases)` reads those roles. A new claim follows the same pattern.


def _drop(a: str, b: str) -> Callable:
    """Balanced accuracy of role `a` minus role `b`."""
    return lambda s, w, seed: bal_acc(s[a], w) - bal_acc(s[b], w)


def _fmt(e: Estimate) -> str:
    lo, hi = e.interval()
    return f"{e.value:+.3f} [{lo:+.3f}, {hi:+.3f}]" if not math.isnan(e.value) else "n/a"


def _level(ctx: ClaimContext, case: CaseKey, tag: str) -> Estimate:
    """One case's balanced accuracy (over seeds, with its interval): the level a claim's difference starts from."""
    return paired(ctx.scores, {"x": case}, lambda s, w, seed: bal_acc(s["x"], w), tag)


def cases_c1(ctx: ClaimContext) -> dict[str, CaseKey]:
    return {"a": (ctx.aligned, ctx.denoiser_differs, "identity"), "b": (ctx.baseline, ctx.denoiser_differs, "identity")}


def judge_c1(ctx: ClaimContext, cases: dict[str, CaseKey]) -> Judgement:
    gen = ctx.denoiser_differs
    est = paired(ctx.scores, cases, _drop("a", "b"), "C1")
    return Judgement(metric=f"balanced accuracy, {ctx.aligned} minus {ctx.baseline}, on {gen} (clean)",
                     comparison="difference > margin", margin=0.0, estimate=est, detail=est.missing)


def _resolution_cases(ctx: ClaimContext, key: str, perturbation: str) -> dict[str, CaseKey]:
    """The four cases a resolution claim reads, on the training generator: `a`ligned and `b`aseline,
    each clean and under `perturbation` (roles `aclean`, `a<key>`, `bclean`, `b<key>`)."""
    return {f"{d}{p}": (det, ctx.trained_on, pert) for d, det in (("a", ctx.aligned), ("b", ctx.baseline))
            for p, pert in (("clean", "identity"), (key, perturbation))}


def _each_detector(ctx: ClaimContext, cases: dict[str, CaseKey], stat_of: Callable[[str], Callable], tag: str) -> str:
    """Each detector's own change (its statistic over its own two cases), for a claim's detail line."""
    parts = [paired(ctx.scores, {k: v for k, v in cases.items() if k.startswith(d)}, stat_of(d), f"{tag}{d}")
             for d in ("b", "a")]
    return f"{ctx.baseline} {_fmt(parts[0])}, {ctx.aligned} {_fmt(parts[1])}"


def cases_c2a(ctx: ClaimContext) -> dict[str, CaseKey]:
    return _resolution_cases(ctx, "down", ctx.downscale)


def judge_c2a(ctx: ClaimContext, cases: dict[str, CaseKey]) -> Judgement:
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


def cases_c2b(ctx: ClaimContext) -> dict[str, CaseKey]:
    return _resolution_cases(ctx, "up", ctx.upscale)


def judge_c2b(ctx: ClaimContext, cases: dict[str, CaseKey]) -> Judgement:
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


def cases_c3(ctx: ClaimContext) -> dict[str, CaseKey]:
    """The clean case, then one role per perturbation of the robustness sweep (named by it)."""
    return {"clean": (ctx.aligned, ctx.trained_on, "identity"),
            **{p: (ctx.aligned, ctx.trained_on, p) for p in ctx.robustness}}


def judge_c3(ctx: ClaimContext, cases: dict[str, CaseKey]) -> Judgement:
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


def cases_c4a(ctx: ClaimContext) -> dict[str, CaseKey]:
    return {"ref": (ctx.aligned, ctx.trained_on, "identity"), "b": (ctx.aligned, ctx.trained_on, ctx.webp)}


def judge_c4a(ctx: ClaimContext, cases: dict[str, CaseKey]) -> Judgement:
    gen = ctx.trained_on
    est = paired(ctx.scores, cases, _drop("ref", "b"), "C4a")
    return Judgement(f"drop of {ctx.aligned}'s balanced accuracy from {gen} clean to {gen} / {ctx.webp}",
                     "drop > margin", WEBP_LIMIT_MARGIN, est, detail=est.missing)


def cases_c4b(ctx: ClaimContext) -> dict[str, CaseKey]:
    return {"ref": (ctx.aligned, ctx.trained_on, "identity"),
            "other": (ctx.aligned, ctx.autoencoder_differs, "identity")}


def judge_c4b(ctx: ClaimContext, cases: dict[str, CaseKey]) -> Judgement:
    # other generator: different fakes, so the two cases are bootstrapped each on its own
    est = unpaired_drop(ctx.scores, cases["ref"], cases["other"], "C4b")
    return Judgement(f"drop of {ctx.aligned}'s balanced accuracy from {ctx.trained_on} clean to "
                     f"{ctx.autoencoder_differs} / identity", "drop > margin", 0.10, est, detail=est.missing)


def _gmacs(flops: float) -> str:
    return f"{flops / 2e9:,.1f}"


def cases_c5(ctx: ClaimContext) -> dict[str, CaseKey]:
    return {}  # a count from the configs: no detector case


def judge_c5(ctx: ClaimContext, cases: dict[str, CaseKey]) -> Judgement:
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


def cases_c6(ctx: ClaimContext) -> dict[str, CaseKey]:
    return {"photo": (ctx.aligned, ctx.trained_on, "identity"), "proc": (ctx.procedural, ctx.trained_on, "identity")}


def judge_c6(ctx: ClaimContext, cases: dict[str, CaseKey]) -> Judgement:
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


def cases_c0(ctx: ClaimContext) -> dict[str, CaseKey]:
    return {}  # the audit of the training sets: no detector case


def judge_c0(ctx: ClaimContext, cases: dict[str, CaseKey]) -> Judgement:
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


# --- C7: WebP among the training augmentations removes the WebP limit (the detector it reads,
# `ctx.webp_trained` = aligned-webp-<backbone>, is trained with the world's augmentation plus WebP, the
# `webp` DetectorSpec variant a world's detector runs as `aligned-webp`; its margin is C4a's)


def cases_c7(ctx: ClaimContext) -> dict[str, CaseKey]:
    """The WebP-trained detector clean and under WebP, and C4a's cases (the plain aligned detector on the
    same images): whether there was a limit to remove is part of the verdict's reading."""
    det = ctx.webp_trained
    return {"ref": (det, ctx.trained_on, "identity"), "b": (det, ctx.trained_on, ctx.webp),
            **{f"plain_{role}": case for role, case in cases_c4a(ctx).items()}}


def judge_c7(ctx: ClaimContext, cases: dict[str, CaseKey]) -> Judgement:
    """The WebP-trained aligned detector's balanced-accuracy drop from clean to WebP on the training
    generator, below C4a's margin. The detail shows C4a's drop (the plain aligned detector) on the same
    images: the claim says something only where that one shows the limit."""
    gen, det = ctx.trained_on, ctx.webp_trained
    plain = paired(ctx.scores, {"ref": cases["plain_ref"], "b": cases["plain_b"]}, _drop("ref", "b"), "C7plain")
    est = paired(ctx.scores, {"ref": cases["ref"], "b": cases["b"]}, _drop("ref", "b"), "C7")
    if plain.missing:  # without C4a's drop there is no reading of a removed limit
        est = Estimate.absent(plain.missing)
    detail = est.missing
    if not detail:
        lo, _ = plain.interval()
        shown = "shows the limit" if plain.value > WEBP_LIMIT_MARGIN and lo > WEBP_LIMIT_MARGIN else \
            "does not show the limit here, so there was none to remove (no evidence either way)"
        detail = f"{ctx.aligned} (C4a) drops {_fmt(plain)}: it {shown}"
    return Judgement(f"drop of {det}'s balanced accuracy from {gen} clean to {gen} / {ctx.webp}",
                     "drop < margin", WEBP_LIMIT_MARGIN, est, higher_is_claim=False, detail=detail)
