"""The paper's schedule: lr / 10 on a plateau, early stop, best epoch kept, resumable."""
import pytest
import torch

from fakebench.core.errors import FakebenchError
from fakebench.core.schedules import PlateauConfig, PlateauState
from fakebench.data.reals import corpus_reals
from fakebench.detectors import create_detector
from fakebench.detectors.augment import augment_preset
from fakebench.detectors.recipes import training_data
from fakebench.detectors.training_loop import fit_network, train_config, train_config_from
from tests.test_batches import PaddedIdentityVAE


def test_plateau_state_drops_the_rate_then_stops():
    cfg = PlateauConfig(patience=2, min_lr=1e-6)
    s = PlateauState(lr=1e-4)
    for epoch, score in enumerate([0.6, 0.7, 0.7005, 0.69]):  # +0.0005 is within delta: no improvement
        s = s.step(epoch, score, cfg)
    assert (s.best_epoch, s.best_score, s.lr, s.drops, s.since_best) == (1, 0.7, pytest.approx(1e-5), 1, 0)
    s = s.step(4, 0.8, cfg)
    assert s.best_epoch == 4 and s.since_best == 0
    s = s.step(5, 0.5, cfg).step(6, 0.5, cfg)  # a second plateau: 1e-6 is still allowed, 1e-7 is not
    assert s.lr == pytest.approx(1e-6) and not s.stopped
    s = s.step(7, 0.5, cfg).step(8, 0.5, cfg)
    assert s.stopped and "1.0e-07" in s.stopped and s.best_epoch == 4


def test_schedules_are_configs_and_unknown_names_are_one_line():
    paper = train_config("paper", epochs=3)
    assert (paper.lr, paper.weight_decay, paper.schedule, paper.epochs) == (1e-4, 0.0, "paper", 3)
    assert train_config_from(__import__("dataclasses").asdict(paper)) == paper
    with pytest.raises(FakebenchError, match="schedules: cosine, paper"):
        train_config("step")


def _fit(data, cfg, state_path=None, validation=None, monkeypatch=None):
    torch.manual_seed(0)
    det = create_detector("small-cnn", channels=(4, 4, 8, 8))
    monkeypatch.setattr("fakebench.detectors.training_loop.validate", validation)
    return det, fit_network(det, data, cfg, state_path=state_path)


class Scripted:
    """Validation scores from a script, keeping the weights each epoch ended with."""

    def __init__(self, scores, fail_at=None):
        self.scores, self.fail_at, self.weights = list(scores), fail_at, []

    def __call__(self, detector, data):
        if len(self.weights) == self.fail_at:
            raise KeyboardInterrupt  # killed while validating
        self.weights.append({k: v.clone() for k, v in detector.network.state_dict().items()})
        return {"bal_acc": self.scores[len(self.weights) - 1]}


def test_early_stopping_restores_the_best_epoch_and_resumes(tiny_corpus, tmp_path, monkeypatch):
    data = training_data("aligned-sync", PaddedIdentityVAE(), *corpus_reals(tiny_corpus), 0)
    cfg = train_config("paper", epochs=6, batch_size=8, augment=augment_preset("paper", crop=24),
                       plateau=PlateauConfig(patience=2, min_lr=5e-6))
    scores = [0.55, 0.8, 0.7, 0.75, 0.6, 0.9]  # best at epoch 1; lr 1e-5 after epoch 3; 1e-6 < 5e-6 after 5
    full = Scripted(scores)
    det, outcome = _fit(data, cfg, validation=full, monkeypatch=monkeypatch)
    assert (outcome.epochs_run, outcome.best_epoch, outcome.best_bal_acc) == (6, 5, 0.9)
    cfg = train_config("paper", epochs=6, batch_size=8, augment=augment_preset("paper", crop=24),
                       plateau=PlateauConfig(patience=2, min_lr=5e-5))
    scores = [0.55, 0.8, 0.7, 0.75, 0.6, 0.9]
    ref = Scripted(scores)
    det, outcome = _fit(data, cfg, validation=ref, monkeypatch=monkeypatch)
    assert outcome.epochs_run == 4 and outcome.best_epoch == 1 and "5e-05" in outcome.stopped
    assert all(torch.equal(v, ref.weights[1][k]) for k, v in det.network.state_dict().items())  # best kept

    state = tmp_path / "train-state.pt"
    with pytest.raises(KeyboardInterrupt):
        _fit(data, cfg, state, Scripted(scores, fail_at=3), monkeypatch)
    assert torch.load(state, weights_only=True)["epoch"] == 2  # epochs 0-2 saved, with the best so far
    resumed = Scripted(scores[3:])
    det2, outcome2 = _fit(data, cfg, state, resumed, monkeypatch)
    assert len(resumed.weights) == 1 and outcome2 == outcome  # only epoch 3 ran again, and it ended the same
    assert all(torch.equal(v, det.network.state_dict()[k]) for k, v in det2.network.state_dict().items())
