"""Each detector's threshold for 5% FPR on its clean held-out reals, read from the score store.

Both the leaderboard (real FPR at the calibrated threshold per case) and the claims (C2b) read it."""
from __future__ import annotations

import pandas as pd

from fakebench.evaluation.metrics import calibrated_threshold
from fakebench.evaluation.store import CALIBRATION_SPLIT

CALIBRATION_KEYS = ["detector", "checkpoint", "seed"]


def calibration_thresholds(scores: pd.DataFrame) -> dict[tuple, float]:
    """(detector, checkpoint, seed) -> threshold for 5% FPR on that detector's clean held-out reals."""
    calib = scores[(scores["split"] == CALIBRATION_SPLIT) & (scores["error"] == "") & (scores["label"] == 0)]
    return {key: calibrated_threshold(group["score"].to_numpy())
            for key, group in calib.groupby(CALIBRATION_KEYS, sort=False)}
