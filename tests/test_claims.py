"""Claims judged from a store: the registry, verdicts from paired intervals, C2a/C2b/C6 judges,
seeds (indicative below three), missing data, and C5 from FLOP counts on the meta device."""
import functools
import json
import math
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fakebench.benchmark.world_files import load_world
from fakebench.core.version import __version__
from fakebench.evaluation.claim_ids import CLAIM_IDS
from fakebench.evaluation.claims import (
    CLAIMS,
    CLAIMS_BY_ID,
    MIN_SEEDS,
    PREDICTED_FAILURES,
    WEBP_LIMIT_MARGIN,
    CaseFacts,
    ClaimContext,
    audit_by_recipe,
    claims_table,
    evaluate,
    evaluate_claims,
    not_applicable,
    not_applicable_line,
    predicted_failure,
    recorded_roles,
)
from fakebench.evaluation.claims import needs as needs_of

N = 60  # reals and fakes per case
SEEDS3 = (0, 1, 2)


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


@functools.cache
def _mini_roles() -> dict:
    """The mini world's claim roles, read from its world file: the generators these stores name."""
    world = load_world("mini")
    return {"trained_on": world.train_generator, "denoiser_differs": world.roles.denoiser_differs,
            "autoencoder_differs": world.roles.autoencoder_differs}


def _ctx(frame, **roles) -> ClaimContext:
    """A context over `frame` with the mini world's roles (`roles` override them)."""
    return ClaimContext(frame, **{**_mini_roles(), **roles})


def _judge(claim_id, frame, **ctx):
    return evaluate(CLAIMS_BY_ID[claim_id], _ctx(frame, **ctx))


def _c1_store(aligned_fake_acc, baseline_fake_acc, seeds=SEEDS3):
    rng = np.random.default_rng(0)
    parts = []
    for seed in seeds:
        for det, acc in (("aligned-resnet50", aligned_fake_acc), ("baseline-resnet50", baseline_fake_acc)):
            parts.append(_case(det, "mini-playground", "identity", *_scores(1.0, acc, rng), seed=seed))
    return pd.concat(parts, ignore_index=True)


# ------------------------------------------------------------------------------------ registry


def test_registry_holds_one_entry_per_claim_with_what_it_needs():
    ids = [c.id for c in CLAIMS]
    assert ids == ["C0", "C1", "C2a", "C2b", "C3", "C4a", "C4b", "C5", "C6", "C7"] and len(set(ids)) == len(ids)
    assert tuple(ids) == CLAIM_IDS  # what a world file's [claims] unjudged is checked against, without pandas
    assert {c.id for c in CLAIMS if c.known_limit} == {"C4a", "C4b"}
    assert [c.id for c in CLAIMS if not c.reads_detectors] == ["C0", "C5"]
    assert [c.id for c in CLAIMS if c.reads_audit] == ["C0"]
    assert len({c.test_id for c in CLAIMS}) == len(CLAIMS) and CLAIMS_BY_ID["C2a"].test_id.startswith("claims-C2a-")
    needs = needs_of(_ctx(pd.DataFrame()))
    assert list(needs) == ids and needs["C5"] == [] and needs["C0"] == []
    assert ("aligned-resnet50", "mini-playground", "identity") in needs["C1"]
    assert ("baseline-resnet50", "mini-sd", "resize0.5") in needs["C2a"]
    assert {(d, "mini-sd", "resize2") for d in ("baseline-resnet50", "aligned-resnet50")} <= set(needs["C2b"])
    assert ("aligned-resnet50", "mini-othervae", "identity") in needs["C4b"]
    assert ("aligned-shader-resnet50", "mini-sd", "identity") in needs["C6"]
    named = needs_of(_ctx(pd.DataFrame(), procedural_detector="aligned-procedural-resnet50"))["C6"]
    assert ("aligned-procedural-resnet50", "mini-sd", "identity") in named


def test_every_claim_reports_in_registry_order_and_lands_in_the_table():
    results = evaluate_claims(_ctx(_c1_store(0.95, 0.4)))
    assert [r.id for r in results] == [c.id for c in CLAIMS]
    table = claims_table(results)
    c1 = [c.id for c in CLAIMS].index("C1")
    assert len(table) == len(CLAIMS) and table["claim"].str.startswith("C1: ").iloc[c1]
    assert table.loc[c1, "paper"] == CLAIMS_BY_ID["C1"].paper and "98.80" in table.loc[c1, "paper"]


