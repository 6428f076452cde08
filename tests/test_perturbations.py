import numpy as np
import pytest
from PIL import Image

from fakebench.core.errors import FakebenchError, UnknownNameError
from fakebench.evaluation.perturbations import (
    PERTURBATIONS,
    Chain,
    apply,
    parse_perturbation,
    perturbation_rng,
    register_perturbation,
)


def _image(w=100, h=80):
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))


@pytest.mark.parametrize("pid", ["identity", "resize0.5", "resize1.5", "jpeg75", "webp50", "blur1", "resize0.5+jpeg75"])
def test_ids_round_trip(pid):
    assert parse_perturbation(pid).id == pid


def test_resize_sizes_and_chain():
    im = _image()
    assert apply(parse_perturbation("resize0.5"), im, 0, "x").size == (50, 40)
    assert apply(parse_perturbation("resize2"), im, 0, "x").size == (200, 160)
    chain = parse_perturbation("resize0.5+jpeg75")
    assert isinstance(chain, Chain) and apply(chain, im, 0, "x").size == (50, 40)


def test_compression_changes_pixels_identity_does_not():
    im = _image()
    assert np.array_equal(np.asarray(apply(parse_perturbation("identity"), im, 0, "x")), np.asarray(im))
    jpeg = np.asarray(apply(parse_perturbation("jpeg30"), im, 0, "x")).astype(int)
    assert np.abs(jpeg - np.asarray(im)).mean() > 5
    # deterministic: same input, same output
    assert np.array_equal(jpeg, np.asarray(apply(parse_perturbation("jpeg30"), im, 1, "y")))


@pytest.mark.parametrize("bad,match", [("jpeg101", "1-100"), ("webp0", "1-100"), ("resize0", "> 0"),
                                        ("resize-1", "> 0"), ("jpeg", "needs a number"), ("jpeg7.5", "integer")])
def test_bad_values_name_the_value(bad, match):
    with pytest.raises(FakebenchError, match=match):
        parse_perturbation(bad)


def test_unknown_perturbation_lists_known():
    with pytest.raises(UnknownNameError, match="jpeg"):
        parse_perturbation("sharpen2")


def test_rng_depends_on_seed_image_and_perturbation_only():
    a = perturbation_rng(0, "img1", "jpeg75").random()
    assert a == perturbation_rng(0, "img1", "jpeg75").random()
    assert a != perturbation_rng(1, "img1", "jpeg75").random()
    assert a != perturbation_rng(0, "img2", "jpeg75").random()


def test_user_can_register_a_perturbation():
    class Invert:
        id = "invert"

        def __call__(self, im, rng):
            return Image.fromarray(255 - np.asarray(im))

    register_perturbation("invert", lambda param=None: Invert())
    try:
        out = apply(parse_perturbation("invert"), _image(), 0, "x")
        assert np.array_equal(np.asarray(out), 255 - np.asarray(_image()))
    finally:
        PERTURBATIONS.unregister("invert")


def test_short_side_keeps_aspect_and_names_bad_values():
    im = _image(100, 80)
    assert apply(parse_perturbation("short40"), im, 0, "x").size == (50, 40)
    assert apply(parse_perturbation("short160"), im, 0, "x").size == (200, 160)
    for bad in ("short0", "short2.5"):
        with pytest.raises(FakebenchError, match="short side"):
            parse_perturbation(bad)


def test_the_grid_covers_the_design_and_every_id_is_canonical():
    from fakebench.benchmark.world_files import load_world

    world = load_world("mini")
    ids = world.perturbation_ids("grid")
    assert len(ids) >= 20 and len(set(ids)) == len(ids) and ids[0] == "identity"
    for expected in ("resize0.25", "resize2", "short128", "jpeg30", "webp50", "blur2", "resize0.5+jpeg75",
                     "jpeg75+webp75"):
        assert expected in ids
    assert all(parse_perturbation(i).id == i for i in ids)
    assert world.perturbation_ids("quick,webp50,jpeg75") == ["identity", "resize0.5", "jpeg75", "webp50"]
    assert world.perturbation_ids("resize0.50") == ["resize0.5"]  # canonical spelling
