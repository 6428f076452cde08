import io

import pytest
import torch
from PIL import Image

from fakebench.data.imagesets import FAKE, real_split
from fakebench.generators import create_generator
from fakebench.generators.fakesets import reconstructed_set


@pytest.mark.parametrize("h,w", [(64, 64), (37, 53), (8, 9), (130, 71)])
def test_reconstruction_keeps_size(h, w):
    gen = create_generator("mini-sd")
    x = torch.rand(2, 3, h, w)
    y = gen.reconstruct(x)
    assert y.shape == x.shape and 0 <= y.min() and y.max() <= 1


def test_reconstruction_carries_the_image_but_is_not_identical(tiny_corpus):
    """On the photos the autoencoder was trained on, the round trip must beat a flat image of each
    crop's mean colour (it carries content) and must not be the identity (it leaves the decoder's
    trace). Held-out photos are not held to this bar: see docs/explanation/worlds.md on the mini world's limits."""
    from fakebench.core.imageio import load_rgb
    from fakebench.core.pixels import pil_to_tensor

    gen = create_generator("mini-sd")
    reals = real_split("train", tiny_corpus)
    errs, flats = [], []
    for rec in reals.records:
        x = pil_to_tensor(load_rgb(reals.path(rec)))[None]
        errs.append((gen.reconstruct(x) - x).abs().mean().item())
        flats.append((x - x.mean(dim=(2, 3), keepdim=True)).abs().mean().item())
    assert min(errs) > 0.002
    assert sum(errs) < sum(flats), (sum(errs) / len(errs), sum(flats) / len(flats))


def test_reconstructed_set_is_png_same_size_and_cached_by_content(tiny_corpus, monkeypatch):
    gen = create_generator("mini-sd")
    reals = real_split("val", tiny_corpus)
    calls = []
    original = gen.reconstruct
    monkeypatch.setattr(gen, "reconstruct", lambda x: calls.append(len(x)) or original(x))
    recon = reconstructed_set(gen, reals)
    assert recon.label == FAKE and len(recon) == len(reals) and sum(calls) == len(reals)
    for real, fake in zip(reals.records, recon.records):
        with Image.open(io.BytesIO(recon.path(fake).read_bytes())) as im:
            assert im.format == "PNG" and im.size == (real.width, real.height)
    # another generator with the same autoencoder reuses every reconstruction
    playground = create_generator("mini-playground")
    monkeypatch.setattr(playground, "reconstruct", lambda x: calls.append(len(x)) or original(x))
    again = reconstructed_set(playground, reals)
    assert sum(calls) == len(reals)
    assert [r.sha256 for r in again.records] == [r.sha256 for r in recon.records]
