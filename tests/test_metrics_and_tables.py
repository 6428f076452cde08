import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, balanced_accuracy_score, roc_auc_score

from fakebench.errors import FakebenchError
from leaderboard.metrics import case_metrics
from leaderboard.store import STORE_COLUMNS, ScoreStore
from leaderboard.tables import leaderboard_frame, to_markdown, write_reports


def test_known_answer():
    labels = [0, 0, 0, 0, 1, 1, 1, 1]
    scores = [0.1, 0.2, 0.6, 0.4, 0.9, 0.3, 0.8, 0.7]
    m = case_metrics(labels, scores)
    assert (m.n_real, m.n_fake) == (4, 4)
    assert m.real_acc == pytest.approx(0.75) and m.fake_acc == pytest.approx(0.75)
    assert m.bal_acc == pytest.approx(0.75)
    assert m.auc == pytest.approx(14 / 16)  # pairs (fake > real): 14 of 16


def test_agrees_with_sklearn_on_random_data():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 500)
    scores = np.clip(rng.normal(0.35 + 0.3 * labels, 0.2), 0, 1)
    m = case_metrics(labels, scores)
    assert m.bal_acc == pytest.approx(balanced_accuracy_score(labels, scores >= 0.5), abs=1e-12)
    assert m.auc == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    assert m.ap == pytest.approx(average_precision_score(labels, scores), abs=1e-12)


def test_one_class_case_explains_instead_of_nan_row():
    m = case_metrics([0, 0, 0], [0.1, 0.7, 0.2])
    assert math.isnan(m.auc) and "no fakes" in m.note
    with pytest.raises(ValueError, match="NaN"):
        case_metrics([0, 1], [0.1, float("nan")])


def _store_rows(detector, generator, pert, real_scores, fake_scores, errors=()):
    n_r, n_f = len(real_scores), len(fake_scores)
    return pd.DataFrame({
        "case_id": f"{detector}-{generator}-{pert}", "detector": detector, "checkpoint": "abc", "generator": generator,
        "perturbation": pert, "seed": 0, "split": "test",
        "image_id": [f"r{i}" for i in range(n_r)] + [f"f{i}" for i in range(n_f)],
        "label": [0] * n_r + [1] * n_f, "score": list(real_scores) + list(fake_scores),
        "error": list(errors) + [""] * (n_r + n_f - len(errors)),
    })


def test_leaderboard_is_a_function_of_the_store(tmp_path):
    store = ScoreStore()
    store.add(_store_rows("aligned-resnet50", "mini-sd", "identity", [0.1, 0.2, 0.3], [0.9, 0.8, 0.4]))
    store.add(_store_rows("baseline-resnet50", "mini-sd", "identity", [0.6, 0.2, float("nan")], [0.9, 0.8, 0.7],
                          errors=["", "", "cannot decode image 'x.jpg'"]))
    board = leaderboard_frame(store.frame())
    aligned = board.set_index("detector").loc["aligned-resnet50"]
    baseline = board.set_index("detector").loc["baseline-resnet50"]
    assert aligned.bal_acc == pytest.approx((1 + 2 / 3) / 2)
    assert baseline.n_failed == 1 and baseline.n_real == 2
    md = to_markdown(board)
    assert "## mini-sd" in md and "Overall ranking" in md and "aligned-resnet50" in md

    paths = write_reports(store.frame(), tmp_path / "out")
    csv = pd.read_csv(paths["csv"])
    assert set(csv["detector"]) == {"aligned-resnet50", "baseline-resnet50"}
    store.save(tmp_path / "scores.csv")
    reloaded = ScoreStore.load(tmp_path / "scores.csv").frame()
    pd.testing.assert_frame_equal(leaderboard_frame(reloaded), board)


def test_store_rejects_missing_columns(tmp_path):
    bad = pd.DataFrame({"case_id": ["x"], "score": [0.5]})
    with pytest.raises(FakebenchError, match="label"):
        ScoreStore().add(bad)
    path = tmp_path / "old.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(FakebenchError, match="lacks column"):
        ScoreStore.load(path)
    assert set(STORE_COLUMNS) >= {"case_id", "score", "label", "error"}
