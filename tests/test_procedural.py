"""Procedural reals (the shader experiment): deterministic, varied, stored like the photo corpus."""
import numpy as np
import pytest

from fakebench.core.errors import FakebenchError
from fakebench.data.imagesets import procedural_reals, procedural_split
from fakebench.data.procedural import FAMILIES, ProceduralConfig, parse_procedural, render


def test_an_image_is_a_pure_function_of_seed_split_and_index():
    name, a = render(7)
    assert render(7)[0] == name and np.array_equal(np.asarray(render(7)[1]), np.asarray(a))
    assert not np.array_equal(np.asarray(render(7, config=ProceduralConfig(seed=1))[1]), np.asarray(a))
    assert not np.array_equal(np.asarray(render(7, "val")[1]), np.asarray(a))


def test_images_vary_in_family_content_and_size():
    drawn = [render(i) for i in range(60)]
    families = {name.split("+")[0] for name, _ in drawn}
    assert len(families) >= 7 and families <= set(FAMILIES)
    assert any("+" in name for name, _ in drawn)  # some blend two families
    sizes = {im.size for _, im in drawn}
    assert len(sizes) > 15 and all(s in range(64, 129, 16) for size in sizes for s in size)  # 16-px steps
    assert len({render(i, config=ProceduralConfig(side_step=1))[1].size for i in range(60)}) > 30  # or any size
    means = np.array([np.asarray(im, dtype=float).mean(axis=(0, 1)) for _, im in drawn])
    assert means.std(axis=0).min() > 15  # palettes differ, channel by channel
    stds = np.array([np.asarray(im, dtype=float).std() for _, im in drawn])
    assert stds.min() > 1 and stds.max() > 50  # from smooth ramps to hard-edged patterns


def test_splits_are_cached_jpeg_sets_and_validation_is_apart():
    train, val = procedural_reals(20)
    assert len(train) == 20 and len(val) == ProceduralConfig().min_val
    assert all(r.file.endswith(".jpg") for r in train.records)
    assert not {r.sha256 for r in train.records} & {r.sha256 for r in val.records}
    again = procedural_split(20, "train")
    assert [r.sha256 for r in again.records] == [r.sha256 for r in train.records]
    assert [r.sha256 for r in procedural_split(25).records][:20] == [r.sha256 for r in train.records]
    assert train.read(train.records[0]).mode == "RGB"


@pytest.mark.parametrize("text", ["procedural:0", "procedural:x", "procedural:", "procedural:-3"])
def test_a_bad_count_is_one_line_with_the_fix(text):
    with pytest.raises(FakebenchError, match="procedural:N"):
        parse_procedural(text)
    assert parse_procedural("photos/") is None and parse_procedural("procedural:12") == 12


def test_cli_bad_inputs_are_one_line(capsys):
    """The CLI prints the FakebenchError of a bad --real as one line (presets and schedules: see
    test_augment and test_schedules)."""
    from fakebench.cli import main

    code = main(["train", "--recipe", "aligned-sync", "--generator", "mini-sd", "--real", "procedural:0"])
    err = capsys.readouterr().err
    assert code == 2 and "procedural:N" in err
    assert len(err.strip().splitlines()) == 1, err
