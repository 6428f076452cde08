"""The packaged-photos reals source (`photos:N`): its manifest, the split rule, the `.rcc` reader, and
reading with missing packages or changed photos, on a fake package built in tmp_path (no Debian package
needed), plus one check of the real manifest against the installed packages (skipped without them)."""
from __future__ import annotations

import hashlib
import io
import logging
import struct
import zlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fakebench.core.cache import file_sha256
from fakebench.core.errors import FakebenchError
from fakebench.data import photos as packaged
from fakebench.data.corpus import PHOTOS, SPLIT_SCENES, photo_path
from fakebench.data.imagesets import photos_reals, photos_split
from fakebench.data.photos import PackagedPhoto, manifest, missing_packages, parse_photos, quarantined, split_of
from fakebench.data.rcc import members, read_member
from fakebench.data.reals import check_readable, reals_sources, source_reals
from tests.photo_manifests import write_manifest


def make_rcc(path: Path, files: dict[str, bytes], compress: bool = True) -> None:
    """A Qt resource bundle (format 3) holding `files` (resource path -> bytes), as Qt's rcc writes it."""
    tree: dict = {}
    for member, data in files.items():
        *dirs, leaf = member.strip("/").split("/")
        node = tree
        for d in dirs:
            node = node.setdefault(d, {})
        node[leaf] = data
    names, name_at, blobs, nodes = b"", {}, b"", []

    def name_offset(name: str) -> int:
        nonlocal names
        if name not in name_at:
            name_at[name] = len(names)
            names += struct.pack(">HI", len(name), 0) + name.encode("utf-16-be")
        return name_at[name]

    nodes.append(["", tree])  # breadth first: a directory's children are contiguous
    packed, i = [], 0
    while i < len(nodes):
        name, value = nodes[i]
        if isinstance(value, dict):
            first = len(nodes)
            nodes += [[k, v] for k, v in sorted(value.items())]
            packed.append(struct.pack(">IHII", name_offset(name), 2, len(value), first) + bytes(8))
        else:
            body = struct.pack(">I", len(value)) + zlib.compress(value) if compress else value
            packed.append(struct.pack(">IHHHI", name_offset(name), 1 if compress else 0, 0, 0, len(blobs)) + bytes(8))
            blobs += struct.pack(">I", len(body)) + body
        i += 1
    header = 24
    data_at, names_at = header, header + len(blobs)
    tree_at = names_at + len(names)
    path.write_bytes(b"qres" + struct.pack(">IIIII", 3, tree_at, data_at, names_at, 0) + blobs + names
                     + b"".join(packed))