def _store_of(cases, seeds=(0,)):
    """Scores for exactly `cases` (and the clean calibration reals of their detectors)."""
    rng = np.random.default_rng(1)
    parts = [_case(d, g, p, *_scores(0.9, 0.9, rng), seed=seed) for seed in seeds for d, g, p in cases]
    detectors = dict.fromkeys(c[0] for c in cases)
    parts += [_calibration(d, rng.uniform(0, 0.4, 100), seed) for seed in seeds for d in detectors]
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize("claim", [c for c in CLAIMS if c.reads_detectors], ids=lambda c: c.id)
def test_each_claim_judges_exactly_the_cases_it_declares(claim):
    """A claim declares its cases once: a store of exactly those gets a verdict, and dropping any one of
    them gives `no data` naming it, so the judge reads nothing the run was not told to score."""
    needs = claim.needs(_ctx(pd.DataFrame()))
    assert needs and len(set(needs)) == len(needs)
    assert evaluate(claim, _ctx(_store_of(needs))).outcome != "no data"
    for dropped in needs:
        result = evaluate(claim, _ctx(_store_of([c for c in needs if c != dropped])))
        assert result.outcome == "no data" and dropped[0] in result.detail, (claim.id, dropped, result.detail)


# ------------------------------------------------------------------------------------ C1, seeds


def test_c1_verdicts_follow_the_paired_interval():
    holds = _judge("C1", _c1_store(0.95, 0.40))
    assert holds.verdict == "holds" and holds.judged and holds.lo > 0 and 0.2 < holds.value < 0.4
    fails = _judge("C1", _c1_store(0.40, 0.95))
    assert fails.verdict == "fails" and fails.value < 0 and fails.judged
    close = _judge("C1", _c1_store(0.72, 0.70))
    assert close.verdict in ("not significant", "fails (not significant)") and close.lo < 0 < close.hi
    # reproducible: the bootstrap is seeded by the claim and the training seed
    again = _judge("C1", _c1_store(0.95, 0.40))
    assert (again.value, again.lo, again.hi) == (holds.value, holds.lo, holds.hi)


def test_several_seeds_average_the_value_and_each_replicate():
    one = _judge("C1", _c1_store(0.95, 0.40, seeds=(0,)))
    two = _judge("C1", _c1_store(0.95, 0.40, seeds=(0, 1)))
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
    assert (one.seeds, two.seeds) == (1, 2)


@pytest.mark.parametrize("seeds", [(0,), (0, 1)])
def test_fewer_than_three_seeds_give_an_indicative_verdict(seeds):
    r = _judge("C1", _c1_store(0.95, 0.40, seeds=seeds))
    assert not r.judged and r.outcome == "holds" and r.seeds == len(seeds) < MIN_SEEDS
    assert r.verdict.startswith(f"indicative ({len(seeds)} training seed") and r.verdict.endswith(": holds")
    assert not math.isnan(r.lo)  # the numbers are still reported
    failing = _judge("C1", _c1_store(0.40, 0.95, seeds=seeds))
    assert not failing.judged and failing.outcome == "fails" and failing.verdict.startswith("indicative")


def test_known_limits_read_shown_or_not_shown_and_are_indicative_too():
    rng = np.random.default_rng(3)
    parts = []
    for seed in SEEDS3:
        real, fake = _scores(0.95, 0.95, rng)
        parts.append(_case("aligned-resnet50", "mini-sd", "identity", real, fake, seed))
        parts.append(_case("aligned-resnet50", "mini-sd", "webp50", real, np.clip(fake - 0.5, 0, 1), seed))
    frame = pd.concat(parts, ignore_index=True)
    r = _judge("C4a", frame)
    assert r.known_limit and r.verdict == "limit shown" and r.value > 0.3
    single = _judge("C4a", frame[frame["seed"] == 0])
    assert single.verdict.startswith("indicative") and single.outcome == "limit shown"


