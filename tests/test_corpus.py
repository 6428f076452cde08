import io

from PIL import Image

from fakebench.core.cache import home
from fakebench.data.corpus import SPLIT_SCENES, CorpusConfig, crop_specs, split_photos
from fakebench.data.imagesets import REAL, real_split


def test_crop_specs_are_deterministic_and_within_bounds():
    cfg = CorpusConfig()
    a, b = crop_specs("train", cfg), crop_specs("train", cfg)
    assert a == b and len(a) == cfg.crops_per_photo["train"] * len(split_photos("train"))
    for s in a:
        left, top, right, bottom = s.box
        assert cfg.min_side <= right - left <= cfg.max_side and cfg.min_side <= bottom - top <= cfg.max_side
        assert cfg.jpeg_quality[0] <= s.jpeg_quality < cfg.jpeg_quality[1]
    assert crop_specs("train", CorpusConfig(seed=1)) != a
    assert len({(s.box, s.scale) for s in a}) > 0.95 * len(a)  # crops really differ
    shapes = {(s.box[2] - s.box[0], s.box[3] - s.box[1]) for s in a}
    assert all((w - cfg.min_side) % cfg.side_step == 0 and (h - cfg.min_side) % cfg.side_step == 0
               for w, h in shapes)
    assert len(shapes) == 25  # 64..128 px in 16-px steps, both sides: test sets are scored in batches


def test_side_step_one_allows_any_size():
    shapes = {(s.box[2] - s.box[0], s.box[3] - s.box[1]) for s in crop_specs("train", CorpusConfig(side_step=1))}
    assert len(shapes) > 200


def test_whole_photos_are_held_out():
    scenes = {split: {p.scene for p in split_photos(split)} for split in SPLIT_SCENES}
    assert not scenes["train"] & scenes["test"] and not scenes["train"] & scenes["val"]
    assert not scenes["val"] & scenes["test"]
    train_photos = {s.photo.name for s in crop_specs("train", CorpusConfig())}
    test_photos = {s.photo.name for s in crop_specs("test", CorpusConfig())}
    assert not train_photos & test_photos


def test_real_split_is_jpeg_of_varied_size_and_cached(tiny_corpus):
    first = real_split("test", tiny_corpus)
    assert first.label == REAL and len(first) == 2 * len(split_photos("test"))
    sizes = set()
    for rec in first.records:
        data = first.path(rec).read_bytes()
        with Image.open(io.BytesIO(data)) as im:
            assert im.format == "JPEG" and im.size == (rec.width, rec.height)
            sizes.add(im.size)
    assert len(sizes) > 1
    assert first.root.is_relative_to(home())
    mtimes = {r.file: first.path(r).stat().st_mtime_ns for r in first.records}
    second = real_split("test", tiny_corpus)
    assert second.content_hash == first.content_hash
    assert {r.file: second.path(r).stat().st_mtime_ns for r in second.records} == mtimes


def test_interrupted_split_resumes(tiny_corpus):
    first = real_split("val", tiny_corpus)
    (first.root / "manifest.json").unlink()  # as if killed before the manifest was written
    first.path(first.records[0]).unlink()
    again = real_split("val", tiny_corpus)
    assert again.content_hash == first.content_hash


def test_corpus_crops_are_byte_identical_to_the_fixed_seed_stores(tiny_corpus):
    """The crop code is shared with other photo sources (`photo_crop_specs`); the corpus's crops and their
    stored bytes stay exactly those the fixed-seed stores were built from."""
    from fakebench.core.cache import stable_hash

    expected = {"train": "e725845089876c17", "val": "cc0543903f440fc0", "test": "eae00a9b4a653cd2"}
    assert {s: real_split(s, tiny_corpus).content_hash for s in expected} == expected
    specs = [(c.image_id, c.scale, c.box, c.jpeg_quality) for s in expected for c in crop_specs(s, CorpusConfig())]
    assert stable_hash(specs) == "9b24c8332ed62024"
