"""Per-case detection metrics (fake = positive class), computed with scikit-learn where it has them.

Definitions (docs/explanation/architecture.md, "Metrics"):
- accuracies at threshold 0.5 (fake iff score >= 0.5); balanced accuracy = mean of real and fake accuracy;
- AUC and average precision (scikit-learn);
- TPR at 1% / 5% FPR: the highest true-positive rate on the ROC curve whose FPR does not exceed the target;
- calibrated threshold: set on *clean held-out* reals so that at most 5% of them score above it (fake iff
  score > threshold); `real_fpr_cal` is the share of this case's reals above it. On clean reals it stays
  near 5%; a detector that learned "small or compressed = fake" shows it as a rise under a perturbation;
- expected calibration error: 10 equal-width bins of P(fake), binned as scikit-learn's
  `calibration_curve` bins, weighted |fraction of fakes - mean P(fake)|;
- 95% bootstrap intervals (percentile) for balanced accuracy and AUC, resampling reals and fakes
  separately (class counts fixed), from a seeded generator, so an interval is reproducible for a seed.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

CALIBRATION_FPR = 0.05
ECE_BINS = 10


@dataclass(frozen=True)
class BootstrapConfig:
    """Percentile bootstrap; `resamples=0` turns intervals off (they are then NaN)."""

    resamples: int = 1000
    level: float = 0.95
    seed: int = 0


@dataclass(frozen=True)
class CaseMetrics:
    n_real: int
    n_fake: int
    n_failed: int
    real_acc: float
    fake_acc: float
    bal_acc: float
    bal_acc_lo: float
    bal_acc_hi: float
    auc: float
    auc_lo: float
    auc_hi: float
    ap: float
    tpr_at_fpr1: float
    tpr_at_fpr5: float
    threshold_cal: float  # calibrated on clean held-out reals for 5% FPR; NaN when none were scored
    real_fpr_cal: float  # share of this case's reals scoring above threshold_cal
    ece: float
    note: str = ""  # why a metric is missing, instead of a silent NaN

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def missing(cls, n_real: int, n_fake: int, n_failed: int, note: str) -> CaseMetrics:
        """A case whose metrics cannot be computed: its counts, every metric NaN, and why."""
        nan = math.nan
        return cls(n_real, n_fake, n_failed, *([nan] * 14), note=note)


METRIC_NAMES: tuple[str, ...] = tuple(f for f in CaseMetrics.__dataclass_fields__ if f != "note")


def calibrated_threshold(clean_real_scores, fpr: float = CALIBRATION_FPR) -> float:
    """The threshold above which at most `fpr` of the clean reals lie (fake iff score > threshold)."""
    s = np.sort(np.asarray(clean_real_scores, dtype=float))
    if not len(s):
        return math.nan
    allowed = math.floor(fpr * len(s) + 1e-9)  # reals allowed above the threshold
    return float(s[len(s) - 1 - allowed])


def tpr_at_fpr(y: np.ndarray, s: np.ndarray, target: float) -> float:
    fpr, tpr, _ = roc_curve(y, s)
    return float(tpr[fpr <= target + 1e-12].max())


def expected_calibration_error(y: np.ndarray, s: np.ndarray, n_bins: int = ECE_BINS) -> float:
    bins = np.linspace(0.0, 1.0, n_bins + 1)
    ids = np.searchsorted(bins[1:-1], s)  # the binning of sklearn.calibration.calibration_curve
    counts = np.bincount(ids, minlength=n_bins)
    frac_fake = np.bincount(ids, weights=y, minlength=n_bins)
    mean_prob = np.bincount(ids, weights=s, minlength=n_bins)
    used = counts > 0
    return float(np.abs(frac_fake[used] - mean_prob[used]).sum() / len(s))


def resample_counts(rng: np.random.Generator, n: int, resamples: int) -> np.ndarray:
    """resamples x n multiplicities of bootstrap samples of size n (each row sums to n)."""
    flat = rng.integers(0, n, size=(resamples, n)) + (np.arange(resamples) * n)[:, None]
    return np.bincount(flat.ravel(), minlength=resamples * n).reshape(resamples, n)


BOOTSTRAP_BLOCK = 500_000  # resample x image cells held at once: memory stays flat as cases grow


def bootstrap_samples(real: np.ndarray, fake: np.ndarray, threshold: float,
                      cfg: BootstrapConfig) -> tuple[np.ndarray, np.ndarray]:
    """Balanced accuracy and AUC of each bootstrap resample, vectorised (no per-resample sklearn call).

    A resample draws n_real reals and n_fake fakes with replacement. Its AUC is the Mann-Whitney
    statistic: for each drawn fake, the drawn reals below it plus half the tied ones, read off the
    cumulative multiplicities of the sorted reals. The number of correct reals in a resample is
    Binomial(n_real, real accuracy) (and likewise for fakes), so accuracies are drawn as such."""
    rng = np.random.default_rng(cfg.seed)
    n_real, n_fake = len(real), len(fake)
    real_acc = rng.binomial(n_real, float((real < threshold).mean()), cfg.resamples) / n_real
    fake_acc = rng.binomial(n_fake, float((fake >= threshold).mean()), cfg.resamples) / n_fake
    sorted_real = np.sort(real)
    below = np.searchsorted(sorted_real, fake, side="left")
    upto = np.searchsorted(sorted_real, fake, side="right")
    block = max(1, BOOTSTRAP_BLOCK // max(n_real, n_fake))
    wins2 = []  # twice the Mann-Whitney count of each resample, integer-exact
    for start in range(0, cfg.resamples, block):
        b = min(block, cfg.resamples - start)
        cum = np.zeros((b, n_real + 1), dtype=np.int32)  # drawn reals up to each sorted position
        np.cumsum(resample_counts(rng, n_real, b), axis=1, out=cum[:, 1:])
        per_fake = cum[:, below] + cum[:, upto]  # twice (reals below + half the ties), per fake
        wins2.append((resample_counts(rng, n_fake, b) * per_fake).sum(axis=1))
    auc = np.concatenate(wins2) / (2.0 * n_real * n_fake)
    return (real_acc + fake_acc) / 2, auc


def _interval(values: np.ndarray, level: float) -> tuple[float, float]:
    lo, hi = np.quantile(values, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)


def case_metrics(labels, scores, threshold: float = 0.5, n_failed: int = 0, threshold_cal: float = math.nan,
                 bootstrap: BootstrapConfig = BootstrapConfig()) -> CaseMetrics:
    """Every metric of one case; a case lacking reals or fakes says why in `note` instead of NaN rows."""
    y = np.asarray(labels, dtype=int)
    s = np.asarray(scores, dtype=float)
    if y.shape != s.shape:
        raise ValueError(f"labels and scores differ in length ({y.shape} vs {s.shape})")
    if not np.isfinite(s).all():
        bad = int((~np.isfinite(s)).sum())
        return CaseMetrics.missing(int((y == 0).sum()), int((y == 1).sum()), n_failed,
                                   f"{bad} score(s) are NaN or infinite without an error: metrics need finite scores "
                                   "(rebuild the store with this version, whose scores pass the score checkpoint)")
    real, fake = s[y == 0], s[y == 1]
    n_real, n_fake = len(real), len(fake)
    real_acc = float((real < threshold).mean()) if n_real else math.nan
    fake_acc = float((fake >= threshold).mean()) if n_fake else math.nan
    real_fpr_cal = float((real > threshold_cal).mean()) if n_real and not math.isnan(threshold_cal) else math.nan
    missing = [name for name, n in (("reals", n_real), ("fakes", n_fake)) if n == 0]
    nan = math.nan
    if missing:
        return CaseMetrics(n_real, n_fake, n_failed, real_acc, fake_acc, nan, nan, nan, nan, nan, nan, nan, nan, nan,
                           threshold_cal, real_fpr_cal, nan,
                           note=f"no {' and no '.join(missing)} scored: balanced accuracy, AUC and AP need both")
    bal_lo = bal_hi = auc_lo = auc_hi = nan
    if bootstrap.resamples:
        bal, auc = bootstrap_samples(real, fake, threshold, bootstrap)
        (bal_lo, bal_hi), (auc_lo, auc_hi) = _interval(bal, bootstrap.level), _interval(auc, bootstrap.level)
    return CaseMetrics(
        n_real=n_real, n_fake=n_fake, n_failed=n_failed,
        real_acc=real_acc, fake_acc=fake_acc, bal_acc=(real_acc + fake_acc) / 2, bal_acc_lo=bal_lo, bal_acc_hi=bal_hi,
        auc=float(roc_auc_score(y, s)), auc_lo=auc_lo, auc_hi=auc_hi,
        ap=float(average_precision_score(y, s)),
        tpr_at_fpr1=tpr_at_fpr(y, s, 0.01), tpr_at_fpr5=tpr_at_fpr(y, s, 0.05),
        threshold_cal=threshold_cal, real_fpr_cal=real_fpr_cal,
        ece=expected_calibration_error(y, s),
    )