# ------------------------------------------------------------------------------------ C2a, C2b


def _resize_store(base_fake_down, aligned_fake_down, base_real_up, aligned_real_up, seeds=SEEDS3, calibrate=True):
    """Per detector: clean and resized cases on mini-sd. Fakes at resize0.5 are called fake with the
    given accuracy; reals at resize2 get pushed above the calibrated threshold with the given share."""
    rng = np.random.default_rng(1)
    parts = []
    for seed in seeds:
        for det, fake_down, real_up in (("baseline-resnet50", base_fake_down, base_real_up),
                                        ("aligned-resnet50", aligned_fake_down, aligned_real_up)):
            if calibrate:
                parts.append(_calibration(det, rng.uniform(0, 0.4, 200), seed))
            real, fake = rng.uniform(0, 0.38, N), rng.uniform(0.6, 1, N)
            parts.append(_case(det, "mini-sd", "identity", real, fake, seed))
            down_fake = np.where(rng.random(N) < fake_down, fake, rng.uniform(0, 0.4, N))
            parts.append(_case(det, "mini-sd", "resize0.5", real, down_fake, seed))
            up_real = np.where(rng.random(N) < real_up, rng.uniform(0.45, 0.9, N), real)
            parts.append(_case(det, "mini-sd", "resize2", up_real, fake, seed))
    return pd.concat(parts, ignore_index=True)


def test_c2a_compares_the_fake_accuracy_drops_at_half_size():
    holds = _judge("C2a", _resize_store(base_fake_down=0.1, aligned_fake_down=0.9, base_real_up=0, aligned_real_up=0))
    assert holds.verdict == "holds" and holds.value == pytest.approx(0.8, abs=0.15) and holds.lo > 0.10
    assert "baseline-resnet50 +0.9" in holds.detail or "baseline-resnet50 +0.8" in holds.detail
    both = _judge("C2a", _resize_store(base_fake_down=0.1, aligned_fake_down=0.1, base_real_up=0, aligned_real_up=0))
    assert both.outcome in ("fails", "fails (not significant)") and abs(both.value) < 0.15


def test_c2b_compares_real_fpr_rises_at_double_size_at_the_calibrated_threshold():
    holds = _judge("C2b", _resize_store(1, 1, base_real_up=0.6, aligned_real_up=0.0))
    assert holds.verdict == "holds" and holds.value == pytest.approx(0.6, abs=0.15)
    assert "real FPR rise" in holds.detail
    both = _judge("C2b", _resize_store(1, 1, base_real_up=0.6, aligned_real_up=0.6))
    assert both.outcome in ("fails", "fails (not significant)")
    # the rise is read at the calibrated threshold: without calibration reals there is no verdict
    uncalibrated = _judge("C2b", _resize_store(1, 1, 0.6, 0.0, calibrate=False))
    assert uncalibrated.verdict == "no data" and "calibration reals" in uncalibrated.detail


# ------------------------------------------------------------------------------------ C6


def _c6_store(missed, procedural="aligned-shader-resnet50", seeds=SEEDS3):
    """The procedural detector scores the same images as the photo one, but misses a share of fakes."""
    rng = np.random.default_rng(2)
    parts = []
    for seed in seeds:
        real, fake = _scores(0.9, 0.9, rng)
        parts.append(_case("aligned-resnet50", "mini-sd", "identity", real, fake, seed))
        proc_fake = np.where(rng.random(N) < missed, rng.uniform(0.0, 0.49, N), fake)
        parts.append(_case(procedural, "mini-sd", "identity", real, proc_fake, seed))
    return pd.concat(parts, ignore_index=True)


def test_c6_holds_when_procedural_reals_train_about_as_well_as_photos():
    close = _judge("C6", _c6_store(0.02))
    assert close.verdict == "holds" and 0 <= close.value < 0.05 and close.hi < 0.05
    worse = _judge("C6", _c6_store(0.5))
    assert worse.verdict == "fails" and worse.value > 0.15 and worse.lo > 0.05
    named = _judge("C6", _c6_store(0.0, procedural="aligned-procedural-resnet50"),
                   procedural_detector="aligned-procedural-resnet50")
    assert named.verdict == "holds" and "aligned-procedural-resnet50" in named.metric