def _image_bytes(seed: int, fmt: str, size=(240, 200)) -> bytes:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (size[1] // 8, size[0] // 8, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(base).resize(size, Image.Resampling.BILINEAR).save(out, fmt)
    return out.getvalue()


@pytest.fixture
def fake_packages(tmp_path, monkeypatch) -> list[PackagedPhoto]:
    """Two fake packages: wallpapers (three plain JPEGs) and an edu game (three photos in a `.rcc`);
    four photos train, two validate; the module's manifest points at them."""
    root = tmp_path / "usr" / "share"
    (root / "backgrounds").mkdir(parents=True)
    photos = []
    for k, scene in enumerate(["lake", "hill", "moss"]):
        data = _image_bytes(k, "JPEG")
        path = root / "backgrounds" / f"{scene}.jpg"
        path.write_bytes(data)
        photos.append(PackagedPhoto(f"wall-{scene}", "fake-wallpapers", "1.0", str(path), "",
                                    hashlib.sha256(data).hexdigest(), 240, 200, "CC0-1.0", "per file: copyright",
                                    f"Author {k}", f"wall:{scene}", "val" if k == 2 else "train"))
    bundle = root / "edu.rcc"
    members_ = {f"/edu/resource/{scene}.{fmt.lower()}": _image_bytes(10 + k, fmt)
                for k, (scene, fmt) in enumerate([("owl", "WEBP"), ("cat", "PNG"), ("pig", "WEBP")])}
    make_rcc(bundle, members_)
    for k, (member, data) in enumerate(members_.items()):
        scene = Path(member).stem
        photos.append(PackagedPhoto(f"edu-{scene}", "fake-edu", "2.0", str(bundle), member,
                                    hashlib.sha256(data).hexdigest(), 240, 200, "public-domain", "per photo: README",
                                    "Someone (https://example.org)", f"edu:{scene}", "val" if k == 0 else "train"))
    monkeypatch.setattr(packaged, "MANIFEST", write_manifest(tmp_path / "photos.csv", photos))
    return photos


def _photos_of(imageset) -> set[str]:
    return {r.image_id.rsplit("-", 1)[0].split("/", 1)[-1] for r in imageset.records}


def test_the_rcc_reader_finds_and_decompresses_members(tmp_path):
    files = {"/a/b/one.bin": b"first" * 50, "/a/two.bin": b"second", "/top.bin": b"3"}
    for compress in (True, False):
        make_rcc(tmp_path / "x.rcc", files, compress)
        assert set(members(tmp_path / "x.rcc")) == set(files)
        assert {m: read_member(tmp_path / "x.rcc", m) for m in files} == files
    (tmp_path / "bad.rcc").write_bytes(b"nope" * 10)
    with pytest.raises(FakebenchError, match="not a readable Qt resource bundle"):
        members(tmp_path / "bad.rcc")
    with pytest.raises(FakebenchError, match="holds no /a/three.bin"):
        read_member(tmp_path / "x.rcc", "/a/three.bin")


def test_the_manifest_follows_the_split_rule_and_never_holds_a_corpus_photo():
    photos = manifest()
    assert len(photos) == 146 and len({p.name for p in photos}) == len(photos)
    assert len({p.sha256 for p in photos}) == len(photos)  # no photo twice
    assert all(p.split == split_of(p.scene) for p in photos)
    groups: dict[str, set[str]] = {}
    for p in photos:
        groups.setdefault(packaged.split_group(p.scene), set()).add(p.split)
    assert all(len(splits) == 1 for splits in groups.values())  # whole scenes (and the monuments) in one split
    assert {p.split for p in photos if p.scene.startswith("gcompris:explore_monuments/")} == {"train"}
    val = sum(p.split == "val" for p in photos)
    assert 0.08 < val / len(photos) < 0.2
    assert all(p.licence and p.licence_where and p.attribution for p in photos)  # the attribution record
    left_out = {"lomiri:analogpattern_by_Peter_Nerlich", "gcompris:explore_monuments/castleClinton",
                "gcompris:explore_monuments/aulaPalatina"}
    assert not left_out & {p.scene for p in photos}
    corpus = {file_sha256(photo_path(p)) for p in PHOTOS}
    assert not corpus & {p.sha256 for p in photos}
    assert not set(SPLIT_SCENES["test"]) & {p.scene.split(":", 1)[-1] for p in photos}


def test_the_source_text_parses():
    assert reals_sources("corpus + photos:8") == ("corpus", "photos:8")
    assert parse_photos("photos:3") == 3 and parse_photos("procedural:3") is None
    for bad, fix in (("photos", "photos:N"), ("photos:0", "N >= 1"), ("photos:x", "N >= 1")):
        with pytest.raises(FakebenchError, match=fix) as err:
            reals_sources(bad)
        assert "\n" not in str(err.value)


def test_photos_give_train_and_val_crops_of_whole_photos_apart(fake_packages, tiny_corpus):
    train, val = source_reals("photos:3", tiny_corpus)
    assert len(train) == 3 * 4 and len(val) == 3 * 2 and not train.failed and not val.failed
    assert _photos_of(train) == {p.name for p in fake_packages if p.split == "train"}
    assert _photos_of(val) == {p.name for p in fake_packages if p.split == "val"}
    for rec in train.records[:4]:
        with Image.open(train.path(rec)) as im:
            assert im.format == "JPEG" and tiny_corpus.min_side <= min(im.size) <= tiny_corpus.max_side
    mixed_train, _ = source_reals("corpus + photos:3", tiny_corpus)
    assert len(mixed_train) == len(source_reals("corpus", tiny_corpus)[0]) + len(train)


def test_photo_crops_are_a_pure_function_of_seed_photo_and_index(fake_packages, tiny_corpus, tmp_path,
                                                                monkeypatch):
    first = photos_split("train", 2, tiny_corpus)
    more = photos_split("train", 3, tiny_corpus, list(reversed(fake_packages)))  # order does not matter
    by_id = {r.image_id: r.sha256 for r in more.records}
    assert all(by_id[r.image_id] == r.sha256 for r in first.records)  # a larger N extends a smaller one
    monkeypatch.setenv("FAKEBENCH_HOME", str(tmp_path / "another-home"))
    again = photos_split("train", 2, tiny_corpus)
    assert again.content_hash == first.content_hash and again.root != first.root
    assert photos_split("train", 2, replace(tiny_corpus, seed=1)).content_hash != first.content_hash


def test_a_changed_photo_is_quarantined_and_reported(fake_packages, tiny_corpus, caplog):
    changed = next(p for p in fake_packages if p.split == "train" and not p.member)
    Path(changed.path).write_bytes(_image_bytes(99, "JPEG"))  # as if the package were updated
    with caplog.at_level(logging.WARNING, logger="fakebench.data.photos"):
        train, val = photos_reals(2, tiny_corpus)
    assert set(train.failed) == {changed.name} and "differs from the manifest" in train.failed[changed.name]
    assert changed.name not in _photos_of(train) and len(train) == 2 * 3
    assert [r.message for r in caplog.records if changed.name in r.message]
    assert not val.failed


def test_missing_packages_are_named_in_one_line_with_the_fix(fake_packages, tiny_corpus):
    bundle = Path(next(p.path for p in fake_packages if p.member))
    bundle.unlink()
    assert missing_packages(fake_packages) == ["fake-edu"]
    with pytest.raises(FakebenchError) as err:
        source_reals("corpus + photos:2", tiny_corpus)  # never a silent subset of the packages
    assert "fake-edu" in str(err.value) and "fake-wallpapers" not in str(err.value)
    assert "apt-get install fake-edu" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(FakebenchError, match=r"apt-get install fake-edu\)$"):
        check_readable(["corpus", "photos:2"])  # the same line at start-up, before any photo is read
    check_readable("corpus + procedural:4")  # no packaged photos named: nothing to check
    for p in fake_packages:
        Path(p.path).unlink(missing_ok=True)
    with pytest.raises(FakebenchError, match="apt-get install fake-edu fake-wallpapers"):
        photos_reals(2, tiny_corpus)


_INSTALLED = manifest()
_MISSING = missing_packages(_INSTALLED)


@pytest.mark.skipif(bool(_MISSING), reason=f"Debian packages not installed: {' '.join(_MISSING)} "
                                           f"(apt-get install {' '.join(_MISSING)})")
def test_the_installed_packages_hold_the_manifests_photos():
    assert quarantined(_INSTALLED) == {}  # every sha256 matches
    for photo in _INSTALLED:
        with Image.open(io.BytesIO(photo.read_bytes())) as im:
            assert im.size == (photo.width, photo.height), photo.name
