"""Claims judged from a store: verdicts, paired intervals, seeds, missing data, the cost record."""
import math

import numpy as np
import pandas as pd
import pytest

from fakebench.core.version import __version__
from leaderboard.claims import (
    ClaimContext,
    claim_c1,
    claim_c2,
    claim_c5,
    evaluate_claims,
)

N = 60  # reals and fakes per case


def _case(detector, generator, pert, real, fake, seed=0):
    return pd.DataFrame({
        "case_id": f"{detector}-{generator}-{pert}", "detector": detector, "checkpoint": f"ck{seed}",
        "generator": generator, "split": "test", "perturbation": pert, "seed": seed, "bench_seed": 0,
        "image_id": [f"r{i}" for i in range(len(real))] + [f"f{i}" for i in range(len(fake))],
        "label": [0] * len(real) + [1] * len(fake), "score": np.r_[real, fake], "error": "",
        "fakebench_version": __version__,
    })


def _calibration(detector, scores, seed=0):
    return pd.DataFrame({
        "case_id": f"{detector}-calibration", "detector": detector, "checkpoint": f"ck{seed}", "generator": "",
        "split": "calibration", "perturbation": "identity", "seed": seed, "bench_seed": 0,
        "image_id": [f"c{i}" for i in range(len(scores))], "label": 0, "score": scores, "error": "",
        "fakebench_version": __version__,
    })


def _scores(acc_real, acc_fake, rng):
    """Reals below 0.5 with probability acc_real, fakes above 0.5 with probability acc_fake."""
    real = np.where(rng.random(N) < acc_real, rng.uniform(0.0, 0.49, N), rng.uniform(0.51, 1.0, N))
    fake = np.where(rng.random(N) < acc_fake, rng.uniform(0.51, 1.0, N), rng.uniform(0.0, 0.49, N))
    return real, fake


def _c1_store(aligned_fake_acc, baseline_fake_acc, seeds=(0,)):
    rng = np.random.default_rng(0)
    parts = []
    for seed in seeds:
        for det, acc in (("aligned-resnet50", aligned_fake_acc), ("baseline-resnet50", baseline_fake_acc)):
            parts.append(_case(det, "mini-playground", "identity", *_scores(1.0, acc, rng), seed=seed))
    return pd.concat(parts, ignore_index=True)


def test_c1_verdicts_follow_the_paired_interval():
    holds = claim_c1(ClaimContext(_c1_store(0.95, 0.40)))
    assert holds.verdict == "holds" and holds.lo > 0 and holds.value == pytest.approx(holds.value)
    fails = claim_c1(ClaimContext(_c1_store(0.40, 0.95)))
    assert fails.verdict == "fails" and fails.value < 0
    close = claim_c1(ClaimContext(_c1_store(0.72, 0.70)))
    assert close.verdict in ("not significant", "fails (not significant)") and close.lo < 0 < close.hi
    # reproducible: the bootstrap is seeded by the claim and the training seed
    again = claim_c1(ClaimContext(_c1_store(0.95, 0.40)))
    assert (again.value, again.lo, again.hi) == (holds.value, holds.lo, holds.hi)


def test_several_seeds_average_the_value_and_each_replicate():
    one = claim_c1(ClaimContext(_c1_store(0.95, 0.40, seeds=(0,))))
    two = claim_c1(ClaimContext(_c1_store(0.95, 0.40, seeds=(0, 1))))
    store = _c1_store(0.95, 0.40, seeds=(0, 1))
    per_seed = []
    for seed in (0, 1):
        s = store[store["seed"] == seed]
        accs = {}
        for det in ("aligned-resnet50", "baseline-resnet50"):
            c = s[s["detector"] == det]
            accs[det] = ((c["score"][c["label"] == 0] < 0.5).mean() + (c["score"][c["label"] == 1] >= 0.5).mean()) / 2
        per_seed.append(accs["aligned-resnet50"] - accs["baseline-resnet50"])
    assert two.value == pytest.approx(np.mean(per_seed), abs=1e-12)
    assert two.value != one.value and two.hi - two.lo < (one.hi - one.lo) * 1.2


def test_c2_reads_real_fpr_at_the_calibrated_threshold():
    rng = np.random.default_rng(1)
    parts = []
    for det, down_shift in (("baseline-resnet50", 0.5), ("aligned-resnet50", 0.0)):
        calib = rng.uniform(0, 0.4, 100)
        parts.append(_calibration(det, calib))
        clean_real = rng.uniform(0, 0.4, N)
        fake = rng.uniform(0.6, 1, N)
        parts.append(_case(det, "mini-sd", "identity", clean_real, fake))
        parts.append(_case(det, "mini-sd", "resize0.5", np.clip(clean_real + down_shift, 0, 1), fake))
    r = claim_c2(ClaimContext(pd.concat(parts, ignore_index=True)))
    assert r.verdict == "holds" and r.value > 0.5 and "stays within" in r.detail


def test_missing_cases_and_cost_say_no_data():
    results = {r.id: r for r in evaluate_claims(ClaimContext(_c1_store(0.95, 0.4)))}
    assert results["C1"].verdict == "holds"
    for cid in ("C2", "C3", "C4a", "C4b", "C5"):
        assert results[cid].verdict == "no data" and results[cid].detail
        assert math.isnan(results[cid].value)


def test_c5_compares_the_measured_ratio_with_ten():
    cost = {"generator": "mini-sd", "steps": 20, "batch_size": 8, "device": "cpu", "generate_ips": 2.0,
            "reconstruct_ips": 30.0, "ratio": 15.0}
    assert claim_c5(ClaimContext(_c1_store(0.9, 0.9), cost=cost)).verdict == "holds"
    assert claim_c5(ClaimContext(_c1_store(0.9, 0.9), cost={**cost, "ratio": 4.8})).verdict == "fails"


def test_needs_names_every_case_a_claim_reads():
    needs = ClaimContext(pd.DataFrame()).needs()
    assert set(needs) == {"C1", "C2", "C3", "C4a", "C4b", "C5"}
    assert ("aligned-resnet50", "mini-playground", "identity") in needs["C1"]
    assert ("baseline-resnet50", "mini-sd", "resize0.5") in needs["C2"]
    assert ("aligned-resnet50", "mini-othervae", "identity") in needs["C4b"]