def test_missing_cases_say_no_data_naming_them():
    results = {r.id: r for r in evaluate_claims(_ctx(_c1_store(0.95, 0.4)))}
    assert results["C1"].verdict == "holds"
    for cid in ("C2a", "C2b", "C3", "C4a", "C4b", "C5", "C6"):
        assert results[cid].verdict == "no data" and results[cid].detail and not results[cid].judged
        assert math.isnan(results[cid].value)
    assert "aligned-shader-resnet50 / mini-sd / identity" in results["C6"].detail
    assert "baseline-resnet50 / mini-sd / resize0.5" in results["C2a"].detail


# ------------------------------------------------------------------------------------ C5 and FLOPs


def _flops_row(ratio_target: float) -> dict:
    return {"generate_flops": ratio_target * 3e12, "reconstruct_flops": 3e12, "denoiser_calls": 100,
            "denoiser_flops": ratio_target * 3e10, "decode_flops": 2e12, "encode_flops": 1e12, "error": ""}


def test_c5_compares_sd15s_flop_ratio_with_ten_whatever_the_seeds():
    wall = {"generator": "mini-sd", "ratio": 4.8, "steps": 20, "batch_size": 8, "device": "cpu"}
    r = _judge("C5", pd.DataFrame(), cost={"flops": {"sd15": _flops_row(22.0)}, "wallclock": wall})
    assert r.verdict == "holds" and r.judged and r.value == pytest.approx(22.0) and r.seeds == 0
    assert "25.2" in r.detail and "mini-sd measured 4.8x" in r.detail
    low = _judge("C5", pd.DataFrame(), cost={"flops": {"sd15": _flops_row(4.0)}})
    assert low.verdict == "fails" and low.judged
    missing = _judge("C5", pd.DataFrame(), cost={"flops": {"sd15": {"error": "config not obtained"}}})
    assert missing.verdict == "no data" and "config not obtained" in missing.detail
    assert _judge("C5", pd.DataFrame(), cost={"generator": "mini-sd", "ratio": 15.0}).verdict == "no data"


# ------------------------------------------------------------------------------------ C0 (audit)


def _audit(b, a):
    """run.json's training_audit entries for a baseline and an aligned set: (auc, lo, hi) each."""
    return audit_by_recipe([{"recipe": recipe, "reals": "corpus", "auc": auc, "lo": lo, "hi": hi, "leading": cue}
                            for recipe, (auc, lo, hi), cue in (("baseline", b, "format"), ("aligned", a, "none"))]
                           + [{"recipe": "aligned", "reals": "procedural", "auc": 0.99, "lo": 0.9, "hi": 1.0}])


def test_c0_holds_when_the_baseline_set_leaks_and_the_aligned_set_does_not():
    r = _judge("C0", pd.DataFrame(), audit=_audit((0.98, 0.96, 1.0), (0.52, 0.45, 0.58)))
    assert r.verdict == "holds" and r.judged and r.seeds == 0 and r.value == pytest.approx(0.46)
    assert (r.lo, r.hi) == pytest.approx((0.96 - 0.58, 1.0 - 0.45))  # the conservative interval of a difference
    assert "baseline set 0.980" in r.detail and "leading cue: format" in r.detail


def test_c0_fails_when_the_aligned_set_itself_offers_a_shortcut():
    # the difference clears the margin, but the aligned set's interval lies above 0.6 (e.g. format leaks)
    r = _judge("C0", pd.DataFrame(), audit=_audit((1.0, 1.0, 1.0), (0.66, 0.62, 0.7)))
    assert r.outcome == "fails" and r.judged and "neither contains 0.5 nor lies below 0.6" in r.detail
    small = _judge("C0", pd.DataFrame(), audit=_audit((1.0, 1.0, 1.0), (0.9, 0.85, 0.95)))
    assert small.outcome == "fails" and small.value == pytest.approx(0.1)


def test_c0_without_an_audit_is_no_data_naming_the_missing_set():
    r = _judge("C0", pd.DataFrame())
    assert r.verdict == "no data" and "baseline and aligned" in r.detail and not r.judged
    only = audit_by_recipe([{"recipe": "baseline", "reals": "corpus", "error": "cannot generate"}])
    r = _judge("C0", pd.DataFrame(), audit=only)
    assert r.verdict == "no data" and "cannot generate" in r.detail


