"""The paper's findings as claims, judged from the score store (and, for cost, a cost record).

Each claim names the paper's statement and number, the metric, the comparison and its margin, all
fixed here before any run. Differences between detectors are judged on the same images: a paired,
stratified bootstrap resamples image ids (reals and fakes separately) and scores both detectors on each
resample, so the interval is that of the difference itself. With several training seeds, the value is
the mean over seeds and each bootstrap replicate is averaged over seeds the same way.

Verdicts: `holds` (the value clears the margin and so does the whole 95% interval), `not significant`
(the value clears it, the interval straddles it), `fails (not significant)` (the value misses it, the
interval straddles it), `fails` (value and interval miss it), `no data` (the store lacks a case the
claim needs). Known limits (C4) read `limit shown` / `limit not shown`.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from fakebench.core.seeds import derived_seed
from leaderboard.metrics import resample_counts
from leaderboard.store import TEST_SPLIT
from leaderboard.tables import calibration_thresholds

RESAMPLES = 1000


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
    verdict: str
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ClaimContext:
    """What claims read: the store's test and calibration rows, the training generator's world names."""

    scores: pd.DataFrame
    cost: dict | None = None  # {"generator": ..., "ratio": ..., ...} from `fakebench bench cost` / the session
    trained_on: str = "mini-sd"
    denoiser_differs: str = "mini-playground"
    autoencoder_differs: str = "mini-othervae"
    backbone: str = "resnet50"
    downscale: str = "resize0.5"
    webp: str = "webp50"
    robustness: tuple[str, ...] = ("resize0.5", "resize0.75", "resize1.5", "jpeg75", "jpeg50", "resize0.5+jpeg75")

    def needs(self) -> dict[str, list[tuple[str, str, str]]]:
        """Per claim, the (detector, generator, perturbation) cases it reads: what a run must score."""
        a, b, t = f"aligned-{self.backbone}", f"baseline-{self.backbone}", self.trained_on
        return {
            "C1": [(a, self.denoiser_differs, "identity"), (b, self.denoiser_differs, "identity")],
            "C2": [(d, t, p) for d in (a, b) for p in ("identity", self.downscale)],
            "C3": [(a, t, "identity")] + [(a, t, p) for p in self.robustness],
            "C4a": [(a, t, "identity"), (a, t, self.webp)],
            "C4b": [(a, t, "identity"), (a, self.autoencoder_differs, "identity")],
            "C5": [],
        }


def _case_rows(ctx: ClaimContext, detector: str, generator: str, perturbation: str) -> dict[int, pd.DataFrame]:
    """Per training seed: the case's scored rows, indexed by (label, image_id) so detectors pair up."""
    s = ctx.scores
    rows = s[(s["split"] == TEST_SPLIT) & (s["detector"] == detector) & (s["generator"] == generator)
             & (s["perturbation"] == perturbation) & (s["error"] == "")]
    return {int(seed): g.set_index(["label", "image_id"])["score"].sort_index() for seed, g in rows.groupby("seed")}


def _resample_weights(index: pd.MultiIndex, seed: int) -> np.ndarray:
    """RESAMPLES x n multiplicities, resampling reals and fakes separately (class counts fixed)."""
    rng = np.random.default_rng(seed)
    labels = index.get_level_values("label").to_numpy()
    weights = np.zeros((RESAMPLES, len(labels)))
    for label in (0, 1):
        pos = np.flatnonzero(labels == label)
        weights[:, pos] = resample_counts(rng, len(pos), RESAMPLES)
    return weights


