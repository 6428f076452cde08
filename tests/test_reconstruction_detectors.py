"""The training-free detectors (`aeroblade`, `rt-ratio`): a real scores below its own TAEF2 round trip,
a threshold calibrated on clean held-out reals separates round trips, scores are cached by the
autoencoder's fingerprint, and a generator without an autoencoder is refused in one line."""
import pytest
import torch

from fakebench.core.cache import home
from fakebench.core.errors import FakebenchError
from fakebench.data.imagesets import real_split
from fakebench.detectors import create_detector
from fakebench.detectors.reconstruction import MAPS, round_trip_errors, statistic_of
from fakebench.detectors.spec import is_trainable
from fakebench.evaluation.metrics import calibrated_threshold
from fakebench.evaluation.perturbations import Identity
from fakebench.evaluation.scoring import detector_scores, score_images
from fakebench.generators import create_generator
from fakebench.generators.base import Generator, GeneratorInfo
from fakebench.generators.fakesets import reconstructed_set
from fakebench.generators.registry import GENERATORS, register_generator


def _by_pair(frame):
    return frame.set_index(frame["image_id"].str.removesuffix("-recon"))["score"]


@pytest.mark.parametrize("name", ["rt-ratio", "aeroblade"])
def test_reals_score_below_their_round_trips_and_calibration_separates_them(tiny_corpus, name):
    taef2 = create_generator("taef2")
    reals = real_split("test", tiny_corpus)
    fakes = reconstructed_set(taef2, reals)  # PNG round trips, as the benchmark's aligned test fakes
    detector = create_detector(name, generator="taef2")
    real, fake = _by_pair(score_images(detector, reals)), _by_pair(score_images(detector, fakes))
    assert len(real) == len(fake) == 6 and set(real.index) == set(fake.index)
    assert (fake > real.reindex(fake.index)).all(), (real.tolist(), fake.tolist())
    assert ((real > 0) & (real < 1)).all() and ((fake > 0) & (fake < 1)).all()
    # the benchmark's calibration: a threshold at 5% FPR on clean held-out reals (the val photo)
    threshold = calibrated_threshold(score_images(detector, real_split("val", tiny_corpus))["score"])
    assert 0 < threshold < 1 and (fake > threshold).all()


def test_statistics_follow_their_formulas_and_the_map_is_monotone():
    x = torch.rand(2, 3, 16, 16)

    def halve_detail(t):  # a stand-in round trip: half-way to the image mean
        return (t + t.mean(dim=(2, 3), keepdim=True)) / 2

    first, second = round_trip_errors(x, halve_detail)
    assert torch.allclose(first, ((x - halve_detail(x)) ** 2).flatten(1).mean(1).double() + 1e-10)
    # each round trip quarters the squared error, so the ratio's statistic is ln(1/4) for any image
    assert torch.allclose(statistic_of("rt-ratio", first, second), torch.full((2,), -1.3863, dtype=torch.float64),
                          atol=1e-3)
    assert torch.allclose(statistic_of("aeroblade", first, None), -10 * torch.log10(first))
    for score_map in MAPS.values():
        s = score_map(torch.linspace(-50, 50, 101))
        assert s.dtype == torch.float64 and bool((s.diff() >= 0).all()) and s[0] < 0.5 < s[-1]


def test_scores_are_cached_by_the_autoencoders_fingerprint(tiny_corpus):
    detector = create_detector("rt-ratio")
    assert not is_trainable("rt-ratio") and detector.checkpoint_hash == create_detector("rt-ratio").checkpoint_hash
    assert detector.checkpoint_hash != create_detector("aeroblade").checkpoint_hash
    assert detector.checkpoint_hash != create_detector("rt-ratio", generator="mini-sd").checkpoint_hash
    reals = real_split("val", tiny_corpus)
    first = detector_scores(detector, reals, Identity(), 0)
    assert len(list((home() / "scores").rglob("*.csv"))) == 1

    def refuse(images):
        raise AssertionError("cached scores must not reconstruct again")

    detector.model.reconstruct = refuse
    assert detector_scores(detector, reals, Identity(), 0)["score"].tolist() == first["score"].tolist()


