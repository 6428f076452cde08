"""The streaming data path and how models run (issue 7): DataLoader workers, PNG writer threads,
channels-last networks, torch.compile, and the throughput bench itself. Speed is measured by
`fakebench bench throughput`, not here; these tests check that the fast paths compute the same
thing as the simple ones."""
from __future__ import annotations

import os
import stat

import numpy as np
import pytest
import torch

from fakebench.core.cache import atomic_write_bytes
from fakebench.core.errors import FakebenchError
from fakebench.core.workunits import UnitItems
from fakebench.data.imagesets import real_split
from fakebench.detectors import InputPolicy, create_detector
from fakebench.evaluation.perturbations import parse_perturbation
from fakebench.evaluation.scoring import ScoringConfig, cached_scores, score_images
from fakebench.generators import create_generator
from fakebench.generators.fakesets import reconstruct_into
from fakebench.perf.throughput import ThroughputConfig, bench_throughput


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _two_shapes(tiny_corpus):
    """The test reals of the first two shapes: each new shape is a compilation (half a minute on 2
    cores), and the point is that compiled scores equal plain ones, not how many shapes the compiler sees."""
    test = real_split("test", tiny_corpus)
    shapes = list(dict.fromkeys((r.width, r.height) for r in test.records))[:2]
    return test.subset({r.image_id for r in test.records if (r.width, r.height) in shapes}, "two-shapes")


def test_decoding_workers_do_not_change_scores(tiny_corpus):
    reals = _two_shapes(tiny_corpus)
    det = create_detector("small-cnn", channels=(4, 4, 8, 8))
    p = parse_perturbation("resize0.5+jpeg75")
    inline = score_images(det, reals, p, cfg=ScoringConfig(batch_size=4, num_workers=0))
    workers = score_images(det, reals, p, cfg=ScoringConfig(batch_size=4, num_workers=2))
    assert inline["score"].tolist() == workers["score"].tolist()
    assert (inline["error"] == "").all() and len(inline) == len(reals)


def test_reconstruction_is_the_same_with_workers_and_writer_threads(tiny_corpus, tmp_path, monkeypatch):
    import fakebench.core.pngwriter
    import fakebench.generators.fakesets
    reals = real_split("test", tiny_corpus)
    generator = create_generator("mini-sd")
    reconstruct_into(generator, reals, lambda r: tmp_path / "inline" / f"{r.image_id}.png", batch_size=3)
    monkeypatch.setattr(fakebench.generators.fakesets, "default_workers", lambda: 2)
    monkeypatch.setattr(fakebench.core.pngwriter, "default_writer_threads", lambda: 3)
    reconstruct_into(generator, reals, lambda r: tmp_path / "parallel" / f"{r.image_id}.png", batch_size=3)
    inline, parallel = _files(tmp_path / "inline"), _files(tmp_path / "parallel")
    assert len(inline) == len(reals) and inline == parallel


def test_prepared_units_stack_by_shape_and_report_failures():
    shapes = {0: (8, 6), 1: (5, 7), 2: (8, 6), 4: (5, 7)}

    def prepare(pos: int) -> torch.Tensor:
        if pos == 3:
            raise FakebenchError("image 3 is broken")
        h, w = shapes[pos]
        return torch.full((h, w, 3), pos, dtype=torch.uint8)

    unit = UnitItems([[0, 1, 2, 3, 4]], prepare)[0]
    assert [positions for positions, _ in unit.batches] == [[0, 2], [1, 4]]
    assert [tuple(b.shape) for _, b in unit.batches] == [(2, 3, 8, 6), (2, 3, 5, 7)]
    assert all(b.is_contiguous(memory_format=torch.channels_last) for _, b in unit.batches)
    assert unit.batches[0][1][1].unique().tolist() == [2]  # each image is in its own slot
    assert unit.failed == [(3, "image 3 is broken")] and len(unit) == 5