def _bal_acc(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted balanced accuracy at 0.5; weights: (R x n) or (n,)."""
    correct = np.where(labels == 1, scores >= 0.5, scores < 0.5).astype(float)
    accs = [(weights[..., labels == c] * correct[labels == c]).sum(-1) / weights[..., labels == c].sum(-1)
            for c in (0, 1)]
    return (accs[0] + accs[1]) / 2


def _real_fpr(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray, threshold: float) -> np.ndarray:
    flagged = (scores > threshold).astype(float)
    reals = labels == 0
    return (weights[..., reals] * flagged[reals]).sum(-1) / weights[..., reals].sum(-1)


Statistic = Callable[[dict[str, pd.Series], np.ndarray, int], np.ndarray]


def _paired(ctx: ClaimContext, cases: dict[str, tuple[str, str, str]], statistic: Statistic,
            claim_id: str) -> tuple[float, np.ndarray, str]:
    """Evaluate `statistic` on the full data and on paired resamples, per seed, averaged over seeds.

    `cases` maps a role to (detector, generator, perturbation); every role is aligned on the same
    image ids. Returns (value, replicates, missing-case message)."""
    per_role = {role: _case_rows(ctx, *case) for role, case in cases.items()}
    missing = [f"{d} / {g} / {p}" for role, (d, g, p) in cases.items() if not per_role[role]]
    if missing:
        return math.nan, np.array([]), "the store lacks " + ", ".join(missing)
    seeds = sorted(set.intersection(*(set(v) for v in per_role.values())))
    if not seeds:
        return math.nan, np.array([]), "no training seed is shared by the cases this claim compares"
    values, replicates = [], []
    for seed in seeds:
        series = {role: rows[seed] for role, rows in per_role.items()}
        common = sorted(set.intersection(*(set(s.index) for s in series.values())))
        series = {role: s.loc[common] for role, s in series.items()}
        index = pd.MultiIndex.from_tuples(common, names=["label", "image_id"])
        weights = _resample_weights(index, derived_seed(claim_id, seed))
        values.append(statistic(series, np.ones(len(common)), seed))
        replicates.append(statistic(series, weights, seed))
    return float(np.mean(values)), np.mean(replicates, axis=0), ""


def _labels(series: pd.Series) -> np.ndarray:
    return series.index.get_level_values("label").to_numpy()


def _judge(value: float, reps: np.ndarray, margin: float, higher_is_claim: bool = True) -> tuple[float, float, str]:
    if math.isnan(value):
        return math.nan, math.nan, "no data"
    lo, hi = (float(q) for q in np.quantile(reps, [0.025, 0.975]))
    clears = (lambda v: v > margin) if higher_is_claim else (lambda v: v < margin)
    near, far = (lo, hi) if higher_is_claim else (hi, lo)  # interval ends on the claim's losing / winning side
    if not clears(value):
        return lo, hi, "fails (not significant)" if clears(far) else "fails"
    return lo, hi, "holds" if clears(near) else "not significant"


def claim_c1(ctx: ClaimContext) -> ClaimResult:
    aligned, baseline = f"aligned-{ctx.backbone}", f"baseline-{ctx.backbone}"
    gen = ctx.denoiser_differs

    def diff(series, w, seed):
        return (_bal_acc(series["a"].to_numpy(), _labels(series["a"]), w)
                - _bal_acc(series["b"].to_numpy(), _labels(series["b"]), w))

    value, reps, missing = _paired(ctx, {"a": (aligned, gen, "identity"), "b": (baseline, gen, "identity")}, diff, "C1")
    lo, hi, verdict = _judge(value, reps, 0.0)
    return ClaimResult("C1", "aligned beats baseline on a generator whose denoiser differs",
                       "Playground v2.5 (same autoencoder, other denoiser): aligned +36.98 / +52.09 points of accuracy",
                       f"balanced accuracy, {aligned} minus {baseline}, on {gen} (clean)", "difference > margin", 0.0,
                       value, lo, hi, verdict, missing)


def claim_c2(ctx: ClaimContext) -> ClaimResult:
    """The baseline flags downscaled reals: its real FPR at the clean-calibrated threshold rises by at
    least 5 points; the aligned detector's moves by less than 5 points."""
    aligned, baseline = f"aligned-{ctx.backbone}", f"baseline-{ctx.backbone}"
    thresholds = calibration_thresholds(ctx.scores)
    gen, down = ctx.trained_on, ctx.downscale
    margin = 0.05

    def rise(det):
        def stat(series, w, seed):
            thr = next((t for (d, _, s), t in thresholds.items() if d == det and s == seed), math.nan)
            down, clean = series["down"], series["clean"]
            return (_real_fpr(down.to_numpy(), _labels(down), w, thr)
                    - _real_fpr(clean.to_numpy(), _labels(clean), w, thr))
        return stat

    b_val, b_reps, b_missing = _paired(ctx, {"down": (baseline, gen, down), "clean": (baseline, gen, "identity")},
                                       rise(baseline), "C2b")
    a_val, a_reps, a_missing = _paired(ctx, {"down": (aligned, gen, down), "clean": (aligned, gen, "identity")},
                                       rise(aligned), "C2a")
    lo, hi, verdict = _judge(b_val, b_reps, margin)
    detail = b_missing or a_missing
    if not detail:
        a_lo, a_hi = (float(q) for q in np.quantile(a_reps, [0.025, 0.975]))
        aligned_stays = abs(a_val) < margin
        detail = (f"{aligned}: {a_val:+.3f} [{a_lo:+.3f}, {a_hi:+.3f}] "
                  f"({'stays within' if aligned_stays else 'moves beyond'} {margin:.2f})")
        if verdict != "no data" and not aligned_stays:
            verdict = "fails"
        elif verdict == "holds" and not (a_hi < margin and a_lo > -margin):
            verdict = "not significant"
    else:
        verdict = "no data"
    return ClaimResult("C2", "the baseline learns resolution; the aligned detector does not",
                       "downscaled reals are flagged as fake by the baseline; aligned's real FPR stays low",
                       f"real FPR at the threshold calibrated for 5% FPR on clean held-out reals, {down} minus clean, "
                       f"{baseline} (aligned in detail)", "baseline rise > margin, |aligned rise| < margin", margin,
                       b_val, lo, hi, verdict, detail)


def claim_c3(ctx: ClaimContext) -> ClaimResult:
    """The aligned detector's balanced accuracy drops by at most 10 points under resizing and JPEG."""
    aligned, gen, margin = f"aligned-{ctx.backbone}", ctx.trained_on, 0.10
    worst_value, worst_reps, worst_p, missing = -math.inf, np.array([]), "", []
    for p in ctx.robustness:
        def drop(series, w, seed):
            return (_bal_acc(series["clean"].to_numpy(), _labels(series["clean"]), w)
                    - _bal_acc(series["p"].to_numpy(), _labels(series["p"]), w))

        value, reps, miss = _paired(ctx, {"clean": (aligned, gen, "identity"), "p": (aligned, gen, p)}, drop, f"C3{p}")
        if miss:
            missing.append(miss)
        elif value > worst_value:
            worst_value, worst_reps, worst_p = value, reps, p
    if missing or not worst_p:
        return ClaimResult("C3", "the aligned detector stays robust to JPEG and resizing", "robust to resizing and "
                           "compression", "", "", margin, math.nan, math.nan, math.nan, "no data", "; ".join(missing))
    lo, hi, verdict = _judge(worst_value, worst_reps, margin, higher_is_claim=False)
    return ClaimResult("C3", "the aligned detector stays robust to JPEG and resizing",
                       "aligned detectors stay robust to resizing and JPEG compression",
                       f"largest drop of {aligned}'s balanced accuracy on {gen} from clean, over "
                       f"{', '.join(ctx.robustness)}", "worst drop < margin", margin, worst_value, lo, hi, verdict,
                       f"worst: {worst_p}")


def claim_c4(ctx: ClaimContext) -> list[ClaimResult]:
    """Known limits, reported with their numbers: WebP, and a generator whose autoencoder differs."""
    aligned, gen = f"aligned-{ctx.backbone}", ctx.trained_on
    out = []
    for cid, title, paper, case_b, margin in (
        ("C4a", "known limit: WebP compression", "WebP compression hurts the aligned detector",
         (aligned, gen, ctx.webp), 0.05),
        ("C4b", "known limit: a generator whose autoencoder differs",
         "alignment ties the detector to one autoencoder: other autoencoders' images are missed",
         (aligned, ctx.autoencoder_differs, "identity"), 0.10),
    ):
        def drop(series, w, seed):
            return (_bal_acc(series["ref"].to_numpy(), _labels(series["ref"]), w)
                    - _bal_acc(series["b"].to_numpy(), _labels(series["b"]), w))

        if case_b[1] != gen:  # other generator: different fakes, same reals; pair on reals, fakes by position
            value, reps, missing = _unpaired_drop(ctx, (aligned, gen, "identity"), case_b, cid)
        else:
            value, reps, missing = _paired(ctx, {"ref": (aligned, gen, "identity"), "b": case_b}, drop, cid)
        lo, hi, verdict = _judge(value, reps, margin)
        verdict = {"holds": "limit shown", "not significant": "limit shown (not significant)",
                   "fails": "limit not shown", "fails (not significant)": "limit not shown (not significant)",
                   }.get(verdict, verdict)
        out.append(ClaimResult(cid, title, paper, f"drop of {aligned}'s balanced accuracy from {gen} clean to "
                               f"{case_b[1]} / {case_b[2]}", "drop > margin", margin, value, lo, hi, verdict, missing))
    return out


def _unpaired_drop(ctx: ClaimContext, ref: tuple[str, str, str], other: tuple[str, str, str],
                   claim_id: str) -> tuple[float, np.ndarray, str]:
    """Balanced-accuracy drop between two cases with different fakes: each bootstrapped on its own."""
    ref_rows, other_rows = _case_rows(ctx, *ref), _case_rows(ctx, *other)
    if not ref_rows or not other_rows:
        return math.nan, np.array([]), "the store lacks " + " / ".join(ref if not ref_rows else other)
    seeds = sorted(set(ref_rows) & set(other_rows))
    values, reps = [], []
    for seed in seeds:
        parts = []
        for k, rows in enumerate((ref_rows[seed], other_rows[seed])):
            w = _resample_weights(rows.index, derived_seed(claim_id, seed, k))
            labels = _labels(rows)
            parts.append((_bal_acc(rows.to_numpy(), labels, np.ones(len(rows))), _bal_acc(rows.to_numpy(), labels, w)))
        values.append(parts[0][0] - parts[1][0])
        reps.append(parts[0][1] - parts[1][1])
    return float(np.mean(values)), np.mean(reps, axis=0), ""


def claim_c5(ctx: ClaimContext) -> ClaimResult:
    margin = 10.0
    if not ctx.cost:
        return ClaimResult("C5", "reconstruction is at least 10x cheaper than generation", "about 10x cheaper",
                           "", "", margin, math.nan, math.nan, math.nan, "no data",
                           "no cost record next to the store (run pytest benchmark/ -k claims)")
    c = ctx.cost
    value = float(c["ratio"])
    verdict = "holds" if value >= margin else "fails"
    return ClaimResult("C5", "reconstruction is at least 10x cheaper than generation", "about 10x cheaper per image",
                       f"reconstructions per second / generations per second, {c['generator']}, batch "
                       f"{c['batch_size']}, {c['steps']} sampler steps, {c['device']}", "ratio >= margin", margin,
                       value, math.nan, math.nan, verdict,
                       (c.get("breakdown") or f"generate {c['generate_ips']:.1f} img/s, reconstruct "
                        f"{c['reconstruct_ips']:.1f} img/s") + " (one timing; no interval)")


def evaluate_claims(ctx: ClaimContext) -> list[ClaimResult]:
    return [claim_c1(ctx), claim_c2(ctx), claim_c3(ctx), *claim_c4(ctx), claim_c5(ctx)]


def claims_frame(results: list[ClaimResult]) -> pd.DataFrame:
    return pd.DataFrame([r.as_dict() for r in results])


def claims_table(results: list[ClaimResult]) -> pd.DataFrame:
    """The claims as people read them: the paper's number next to ours, with its interval and verdict."""
    def ours(r: ClaimResult) -> str:
        if math.isnan(r.value):
            return "n/a"
        ci = f" [{r.lo:+.3f}, {r.hi:+.3f}]" if not math.isnan(r.lo) else ""
        return f"{r.value:+.3f}{ci}" if r.id != "C5" else f"{r.value:.1f}x"

    return pd.DataFrame({
        "claim": [f"{r.id}: {r.title}" for r in results],
        "paper": [r.paper for r in results],
        "metric": [r.metric for r in results],
        "ours [95% CI]": [ours(r) for r in results],
        "margin": [f"{r.comparison}, margin {r.margin:g}" for r in results],
        "verdict": [r.verdict for r in results],
        "detail": [r.detail for r in results],
    })


def has_evidence(results: list[ClaimResult]) -> bool:
    return any(r.verdict != "no data" for r in results)
