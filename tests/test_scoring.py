import math

import torch

from fakebench.data.imagesets import real_split
from fakebench.detectors import Detector, InputPolicy
from fakebench.evaluation.perturbations import parse_perturbation
from fakebench.evaluation.scoring import cached_scores, score_images


class MeanBrightness(Detector):
    """A stand-in detector: its score is the image's mean, so expected values are computable."""

    name = "mean"
    policy = InputPolicy("native", min_side=32)

    def __init__(self):
        self.shapes = []

    def score(self, images):
        self.shapes.append(tuple(images.shape))
        return images.mean(dim=(1, 2, 3))


def test_scores_one_row_per_image_batched_by_size(tiny_corpus):
    reals = real_split("test", tiny_corpus)
    det = MeanBrightness()
    frame = score_images(det, reals, parse_perturbation("resize0.5"))
    assert list(frame["image_id"]) == [r.image_id for r in reals.records]
    assert (frame["label"] == 0).all() and (frame["error"] == "").all()
    assert len(det.shapes) == len({s[1:] for s in det.shapes})  # one batch per distinct size
    assert all(min(s[2:]) >= 32 for s in det.shapes)  # the policy upscales below min_side


def test_broken_image_is_reported_not_dropped(tiny_corpus):
    reals = real_split("test", tiny_corpus)
    reals.path(reals.records[1]).write_bytes(b"not a jpeg at all")
    frame = score_images(MeanBrightness(), reals)
    assert len(frame) == len(reals)
    row = frame.iloc[1]
    assert math.isnan(row["score"]) and "no longer matches the sha256" in row["error"]
    assert str(reals.path(reals.records[1])) in row["error"]
    assert (frame.drop(index=1)["error"] == "").all()


def test_cached_scores_reuse(tiny_corpus):
    reals = real_split("test", tiny_corpus)
    det = MeanBrightness()
    first = cached_scores(det, "ckpt", reals, parse_perturbation("jpeg75"), seed=0)
    calls = len(det.shapes)
    second = cached_scores(det, "ckpt", reals, parse_perturbation("jpeg75"), seed=0)
    assert len(det.shapes) == calls
    assert second["score"].tolist() == first["score"].tolist()
    assert second["error"].tolist() == first["error"].tolist() == [""] * len(reals)  # not NaN after a reload


def test_input_policies():
    x = torch.rand(3, 20, 50)
    assert InputPolicy("native", min_side=32).apply(x).shape == (3, 32, 80)
    assert InputPolicy("center_crop", size=16).apply(x).shape == (3, 16, 16)
    assert InputPolicy("center_crop", size=40).apply(x).shape == (3, 40, 40)
    assert InputPolicy("resize", size=24).apply(x).shape == (3, 24, 24)