def test_claims_name_detectors_by_the_spec_label():
    """Detector labels come from DetectorSpec alone: the claims' roles are the labels a run stores."""
    from fakebench.detectors.spec import DetectorSpec

    ctx = ClaimContext(pd.DataFrame(), trained_on="taef2", backbone="resnet50-nodown")
    assert ctx.aligned == DetectorSpec("resnet50-nodown", "aligned", "taef2").label == "aligned-resnet50-nodown"
    assert ctx.baseline == DetectorSpec("resnet50-nodown", "baseline", "taef2").label
    assert ctx.procedural == DetectorSpec("resnet50-nodown", "aligned", "taef2", reals="procedural:12").label


# ------------------------------------------------------------------------------------ C3


def _c3_store(clean_acc, perturbed_acc, seeds=SEEDS3):
    """The aligned detector at `clean_acc` clean and `perturbed_acc` under every perturbation C3 reads; equal
    accuracies give every case the same scores (a drop of exactly 0)."""
    rng = np.random.default_rng(3)
    cases = CLAIMS_BY_ID["C3"].needs(_ctx(pd.DataFrame()))
    parts = []
    for seed in seeds:
        clean = _scores(clean_acc, clean_acc, rng)
        perturbed = clean if perturbed_acc == clean_acc else _scores(perturbed_acc, perturbed_acc, rng)
        parts += [_case(det, gen, pert, *(clean if pert == "identity" else perturbed), seed)
                  for det, gen, pert in cases]
    return pd.concat(parts, ignore_index=True)


def test_c3_names_the_clean_accuracy_its_drops_start_from():
    """A detector at chance clean has nothing to lose: C3 holds, and its detail shows why (a vacuous hold)."""
    def clean_of(result) -> float:
        return float(re.search(r"clean balanced accuracy (\d\.\d{3})", result.detail).group(1))

    chance = _judge("C3", _c3_store(0.5, 0.5))
    assert chance.verdict == "holds" and 0.35 < clean_of(chance) < 0.65
    fragile = _judge("C3", _c3_store(0.95, 0.6))
    assert fragile.verdict == "fails" and clean_of(fragile) > 0.85


# ------------------------------------------------------------------------------------ roles


def test_roles_default_to_none_so_a_bare_context_judges_no_claim():
    """No role is guessed: a context without a world's names lacks the training generator every claim
    reads, so no claim is evaluated, and one line within 120 columns says so."""
    ctx = ClaimContext(pd.DataFrame())
    assert (ctx.trained_on, ctx.denoiser_differs, ctx.autoencoder_differs) == ("", "", "")
    missing = not_applicable(ctx)
    assert list(missing) == [c.id for c in CLAIMS] and all("training generator" in m for m in missing.values())
    assert evaluate_claims(ctx) == []
    line = not_applicable_line(missing)
    assert line == ("claims not judged, the world lacks their roles: C0, C1, C2a, C2b, C3, C4a, C4b, C5, C6, C7 "
                    "(no training generator)") and len(line) <= 120


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.id)
def test_each_claim_declares_a_role_for_everything_it_reads(claim):
    """Take away anything a claim's cases name (the training generator, the generator whose denoiser or
    autoencoder differs, any detector) and the claim no longer applies: its roles cover what it reads."""
    full = _ctx(pd.DataFrame())
    full = replace(full, registered=full.claim_detectors())
    assert claim.applies(full)
    read = claim.needs(full)
    for role in ("trained_on", "denoiser_differs", "autoencoder_differs"):
        if role == "trained_on" or any(g == getattr(full, role) for _, g, _ in read):
            assert not claim.applies(replace(full, **{role: ""})), role
    for detector in {d for d, _, _ in read}:
        others = tuple(d for d in full.claim_detectors() if d != detector)
        assert not claim.applies(replace(full, registered=others)), detector


WEBP_ROLE = "aligned-webp-resnet50, trained with WebP"


