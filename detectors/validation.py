"""Validation metrics of a detector during and after training (balanced accuracy at 0.5, AUC).

Kept to scikit-learn's metrics so that training (models layer) never reaches up into the leaderboard."""
from __future__ import annotations

import numpy as np

from fakebench.detectors.base import Detector
from fakebench.detectors.inference import score_imageset
from fakebench.detectors.recipes import TrainingData


def validation_metrics(labels: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """Balanced, real and fake accuracy at 0.5 (fake iff score >= 0.5, as
    fakebench.evaluation.metrics counts) and AUC (NaN with one class). scikit-learn is imported here, where
    training validates, not where a network detector is only built (`fakebench predict`)."""
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score

    labels, pred = np.asarray(labels, dtype=int), np.asarray(scores) >= 0.5
    real, fake = labels == 0, labels == 1
    both = real.any() and fake.any()
    return {"bal_acc": float(balanced_accuracy_score(labels, pred)) if both else float("nan"),
            "auc": float(roc_auc_score(labels, scores)) if both else float("nan"),
            "real_acc": float((~pred[real]).mean()) if real.any() else float("nan"),
            "fake_acc": float(pred[fake].mean()) if fake.any() else float("nan")}


def validate(detector: Detector, data: TrainingData) -> dict[str, float]:
    """The detector's metrics on the recipe's validation sets (images that fail to decode left out)."""
    frames = [score_imageset(detector, data.val_real), score_imageset(detector, data.val_fake)]
    ok = [f[f["error"] == ""] for f in frames]
    labels = np.concatenate([f["label"].to_numpy() for f in ok])
    return validation_metrics(labels, np.concatenate([f["score"].to_numpy() for f in ok]))
