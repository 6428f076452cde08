"""Awkward and broken image files: each decodes to sensible RGB or is quarantined with its reason,
through `load_rgb`, through scoring (one failed row each) and through reconstruction."""
from __future__ import annotations

import io
import pickle
from pathlib import Path

import pytest
from badimages import (
    EXPECTED_PIXELS,
    EXPECTED_SIZE,
    OK,
    _build,
    expected_outcomes,
    make_bad_image_corpus,
)
from PIL import Image, ImageFile, ImageOps

from fakebench.core.cache import file_sha256
from fakebench.core.errors import BadImageError, FakebenchError
from fakebench.core.imageio import MIN_SIDE, REASONS, decode, encode, load_rgb
from fakebench.core.pixels import pil_to_tensor

OUTCOMES = expected_outcomes()
QUARANTINED = {name: reason for name, reason in OUTCOMES.items() if reason != OK}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bad-images")
    assert make_bad_image_corpus(folder) == OUTCOMES
    return folder


def test_corpus_is_large_small_and_deterministic(tmp_path):
    first = _build()
    assert {name: data for name, (data, _) in _build().items()} == {name: data for name, (data, _) in first.items()}
    assert len(OUTCOMES) >= 30 and set(QUARANTINED.values()) <= REASONS
    assert {"truncated", "empty", "not-an-image", "too-small", "too-large", "decompression-bomb"} <= set(
        QUARANTINED.values())
    written = make_bad_image_corpus(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(written)
    assert sum(p.stat().st_size for p in tmp_path.iterdir()) < 1_000_000


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_each_file_decodes_or_is_quarantined(corpus, name):
    expected = OUTCOMES[name]
    if expected != OK:
        with pytest.raises(BadImageError) as info:
            load_rgb(corpus / name)
        assert info.value.reason == expected
        assert name in str(info.value) and f"({expected})" in str(info.value)
        assert info.value.fix and info.value.path == str(corpus / name)
        return
    im = load_rgb(corpus / name)
    assert im.mode == "RGB"
    assert im.size == EXPECTED_SIZE[name]
    assert min(im.size) >= MIN_SIDE
    for xy, rgb, tolerance in EXPECTED_PIXELS[name]:
        got = im.getpixel(xy)
        assert max(abs(a - b) for a, b in zip(got, rgb)) <= tolerance, (name, xy, got, rgb)


def test_policy_details(corpus):
    # EXIF orientations 6 and 8 store a portrait; the upright picture is landscape again
    with Image.open(corpus / "exif-rot6.jpg") as raw:
        assert raw.size == (32, 48)
    assert load_rgb(corpus / "exif-rot6.jpg").size == (48, 32)
    # 16-bit mid-grey is 128, where Pillow's own conversion saturates
    with Image.open(corpus / "gray16.png") as raw:
        assert raw.mode == "I;16" and raw.convert("RGB").getpixel((2, 2)) == (255, 255, 255)
    assert load_rgb(corpus / "gray16.png").getpixel((2, 2)) == (128, 128, 128)
    # ICC profiles are ignored: same pixels as the same JPEG without one
    assert load_rgb(corpus / "icc-profile.jpg").tobytes() == load_rgb(corpus / "ok-rgb.jpg").tobytes()


def test_ordinary_rgb_files_decode_as_before(corpus):
    """The old loader was exif_transpose + convert("RGB"); ordinary files must give the same pixels."""
    for name in ("ok-rgb.jpg", "ok-rgb.png", "progressive.jpg", "exif-rot6.jpg", "exif-rot3.jpg", "UPPER.JPEG"):
        with Image.open(corpus / name) as im:
            old = ImageOps.exif_transpose(im).convert("RGB")
        assert load_rgb(corpus / name).tobytes() == old.tobytes(), name
    im = load_rgb(corpus / "ok-rgb.png")
    for fmt, quality in (("PNG", None), ("JPEG", 75), ("WEBP", 50)):
        data = encode(im, fmt, quality)
        with Image.open(io.BytesIO(data)) as ref:
            assert decode(data).tobytes() == ref.convert("RGB").tobytes()


class _Decoded(BaseException):
    """Raised if pixel data is decoded; a BaseException so no handler can turn it into a reason."""


def test_limits_are_checked_from_the_header_before_decoding(corpus, monkeypatch):
    def no_decoding(self, *args, **kwargs):
        raise _Decoded(self.size)

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    refused = {n: r for n, r in QUARANTINED.items() if r in ("too-small", "too-large", "decompression-bomb")}
    assert len(refused) >= 7
    for name, reason in refused.items():
        with pytest.raises(BadImageError) as info:
            load_rgb(corpus / name)
        assert info.value.reason == reason, name


def test_max_pixels_env(corpus, monkeypatch):
    monkeypatch.setenv("FAKEBENCH_MAX_PIXELS", "1000")  # ok-rgb.png has 48 x 32 = 1536 pixels
    with pytest.raises(BadImageError, match="FAKEBENCH_MAX_PIXELS") as info:
        load_rgb(corpus / "ok-rgb.png")
    assert info.value.reason == "too-large"
    monkeypatch.setenv("FAKEBENCH_MAX_PIXELS", "700")
    with pytest.raises(BadImageError) as info:
        load_rgb(corpus / "ok-rgb.png")
    assert info.value.reason == "decompression-bomb"
    monkeypatch.setenv("FAKEBENCH_MAX_PIXELS", "2e3")
    assert load_rgb(corpus / "ok-rgb.png").size == (48, 32)
    monkeypatch.setenv("FAKEBENCH_MAX_PIXELS", "lots")
    with pytest.raises(FakebenchError, match="FAKEBENCH_MAX_PIXELS"):
        load_rgb(corpus / "ok-rgb.png")


def test_truncated_files_refused_even_if_someone_sets_load_truncated_images(corpus, monkeypatch):
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False  # nothing in fakebench sets it
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    for name in ("truncated.jpg", "truncated.png", "truncated.webp", "truncated-header.jpg"):
        with pytest.raises(BadImageError) as info:
            load_rgb(corpus / name)
        assert info.value.reason == "truncated", name
    assert load_rgb(corpus / "ok-rgb.jpg").size == (48, 32)


def test_missing_unreadable_and_pickling(tmp_path):
    with pytest.raises(BadImageError) as info:
        load_rgb(tmp_path / "nope.png")
    assert info.value.reason == "missing"
    with pytest.raises(BadImageError) as info:
        load_rgb(tmp_path)
    assert info.value.reason == "unreadable"
    again = pickle.loads(pickle.dumps(info.value))  # errors cross process boundaries (data loaders)
    assert (type(again), again.reason, str(again)) == (BadImageError, "unreadable", str(info.value))


def _imageset(corpus: Path, label: int):
    from fakebench.data.imagesets import ImageRecord, ImageSet

    records = [ImageRecord(name, name, file_sha256(corpus / name), *EXPECTED_SIZE.get(name, (0, 0)))
               for name in sorted(OUTCOMES)]
    return ImageSet(f"bad-images-{label}", f"bad{label}", label, corpus, records)


def test_scoring_gives_one_row_per_file_and_counts_failures(corpus):
    import pandas as pd

    from fakebench.data.imagesets import FAKE, REAL
    from fakebench.detectors import create_detector
    from fakebench.evaluation.metrics import BootstrapConfig, case_metrics
    from fakebench.evaluation.perturbations import parse_perturbation
    from fakebench.evaluation.scoring import score_images

    detector = create_detector("small-cnn")
    for pid in ("identity", "jpeg75"):
        frames = [score_images(detector, _imageset(corpus, label), parse_perturbation(pid))
                  for label in (REAL, FAKE)]
        for frame in frames:
            assert len(frame) == len(OUTCOMES) and frame["image_id"].is_unique
            failed = frame[frame["error"] != ""]
            names = list(failed["image_id"])
            assert sorted(names) == sorted(QUARANTINED)
            for name, error in zip(names, failed["error"]):
                assert f"({QUARANTINED[name]})" in error and name in error
            assert failed["score"].isna().all() and frame[frame["error"] == ""]["score"].between(0, 1).all()
        both = pd.concat(frames)
        ok = both[both["error"] == ""]
        metrics = case_metrics(ok["label"], ok["score"], n_failed=int((both["error"] != "").sum()),
                               bootstrap=BootstrapConfig(resamples=0))
        assert metrics.n_failed == 2 * len(QUARANTINED)
        assert metrics.n_real == metrics.n_fake == len(OUTCOMES) - len(QUARANTINED)


def test_reconstruction_keeps_every_decodable_size(corpus):
    from fakebench.generators import create_generator

    generator = create_generator("mini-sd")
    for name in sorted(n for n, o in OUTCOMES.items() if o == OK):
        x = pil_to_tensor(load_rgb(corpus / name))[None]
        y = generator.reconstruct(x)
        assert y.shape == x.shape, name
        assert y.isfinite().all() and 0 <= float(y.min()) and float(y.max()) <= 1
