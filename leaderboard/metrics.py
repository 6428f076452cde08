"""Per-case detection metrics (fake = positive class), computed with scikit-learn."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score


@dataclass(frozen=True)
class CaseMetrics:
    n_real: int
    n_fake: int
    n_failed: int
    real_acc: float
    fake_acc: float
    bal_acc: float
    auc: float
    ap: float
    note: str = ""  # why a metric is missing, instead of a silent NaN

    def as_dict(self) -> dict:
        return asdict(self)


def case_metrics(labels, scores, threshold: float = 0.5, n_failed: int = 0) -> CaseMetrics:
    """Accuracies at `threshold`, AUC and AP; a case lacking one class says so in `note`."""
    y = np.asarray(labels, dtype=int)
    s = np.asarray(scores, dtype=float)
    if y.shape != s.shape:
        raise ValueError(f"labels and scores differ in length ({y.shape} vs {s.shape})")
    if np.isnan(s).any():
        raise ValueError("scores contain NaN")
    real, fake = y == 0, y == 1
    n_real, n_fake = int(real.sum()), int(fake.sum())
    pred = s >= threshold
    real_acc = float((~pred[real]).mean()) if n_real else math.nan
    fake_acc = float(pred[fake].mean()) if n_fake else math.nan
    missing = [name for name, n in (("reals", n_real), ("fakes", n_fake)) if n == 0]
    if missing:
        return CaseMetrics(n_real, n_fake, n_failed, real_acc, fake_acc, math.nan, math.nan, math.nan,
                           note=f"no {' and no '.join(missing)} scored: balanced accuracy, AUC and AP need both")
    return CaseMetrics(
        n_real=n_real,
        n_fake=n_fake,
        n_failed=n_failed,
        real_acc=real_acc,
        fake_acc=fake_acc,
        bal_acc=(real_acc + fake_acc) / 2,
        auc=float(roc_auc_score(y, s)),
        ap=float(average_precision_score(y, s)),
    )
