"""Issue 28 for generators: a plugin's `reconstruct()` / `generate_indices()` returning the wrong
shape, dtype, range or count, NaN pixels, or raising, fails those images with the reason; they are
never written as PNGs, the set is never cached, and scoring counts them (scored + failed = given).
The plugins are in tests/misbehaving_plugins.py."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fakebench.benchmark.cases import Case, WorldConfig
from fakebench.benchmark.session import BenchSession
from fakebench.benchmark.world import Reals, TestSets
from fakebench.cli import main
from fakebench.core.cache import artifact_dir, home
from fakebench.data.corpus import CorpusConfig
from fakebench.data.folders import image_folder
from fakebench.data.imagesets import MANIFEST
from fakebench.detectors.base import as_detector
from fakebench.detectors.spec import DetectorSpec
from fakebench.evaluation.scoring import score_images
from fakebench.generators import create_generator
from fakebench.generators.fakesets import generated_set, reconstructed_set
from tests import misbehaving_plugins
from tests.jobs_helpers import reals_folder

# 5 images in batches of 2, 2 and 1: how many of them each misbehaviour fails, and why
EXPECTED = {
    "short": (5, "images for 2 asked|returned 0 images for 1 asked", "for an input of shape"),
    "long": (5, "returned 3 images for 2 asked|returned 2 images for 1 asked", "for an input of shape"),
    "nan": (3, "returned NaN or infinite pixels", None), "inf": (3, "returned NaN or infinite pixels", None),
    "range": (5, r"outside \[0, 1\]", None), "dtype": (5, r"returned uint8 pixels, not floats in \[0, 1\]", None),
    "shape": (5, "returned shape", None), "raisesome": (4, "raised RuntimeError: decoder exploded on a pair", None),
    "raiseall": (5, "raised RuntimeError: decoder exploded", None),
}


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    misbehaving_plugins.install(tmp_path / "site", monkeypatch)


@pytest.fixture
def good_detector(plugins):
    from fakebench.detectors.registry import create_detector

    return as_detector(create_detector("contract-good"))


def _accounted(imageset, detector, n_failed: int, reason: str) -> pd.DataFrame:
    frame = score_images(detector, imageset)
    failed = frame[frame["error"] != ""]
    assert len(frame) == 5 and len(failed) == n_failed, frame
    assert failed["error"].str.contains(reason).all() and failed["score"].isna().all()
    return frame


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_generated_images_that_fail_the_contract_are_failed_never_written_never_cached(kind, plugins, good_detector):
    generator = create_generator(f"contract-gen-g-{kind}")
    fakes = generated_set(generator, 5, seed=0, batch_size=2)
    n_failed, reason, _ = EXPECTED[kind]
    assert len(fakes) == 5 and len(fakes.failed) == n_failed
    assert all(why.startswith(f"contract-gen-g-{kind} generate()") for why in fakes.failed.values())
    written = {p.stem for p in (fakes.root / "images").glob("*.png")}
    assert written == {r.image_id for r in fakes.records} - set(fakes.failed)  # no PNG for a failed image
    assert not (fakes.root / MANIFEST).exists()  # not cached: the next run asks again
    _accounted(fakes, good_detector, n_failed, reason)
    assert fakes.usable().failed == {} and len(fakes.usable()) == 5 - n_failed  # what training reads


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_reconstructions_that_fail_the_contract_are_failed_never_written_never_cached(kind, plugins, good_detector,
                                                                                     tmp_path):
    source, _ = image_folder(reals_folder(tmp_path / "reals", n=5))  # sizes give batches of 2, 2 and 1
    generator = create_generator(f"contract-gen-r-{kind}")
    fakes = reconstructed_set(generator, source)
    n_failed, reason, recon_reason = EXPECTED[kind]
    reason = recon_reason or reason
    recon_failed = [r.image_id for r in fakes.records if r.image_id in fakes.failed]
    assert len(fakes) == 5 and len(recon_failed) == n_failed
    pngs = list(artifact_dir("reconstructions", generator.reconstruction_fingerprint).glob("*.png"))
    assert len(pngs) == 5 - n_failed
    manifests = list((home() / "imagesets").glob(f"recon-contract-gen-r-{kind}-*/{MANIFEST}"))
    assert manifests == []
    _accounted(fakes, good_detector, n_failed, reason)


def test_a_good_plugin_generator_is_cached_as_before(plugins):
    fakes = generated_set(create_generator("contract-gen-good"), 5, seed=0, batch_size=2)
    assert not fakes.failed and (fakes.root / MANIFEST).is_file()


def test_the_benchmark_counts_a_generators_failed_fakes_in_its_case(plugins):
    world = WorldConfig("contract", ("contract-gen-g-nan", "contract-gen-r-raiseall"), "contract-gen-good",
                        test=TestSets(fakes=5),
                        reals=Reals(CorpusConfig(crops_per_photo={"train": 1, "val": 1, "test": 1})))
    session = BenchSession(world, calibration=None)
    spec = DetectorSpec("contract-good", "", "")
    for generator, n_failed in (("contract-gen-g-nan", 1), ("contract-gen-r-raiseall", None)):
        result = session.run_case(Case(spec, generator, "identity"))
        m = result.metrics
        given = len(session.test_reals) + len(session.test_fakes(generator))
        assert m.n_real + m.n_fake + m.n_failed == result.failures.given == given
        if n_failed is not None:
            assert m.n_failed == n_failed and "NaN or infinite pixels" in result.failures.commonest
        else:
            assert m.n_failed == sum(r.image_id in session.test_fakes(generator).failed
                                     for r in session.test_fakes(generator).records) > 0


def test_fakebench_reconstruct_lists_the_failed_images_and_writes_no_broken_png(plugins, tmp_path, capsys):
    reals = reals_folder(tmp_path / "reals", n=5)
    out = tmp_path / "recon"
    assert main(["reconstruct", "--generator", "contract-gen-r-nan", "--input", str(reals), "--output", str(out)]) == 0
    text = "".join(capsys.readouterr())
    assert "Traceback" not in text and "3 left out" in text
    skipped = pd.read_csv(out / "skipped.csv")
    assert len(skipped) == 3 and skipped["reason"].str.contains("NaN or infinite pixels").all()
    assert len(list(out.rglob("*.png"))) == 2


def test_plugin_generators_misbehave_in_a_pytest_run_without_traceback(plugins, tmp_path):
    """The session's reports still come out when a world generator fails images (scored + failed = given)."""
    world = WorldConfig("contract", ("contract-gen-g-raiseall",), "contract-gen-good", test=TestSets(fakes=3),
                        reals=Reals(CorpusConfig(crops_per_photo={"train": 1, "val": 1, "test": 1})))
    session = BenchSession(world, calibration=None, store_path=tmp_path / "out" / "scores.csv")
    result = session.run_case(Case(DetectorSpec("contract-good", "", ""), "contract-gen-g-raiseall", "identity"))
    assert result.failures.failed == 3 and result.metrics.n_fake == 0 and "no fakes" in result.metrics.note
    board, paths = session.write_outputs(tmp_path / "out")
    assert Path(paths["csv"]).is_file() and board.loc[0, "n_failed"] == 3