@pytest.mark.parametrize("policy", [InputPolicy("native", min_side=32), InputPolicy("resize", size=24),
                                    InputPolicy("center_crop", size=40)])
def test_input_policy_on_a_batch_equals_image_by_image(policy):
    batch = torch.rand(3, 3, 20, 30)
    assert torch.equal(policy.apply(batch), torch.stack([policy.apply(x) for x in batch]))


def test_network_detectors_run_channels_last_and_checkpoints_stay_plain(tmp_path):
    from fakebench.detectors.trainable import CheckpointInfo

    det = create_detector("resnet50", width=8)
    assert det.network.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    x = torch.rand(2, 3, 40, 40)
    before = det.score(x)
    det.save(tmp_path / "model.safetensors", CheckpointInfo(detector="resnet50", config=det.config))
    from safetensors.torch import load_file

    assert all(t.is_contiguous() for t in load_file(str(tmp_path / "model.safetensors")).values())
    again = create_detector("resnet50", width=8)
    again.load(tmp_path / "model.safetensors")
    assert torch.equal(again.score(x), before)


def test_compiled_detector_scores_the_same_and_is_cached_apart(tiny_corpus):
    reals = _two_shapes(tiny_corpus)
    det = create_detector("small-cnn", channels=(4, 4, 8, 8))
    plain = cached_scores(det, "ckpt", reals, parse_perturbation("identity"), seed=0)
    keys = list(det.network.state_dict())
    det.compile_network()
    assert det.compiled and list(det.network.state_dict()) == keys  # checkpoints are unchanged
    compiled = cached_scores(det, "ckpt", reals, parse_perturbation("identity"), seed=0)
    np.testing.assert_allclose(compiled["score"], plain["score"], rtol=1e-4, atol=1e-6)


def test_atomic_writes_leave_one_file_with_the_umask_mode(tmp_path):
    target = tmp_path / "new" / "a.png"
    atomic_write_bytes(target, b"abc")
    atomic_write_bytes(target, b"abcd")
    mask = os.umask(0)
    os.umask(mask)
    assert [p.name for p in target.parent.iterdir()] == ["a.png"] and target.read_bytes() == b"abcd"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask


def test_bench_throughput_reports_every_ratio(tmp_path):
    report = bench_throughput(ThroughputConfig(detector="small-cnn", images=8, batch_size=4, side=32, recon_sides=(),
                                               memory_sizes=(), scratch=tmp_path))
    rows = {line.split("  ")[0]: line.split() for line in report.splitlines()}
    scoring, recon = rows["scoring (small-cnn, 32px JPEG)"], rows["reconstruction (mini-sd, 64px)"]
    assert float(scoring[-1]) > 0 and float(recon[-1]) > 0
    assert "channels-last (NHWC)" in report and "contiguous (NCHW)" in report
    assert not any(tmp_path.iterdir())  # its scratch folder is removed


def test_scoring_rates_feed_both_sides_the_same_prepared_pixels(tmp_path, monkeypatch):
    """With a JPEG input, the bare model's pre-made batches are re-encoded like the pipeline's: the two
    rates time one model on one input, and only the pipeline pays for decoding and preparing."""
    import fakebench.detectors as detectors
    from fakebench.perf.throughput import scoring_rates

    detector = create_detector("small-cnn", channels=(4, 4, 8, 8))
    detector.policy = InputPolicy("resize", size=32, jpeg=75)
    seen: list[bytes] = []
    real_score = detector.score
    detector.score = lambda x: seen.append(x.cpu().numpy().tobytes()) or real_score(x)
    monkeypatch.setattr(detectors, "create_detector", lambda name: detector)
    monkeypatch.setattr("fakebench.perf.throughput._rates", lambda n, pipeline, bare: (pipeline(), bare()))
    scoring_rates(ThroughputConfig(detector="small-cnn", images=4, batch_size=4, side=32), tmp_path)
    warm_up, pipeline, bare = seen
    assert pipeline == bare == warm_up