class _GenerateOnly(Generator):
    info = GeneratorInfo("generate-only", "test", "none", "none", 32)
    fingerprint = "generate-only"

    def __init__(self, device="cpu"):
        self.device = torch.device(device)

    def generate_indices(self, seed, indices):
        return torch.rand(len(indices), 3, 32, 32)


def test_a_generator_that_cannot_reconstruct_is_refused_in_one_line():
    register_generator("generate-only", _GenerateOnly)
    try:
        with pytest.raises(FakebenchError) as info:
            create_detector("aeroblade", generator="generate-only")
    finally:
        GENERATORS.unregister("generate-only")
    message = str(info.value)
    assert "'generate-only' has no autoencoder" in message and "\n" not in message
    with pytest.raises(FakebenchError, match="taef2"):  # an unknown name lists the known ones
        create_detector("rt-ratio", generator="no-such-generator")


def test_a_benchmark_case_scores_and_calibrates_it_like_any_detector():
    from fakebench.benchmark.cases import Case
    from fakebench.benchmark.session import BenchSession
    from fakebench.benchmark.world_files import load_world
    from fakebench.detectors.spec import DetectorSpec

    session = BenchSession(load_world("mini-smoke"))
    spec = DetectorSpec.of("rt-ratio", kwargs={"generator": "taef2"})
    result = session.run_case(Case(spec, "taef2", "identity", floor=0.0))
    assert result.checkpoint == session.detector(spec).checkpoint_hash  # named, so its scores are cached
    assert result.metrics.auc == 1.0 and result.metrics.n_failed == 0
    assert 0 < session.calibration_threshold(spec) < 1
    rows = session.store.frame()
    assert set(rows["split"]) == {"calibration", "test"} and set(rows["detector"]) == {"rt-ratio"}


def test_the_two_detectors_share_round_trips_bit_for_bit_in_either_order(tiny_corpus, monkeypatch):
    from fakebench.detectors import reconstruction

    reals = real_split("test", tiny_corpus)
    memo = reconstruction.RoundTripMemo()
    monkeypatch.setattr(reconstruction, "ROUND_TRIPS", memo)

    def scores(name, calls=None):
        detector = create_detector(name)
        if calls is not None:
            reconstruct = detector.model.reconstruct
            monkeypatch.setattr(detector.model, "reconstruct", lambda x: calls.append(len(x)) or reconstruct(x))
        return score_images(detector, reals)["score"].tolist()

    alone = {}
    for name in ("aeroblade", "rt-ratio"):  # each on its own: every round trip its own
        memo.clear()
        calls = []
        alone[name] = scores(name, calls)
        assert memo.hits == 0 and len(calls) == (2 if name == "rt-ratio" else 1) * len(memo)
    for order in (("rt-ratio", "aeroblade"), ("aeroblade", "rt-ratio")):
        memo.clear()
        assert scores(order[0]) == alone[order[0]]
        calls = []
        assert scores(order[1], calls) == alone[order[1]]  # the same bits ...
        assert memo.hits == len(memo) > 0  # ... from the memo: every batch found
        assert len(calls) == (0 if order[1] == "aeroblade" else len(memo))  # rt-ratio: only RT(RT(x))


def test_the_memo_drops_kept_round_trips_beyond_its_budget_and_stays_exact():
    from fakebench.detectors.reconstruction import RoundTripMemo

    calls = []

    def halve_detail(t):  # a stand-in round trip
        calls.append(len(t))
        return (t + t.mean(dim=(2, 3), keepdim=True)) / 2

    x = torch.rand(3, 3, 16, 16)
    memo = RoundTripMemo(tensor_bytes=0)  # keeps no RT(x): rt-ratio after aeroblade round-trips x again
    key = RoundTripMemo.key("ae", None, x)
    first, none = memo.errors(key, x, halve_detail, second=False)
    assert none is None and memo._held == 0 and len(calls) == 1
    both = memo.errors(key, x, halve_detail, second=True)
    assert len(calls) == 3 and memo.hits == 1
    assert torch.equal(memo.errors(key, x, halve_detail, second=False)[0], first) and len(calls) == 3
    other = RoundTripMemo.key("ae", None, x + 1e-3)  # other bytes: another batch
    assert other != key and memo.errors(other, x + 1e-3, halve_detail, second=False) and len(calls) == 4
    assert all(torch.equal(a, b) for a, b in zip(both, round_trip_errors(x, halve_detail)))
