"""Metrics against scikit-learn and hand-worked answers (fake = positive)."""
import math

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    roc_auc_score,
    roc_curve,
)

from fakebench.evaluation.metrics import (
    BootstrapConfig,
    bootstrap_samples,
    calibrated_threshold,
    case_metrics,
    expected_calibration_error,
    resample_counts,
)


def _data(seed=3, n=500):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    scores = np.clip(rng.normal(0.35 + 0.3 * labels, 0.2), 0, 1)
    return labels, scores


def test_known_answer():
    labels = [0, 0, 0, 0, 1, 1, 1, 1]
    scores = [0.1, 0.2, 0.6, 0.4, 0.9, 0.3, 0.8, 0.7]
    m = case_metrics(labels, scores, threshold_cal=0.5)
    assert (m.n_real, m.n_fake) == (4, 4)
    assert m.real_acc == 0.75 and m.fake_acc == 0.75 and m.bal_acc == 0.75
    assert m.auc == pytest.approx(14 / 16, abs=1e-12)  # pairs (fake > real): 14 of 16
    assert m.real_fpr_cal == 0.25  # one real (0.6) above the calibrated threshold 0.5
    # highest TPR with no false positive: fakes above 0.6 are 0.9, 0.8, 0.7
    assert m.tpr_at_fpr1 == m.tpr_at_fpr5 == 0.75
    assert m.bal_acc_lo <= m.bal_acc <= m.bal_acc_hi and m.auc_lo <= m.auc <= m.auc_hi


def test_agrees_with_sklearn_on_random_data():
    labels, scores = _data()
    m = case_metrics(labels, scores)
    assert abs(m.bal_acc - balanced_accuracy_score(labels, scores >= 0.5)) < 1e-9
    assert abs(m.auc - roc_auc_score(labels, scores)) < 1e-9
    assert abs(m.ap - average_precision_score(labels, scores)) < 1e-9
    fpr, tpr, _ = roc_curve(labels, scores)
    for target, got in ((0.01, m.tpr_at_fpr1), (0.05, m.tpr_at_fpr5)):
        assert abs(got - tpr[fpr <= target].max()) < 1e-9


def test_ece_matches_sklearn_calibration_curve():
    labels, scores = _data(seed=4)
    prob_true, prob_pred = calibration_curve(labels, scores, n_bins=10, strategy="uniform")
    bins = np.linspace(0, 1, 11)
    counts = np.bincount(np.searchsorted(bins[1:-1], scores), minlength=10)
    expected = float(np.sum(counts[counts > 0] * np.abs(prob_true - prob_pred)) / len(scores))
    assert abs(expected_calibration_error(labels, scores) - expected) < 1e-9
    assert expected_calibration_error(np.array([0, 1]), np.array([0.0, 1.0])) == 0.0


def test_calibrated_threshold_gives_at_most_the_target_fpr():
    reals = np.arange(100) / 100  # 0.00 .. 0.99
    t = calibrated_threshold(reals, 0.05)
    assert t == 0.94 and (reals > t).mean() == 0.05
    assert (reals > calibrated_threshold(reals[:79], 0.05)).sum() <= 0.05 * 79 + 21
    assert math.isnan(calibrated_threshold([]))


def test_bootstrap_matches_explicit_resamples_scored_by_sklearn():
    """The vectorised bootstrap equals scoring each resample with scikit-learn (same draws)."""
    labels, scores = _data(seed=5, n=120)
    scores = np.round(scores, 1)  # many ties
    real, fake = scores[labels == 0], scores[labels == 1]
    cfg = BootstrapConfig(resamples=7, seed=11)
    _, auc = bootstrap_samples(real, fake, 0.5, cfg)
    rng = np.random.default_rng(11)  # replay the draws in the order bootstrap_samples makes them
    rng.binomial(len(real), (real < 0.5).mean(), 7), rng.binomial(len(fake), (fake >= 0.5).mean(), 7)
    real_counts = resample_counts(rng, len(real), 7)
    fake_counts = resample_counts(rng, len(fake), 7)
    for b in range(7):
        r, f = np.repeat(np.sort(real), real_counts[b]), np.repeat(fake, fake_counts[b])
        assert abs(auc[b] - roc_auc_score(np.r_[np.zeros(len(r)), np.ones(len(f))], np.r_[r, f])) < 1e-9


def test_bootstrap_is_reproducible_for_a_seed_and_moves_with_it():
    labels, scores = _data(seed=6)
    a = case_metrics(labels, scores, bootstrap=BootstrapConfig(seed=1))
    b = case_metrics(labels, scores, bootstrap=BootstrapConfig(seed=1))
    c = case_metrics(labels, scores, bootstrap=BootstrapConfig(seed=2))
    assert a == b
    assert (a.auc_lo, a.auc_hi) != (c.auc_lo, c.auc_hi)
    # a 95% interval of 500 images is a few points wide, not degenerate, and brackets the estimate
    assert 0.01 < a.auc_hi - a.auc_lo < 0.15 and a.auc_lo < a.auc < a.auc_hi
    assert 0.01 < a.bal_acc_hi - a.bal_acc_lo < 0.2
    none = case_metrics(labels, scores, bootstrap=BootstrapConfig(resamples=0))
    assert math.isnan(none.auc_lo) and none.auc == a.auc


def test_one_class_case_explains_instead_of_nan_row():
    m = case_metrics([0, 0, 0], [0.1, 0.7, 0.2], threshold_cal=0.5)
    assert math.isnan(m.auc) and "no fakes" in m.note
    assert m.real_fpr_cal == pytest.approx(1 / 3)  # the reals still say how many were flagged
    bad = case_metrics([0, 1, 1], [0.1, float("nan"), float("inf")], n_failed=4)  # a store that bypassed the checkpoint
    assert "2 score(s) are NaN or infinite" in bad.note and math.isnan(bad.auc) and math.isnan(bad.real_acc)
    assert (bad.n_real, bad.n_fake, bad.n_failed) == (1, 2, 4)
