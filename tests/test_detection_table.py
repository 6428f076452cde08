"""The per-generator detection table: reals' TNR first, then each generator's TPR, at 0.5 and calibrated."""
from __future__ import annotations

import math

import pandas as pd

from fakebench.core.version import __version__
from fakebench.leaderboard.detection import REALS_ROW, detection_tables, headline_perturbations
from fakebench.leaderboard.run_record import augment_brief, run_record_markdown


def _rows(case, generator, perturbation, split, labels, scores, seed=0, image_ids=None):
    return pd.DataFrame({
        "case_id": case, "detector": "det", "checkpoint": "c", "generator": generator, "split": split,
        "perturbation": perturbation, "seed": seed, "bench_seed": 0,
        "image_id": image_ids or [f"img{i}" for i in range(len(labels))], "label": labels, "score": scores,
        "error": "", "fakebench_version": __version__})


def _store():
    reals = [0.1, 0.2, 0.3, 0.6]  # shared by both generators' cases: counted once
    calib = _rows("det-calibration", "", "identity", "calibration", [0] * 20, [i / 100 for i in range(20)],
                  image_ids=[f"cal{i}" for i in range(20)])  # 5% FPR threshold: 0.18
    parts = [calib]
    for gen, fakes in (("gen-a", [0.9, 0.8, 0.4, 0.55]), ("gen-b", [0.1, 0.15, 0.05, 0.19])):
        for pert, shift in (("identity", 0.0), ("jpeg75", -0.1), ("webp50", 0.0)):
            parts.append(_rows(f"det-{gen}-{pert}", gen, pert, "test", [0] * 4 + [1] * 4,
                               [s + shift for s in reals + fakes],
                               image_ids=[f"r{i}" for i in range(4)] + [f"{gen}-f{i}" for i in range(4)]))
    return pd.concat(parts, ignore_index=True)


def test_reals_first_then_each_generator_at_both_thresholds():
    ((detector, table),) = detection_tables(_store())
    assert detector == "det"
    assert list(table[""]) == [REALS_ROW, "gen-a (TPR)", "gen-b (TPR)"]
    assert list(table.columns) == ["", "images", "identity @0.5", "identity @cal", "jpeg75 @0.5", "jpeg75 @cal"]
    row = table.set_index("")
    assert row.loc[REALS_ROW, "images"] == 4  # the shared reals once, not once per generator
    assert row.loc[REALS_ROW, "identity @0.5"] == 0.75  # 0.6 is called fake
    assert row.loc[REALS_ROW, "identity @cal"] == 0.25  # threshold 0.18: only 0.1 stays real
    assert row.loc["gen-a (TPR)", "identity @0.5"] == 0.75 and row.loc["gen-b (TPR)", "identity @0.5"] == 0.0
    assert row.loc["gen-b (TPR)", "identity @cal"] == 0.25  # 0.19 > 0.18
    assert row.loc["gen-a (TPR)", "jpeg75 @0.5"] == 0.5  # 0.8, 0.7 of 0.8, 0.7, 0.3, 0.45


def test_seeds_are_averaged_and_missing_calibration_is_nan():
    store = _store()
    store = store[store["split"] == "test"]
    second = store.assign(seed=1, score=store["score"].where(store["label"] == 1, 0.0))  # all reals right
    ((_, table),) = detection_tables(pd.concat([store, second], ignore_index=True))
    row = table.set_index("")
    assert row.loc[REALS_ROW, "identity @0.5"] == (0.75 + 1.0) / 2
    assert math.isnan(row.loc[REALS_ROW, "identity @cal"])


def test_headline_perturbations_fall_back_to_the_first_three():
    assert headline_perturbations(["jpeg75", "identity", "blur1"]) == ["identity", "jpeg75"]
    assert headline_perturbations(["blur1", "blur2", "webp50", "webp75"]) == ["blur1", "blur2", "webp50"]


def test_protocol_markdown_flattens_whatever_the_configs_hold():
    text = run_record_markdown({
        "kind": "pytest benchmark", "argv": ["pytest", "benchmark/"], "versions": {"fakebench": "0.1.0"},
        "settings": {"world": {"name": "mini", "train": {"epochs": 5, "augment": {"preset": "paper"}}}},
        "detectors": [{"label": "aligned-resnet50", "seed": 0, "checkpoint": "abc",
                       "spec": {"recipe": "aligned", "generator": "mini-sd"},
                       "train_config": {"epochs": 5, "sync": True, "augment": {"preset": "paper"}},
                       "training_data": {"train_real:real-train": "0123456789abcdef"}}],
        "datasets": [{"split": "test", "generator": "mini-sd", "set": "gen-mini-sd-s0", "label": 1, "images": 300,
                      "failed": 0, "content_hash": "feedbeef"}]})
    # an augmentation reads as its preset's name plus what differs from the preset
    assert "world: name=mini, train.epochs=5, train.augment=paper" in text
    assert "sync=True" in text and "augment=paper" in text and "train_real:real-train 0123456789ab" in text
    assert augment_brief({"preset": "light", "crop": 32, "flip": True, "jpeg_quality": [40, 100]}) == "light (crop=32)"
    assert augment_brief({"preset": "mine", "crop": 32}) == "preset=mine, crop=32"  # not a preset: written out
    assert "| test    | mini-sd" in text and "feedbeef" in text