@pytest.mark.parametrize("world, lacking", [
    ("mini", {"C7": [WEBP_ROLE]}),
    ("lite", {}),
    ("mini-smoke", {"C6": ["aligned-shader-resnet50, trained on procedural reals"], "C7": [WEBP_ROLE]}),
    ("taef2", {**{c: ["baseline-resnet50-nodown, the baseline recipe's detector"] for c in ("C0", "C2a", "C2b")},
               "C1": ["generator whose denoiser differs", "baseline-resnet50-nodown, the baseline recipe's detector"],
               "C7": ["aligned-webp-resnet50-nodown, trained with WebP"]}),
])
def test_a_world_judges_the_claims_whose_roles_it_has(world, lacking):
    """The roles a run records (run.json, through JSON) say which claims its world can judge; every detector
    a claim it can judge reads is one the world registers."""
    from fakebench.benchmark.session import world_claim_roles

    roles = json.loads(json.dumps(world_claim_roles(load_world(world))))
    ctx = ClaimContext.from_roles(pd.DataFrame(), roles)
    assert not_applicable(ctx) == {c: lacking[c] for c in CLAIMS_BY_ID if c in lacking}
    for claim in CLAIMS:
        if claim.applies(ctx):
            assert {d for d, _, _ in claim.needs(ctx)} <= set(roles["registered"]), claim.id


def test_a_world_of_ones_own_images_has_no_claim_to_judge(tmp_path):
    """A world on one's own folder (examples/my-world.toml: no training generator) lacks every claim's roles,
    C5's too (it would count a model the world never names)."""
    from fakebench.benchmark.session import world_claim_roles

    path = tmp_path / "own.toml"
    path.write_text('[detectors]\nrt-ratio = { params = { generator = "taef2" } }\n')
    ctx = ClaimContext.from_roles(pd.DataFrame(), world_claim_roles(load_world(str(path))))
    assert list(not_applicable(ctx)) == [c.id for c in CLAIMS]
    assert not_applicable_line(not_applicable(ctx)).endswith("C6, C7 (no training generator)")


def test_an_older_run_json_names_the_roles_in_its_world_settings():
    """A run.json written before the roles were recorded names them in its world: a report rebuilt from it
    judges the cases its run judged."""
    old = json.loads((Path(__file__).parent / "data" / "mini_smoke_run" / "run.json").read_text())
    assert "roles" not in old
    roles = recorded_roles(old)
    assert roles == {"trained_on": "mini-sd", "denoiser_differs": "mini-playground",
                     "autoencoder_differs": "mini-othervae", "backbone": "resnet50"}
    ctx = ClaimContext.from_roles(pd.DataFrame(), roles)
    assert needs_of(ctx) == needs_of(_ctx(pd.DataFrame())) and not not_applicable(ctx)
    assert recorded_roles({"roles": {"trained_on": "x"}}) == {"trained_on": "x"}
    assert recorded_roles(None) is None and recorded_roles({"settings": {}}) is None


# ------------------------------------------------------------------------------------ predicted failures


def test_predicted_failures_are_declared_once_with_the_claim_that_predicts_them():
    assert [p.claim for p in PREDICTED_FAILURES] == ["C4b", "C1", "C2a", "C4a"]
    webp = PREDICTED_FAILURES[-1]
    assert CLAIMS_BY_ID["C4a"].paper in webp.reason  # the claim's statement is its cases' reason
    facts = CaseFacts("aligned", other_autoencoder=False, other_generator=False, downscales=True, webp=True,
                      webp_trained=True)
    assert predicted_failure(facts) == ""  # trained with WebP: not expected to fail on it (C7); aligned: no resolution
    assert predicted_failure(replace(facts, webp_trained=False)) == webp.reason
    assert predicted_failure(replace(facts, recipe="baseline")) == PREDICTED_FAILURES[2].reason
    assert predicted_failure(replace(facts, recipe="")) == ""  # untrained detectors get no prediction
    # C4a and C7 share one margin: C7 calls removed the limit C4a calls shown
    empty = _ctx(pd.DataFrame())
    assert evaluate(CLAIMS_BY_ID["C4a"], empty).margin == evaluate(CLAIMS_BY_ID["C7"], empty).margin \
        == WEBP_LIMIT_MARGIN
