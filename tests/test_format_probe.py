"""Fakes stored like their reals (`stored_like`): each reconstruction re-encoded as a JPEG with its real's own
quantization tables and subsampling, so a pair differs by the decoder's trace and not by the file format;
and the probe that compares a detector's AUC on both (`fakebench.experiments.formatprobe`)."""
import io
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image, JpegImagePlugin

from fakebench.benchmark.world_files import load_world
from fakebench.core.errors import FakebenchError
from fakebench.data.imagesets import FAKE, jpeg_like, real_split, stored_like
from fakebench.experiments.formatprobe import format_table, main
from fakebench.generators import create_generator
from fakebench.generators.fakesets import reconstructed_set


def _jpeg(path, quality: int, subsampling: int) -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (32, 48, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, "JPEG", quality=quality, subsampling=subsampling)


@pytest.mark.parametrize(("quality", "subsampling"), [(77, 2), (93, 0)])
def test_jpeg_like_copies_the_reals_tables_and_subsampling(tmp_path, quality, subsampling):
    _jpeg(tmp_path / "real.jpg", quality, subsampling)
    other = Image.fromarray(np.full((32, 48, 3), 120, dtype=np.uint8))
    with Image.open(io.BytesIO(jpeg_like(other, tmp_path / "real.jpg"))) as out, \
            Image.open(tmp_path / "real.jpg") as real:
        assert out.format == "JPEG" and out.quantization == real.quantization
        assert JpegImagePlugin.get_sampling(out) == JpegImagePlugin.get_sampling(real) == subsampling
    other.save(tmp_path / "real.png")
    with pytest.raises(FakebenchError, match="is PNG, not JPEG") as info:
        jpeg_like(other, tmp_path / "real.png")
    assert "\n" not in str(info.value)


def test_stored_like_pairs_every_round_trip_with_its_real(tiny_corpus):
    reals = real_split("test", tiny_corpus)
    fakes = reconstructed_set(create_generator("mini-sd"), reals)
    stored = stored_like(fakes, reals)
    assert stored.label == FAKE and [r.image_id for r in stored.records] == [r.image_id for r in fakes.records]
    by_id = {r.image_id: r for r in reals.records}
    for record in stored.records:
        real = by_id[record.image_id.removesuffix("-recon")]
        with Image.open(stored.path(record)) as out, Image.open(reals.path(real)) as source:
            assert out.format == "JPEG" and out.quantization == source.quantization and out.size == source.size
    assert stored_like(fakes, reals).key == stored.key  # cached
    gone = fakes.records[0].image_id  # a failed reconstruction stays failed, in the cached copy too
    broken = replace(fakes, key=fakes.key + "-broken", failed={gone: "undecodable"})
    for kept in (stored_like(broken, reals), stored_like(broken, reals)):
        assert kept.failed == {gone: "undecodable"} and gone not in {r.image_id for r in kept.records}
    with pytest.raises(FakebenchError, match="has no real in"):
        stored_like(fakes, real_split("val", tiny_corpus))


def test_the_probe_reports_both_columns_and_names_unknown_detectors(tmp_path, capsys):
    small = tmp_path / "small.toml"  # mini-smoke on a few crops a photo: the probe reads validation only
    small.write_text('extends = "mini-smoke"\n[reals]\n'
                     'corpus = { crops_per_photo = { train = 3, val = 2, test = 2 } }\n')
    world = load_world(str(small))
    table = format_table(world, ["rt-ratio"], ["identity", "jpeg75"])
    assert list(table["perturbation"]) == ["identity", "jpeg75"]
    for column in ("AUC png", "AUC stored like reals"):
        assert table[column].between(0, 1).all()
    assert np.allclose(table["drop"], table["AUC png"] - table["AUC stored like reals"])
    with pytest.raises(FakebenchError, match="unknown detector.*aligned-nothing.*use some of"):
        format_table(world, ["aligned-nothing"], ["identity"])
    main(["--world", str(small), "--detectors", "rt-ratio"])
    assert "AUC stored like reals" in capsys.readouterr().out


def test_a_world_can_store_its_test_round_trips_like_their_reals(tiny_corpus):
    """`[test] round_trips = "like-reals"`: a reconstruct-only generator's test fakes are its round trips of
    the test reals, each a JPEG with its own real's tables (so the decoder's trace is all that differs);
    "png" keeps them as the autoencoder writes them."""
    from fakebench.benchmark.session import BenchSession

    smoke = load_world("mini-smoke")
    world = replace(smoke, reals=replace(smoke.reals, corpus=tiny_corpus),
                    test=replace(smoke.test, reconstructions=None))
    png = BenchSession(world).test_fakes("taef2")
    like = BenchSession(replace(world, test=replace(world.test, round_trips="like-reals"))).test_fakes("taef2")
    reals = real_split("test", tiny_corpus)
    assert [r.image_id for r in like.records] == [r.image_id for r in png.records] == \
        [r.image_id + "-recon" for r in reals.records]
    for real, fake, as_png in zip(reals.records, like.records, png.records):
        with Image.open(reals.path(real)) as r, Image.open(like.path(fake)) as f, Image.open(png.path(as_png)) as p:
            assert f.format == "JPEG" and f.quantization == r.quantization and p.format == "PNG"
