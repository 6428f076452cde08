"""The decoded-image cache: a hit gives the same pixels without decoding, a rewritten file is decoded
(and verified) again, and the byte bound evicts the least recently used image."""
import os

import numpy as np
import pytest
from PIL import Image

from fakebench.core.cache import file_sha256
from fakebench.core.decoded import DecodedImages
from fakebench.core.errors import BadImageError
from fakebench.core.imageio import load_verified


def _png(path, value: int, side: int = 16):
    Image.fromarray(np.full((side, side, 3), value, np.uint8)).save(path)
    return path, file_sha256(path)


def _counting(calls: list):
    def decode(path, sha256):
        calls.append(path)
        return load_verified(path, sha256)
    return decode


def test_a_hit_gives_a_copy_of_the_same_pixels_without_decoding(tmp_path):
    cache, calls = DecodedImages(max_bytes=10**6), []
    path, sha = _png(tmp_path / "a.png", 7)
    first = cache.get(path, sha, _counting(calls))
    first.paste((255, 0, 0), (0, 0, 4, 4))  # a caller that draws on its image does not touch the cache
    second = cache.get(path, sha, _counting(calls))
    assert len(calls) == 1 and (cache.hits, cache.misses) == (1, 1)
    assert np.array_equal(np.asarray(second), np.full((16, 16, 3), 7, np.uint8))


def test_a_rewritten_file_is_decoded_again_and_refused(tmp_path):
    cache, calls = DecodedImages(max_bytes=10**6), []
    path, sha = _png(tmp_path / "a.png", 7)
    cache.get(path, sha, _counting(calls))
    path.write_bytes(b"not a png at all")
    os.utime(path, ns=(1, 1))  # a different modification time even on a coarse clock
    with pytest.raises(BadImageError, match="no longer matches"):
        cache.get(path, sha, _counting(calls))
    assert len(calls) == 2


def test_the_byte_bound_evicts_the_least_recently_used(tmp_path):
    one_image = 16 * 16 * 3
    cache, calls = DecodedImages(max_bytes=2 * one_image), []
    files = [_png(tmp_path / f"{i}.png", i) for i in range(3)]
    for path, sha in (files[0], files[1], files[0], files[2]):  # 1 is the least recently used when 2 comes
        cache.get(path, sha, _counting(calls))
    assert [p.name for p in calls] == ["0.png", "1.png", "2.png"]
    cache.get(*files[0], _counting(calls))
    cache.get(*files[1], _counting(calls))
    assert [p.name for p in calls] == ["0.png", "1.png", "2.png", "1.png"]


def test_a_zero_budget_decodes_every_time(tmp_path):
    cache, calls = DecodedImages(max_bytes=0), []
    path, sha = _png(tmp_path / "a.png", 7)
    for _ in range(2):
        cache.get(path, sha, _counting(calls))
    assert len(calls) == 2
