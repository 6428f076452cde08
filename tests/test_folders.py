"""Folder datasets: every layout understood, every file accounted for, bad input named."""
from __future__ import annotations

import pytest

from fakebench.core.errors import FakebenchError
from fakebench.data.folders import image_folder, load_folder_dataset, write_skipped_report
from fakebench.data.imagesets import FAKE, REAL
from tests.folder_layouts import (
    cnndetection,
    genimage,
    real_fake,
    shared_reals,
    write_image,
)


def _ids(imageset):
    return sorted(r.image_id for r in imageset.records)


def test_real_fake_layout_and_unlabelled_files(tmp_path):
    root = real_fake(tmp_path / "mydata")
    (root / "README.txt").write_text("notes")
    write_image(root / "loose.png", 9)  # under no label folder
    ds = load_folder_dataset(f"folder:{root}")
    assert ds.generators == ["mydata"]
    assert _ids(ds.real_set("mydata")) == ["real/r0.jpg", "real/r1.jpg", "real/r2.jpg"]
    assert ds.fakes["mydata"].label == FAKE and ds.real_set("mydata").label == REAL
    reasons = {s.path.rsplit("/", 1)[-1]: s.reason for s in ds.skipped}
    assert set(reasons) == {"README.txt", "loose.png"}
    assert "extension" in reasons["README.txt"] and "label folder" in reasons["loose.png"]
    report = write_skipped_report(tmp_path / "skipped.csv", ds.skipped)
    assert report.read_text().count("\n") == 3  # header + two files


def test_cnndetection_layout_groups_by_generator(tmp_path):
    ds = load_folder_dataset(cnndetection(tmp_path / "cnndet"))
    assert ds.generators == ["biggan", "progan"]
    assert _ids(ds.fakes["progan"]) == ["progan/airplane/1_fake/a.png", "progan/cat/1_fake/a.png"]
    assert _ids(ds.real_set("biggan")) == ["biggan/0_real/x.png"]
    assert not ds.skipped


def test_genimage_layout_spans_splits(tmp_path):
    ds = load_folder_dataset(genimage(tmp_path / "GenImage"))
    assert ds.generators == ["midjourney", "sdv14"]
    assert len(ds.fakes["sdv14"]) == 2 and len(ds.real_set("sdv14")) == 2


def test_shared_reals_serve_every_generator(tmp_path):
    ds = load_folder_dataset(shared_reals(tmp_path / "web"))
    assert ds.generators == ["playground", "sd15"]
    assert ds.real_set("sd15") is ds.real_set("playground")


def test_csv_manifest_reports_rows_pointing_nowhere(tmp_path):
    write_image(tmp_path / "imgs" / "a.png", 1)
    write_image(tmp_path / "imgs" / "b.png", 2)
    manifest = tmp_path / "list.csv"
    manifest.write_text("path,label,generator\nimgs/a.png,real,\nimgs/b.png,1,sdxl\nimgs/gone.png,fake,sdxl\n"
                        "imgs/a.png,maybe,sdxl\n")
    ds = load_folder_dataset(f"folder:{manifest}")
    assert ds.generators == ["sdxl"] and _ids(ds.fakes["sdxl"]) == ["imgs/b.png"]
    assert _ids(ds.real_set("sdxl")) == ["imgs/a.png"]
    assert [s.reason for s in ds.skipped] == ["manifest row 4 points to no file",
                                              f"{manifest}:5: label 'maybe' is neither 0/real nor 1/fake "
                                              "(fix: fix the manifest row)"]


def test_undecodable_images_stay_as_failed_records(tmp_path):
    root = real_fake(tmp_path / "d", n=2)
    (root / "fake" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    ds = load_folder_dataset(root)
    fakes = ds.fakes["d"]
    assert "fake/broken.png" in _ids(fakes) and "fake/broken.png" in fakes.failed
    assert "fake/broken.png" not in _ids(fakes.usable())
    assert [f.path.endswith("broken.png") for f in ds.failed()] == [True]


def test_mixed_sizes_and_modes_are_read(tmp_path):
    root = tmp_path / "m"
    write_image(root / "real" / "big.png", 1, (90, 60))
    write_image(root / "real" / "small.jpg", 2, (33, 47))
    from PIL import Image

    (root / "fake").mkdir()
    Image.new("L", (50, 50), 128).save(root / "fake" / "grey.png")
    Image.new("P", (50, 40)).save(root / "fake" / "palette.png")
    ds = load_folder_dataset(root)
    sizes = {r.image_id: (r.width, r.height) for s in (ds.real_set("m"), ds.fakes["m"]) for r in s.records}
    assert sizes == {"real/big.png": (90, 60), "real/small.jpg": (33, 47), "fake/grey.png": (50, 50),
                     "fake/palette.png": (50, 40)}


@pytest.mark.parametrize("with_folder, needle", [(False, "does not exist"), (True, "holds no labelled images")])
def test_bad_dataset_paths_name_the_path(tmp_path, with_folder, needle):
    path = tmp_path / "nothing"
    if with_folder:
        path.mkdir()
        (path / "notes.txt").write_text("x")
    with pytest.raises(FakebenchError, match=needle) as err:
        load_folder_dataset(f"folder:{path}")
    assert str(path) in str(err.value)


def test_image_folder_is_recursive_and_rescans_from_cache(tmp_path, monkeypatch):
    write_image(tmp_path / "in" / "a" / "x.png", 1)
    write_image(tmp_path / "in" / "y.webp", 2, fmt="WEBP")
    (tmp_path / "in" / "z.txt").write_text("no")
    imageset, skipped = image_folder(tmp_path / "in")
    assert _ids(imageset) == ["a/x.png", "y.webp"] and [s.path.endswith("z.txt") for s in skipped] == [True]
    import fakebench.data.folders as folders
    monkeypatch.setattr(folders, "load_rgb", lambda p: (_ for _ in ()).throw(AssertionError("decoded again")))
    again, _ = image_folder(tmp_path / "in")
    assert again.key == imageset.key
    (tmp_path / "empty").mkdir()
    with pytest.raises(FakebenchError, match="holds no images"):
        image_folder(tmp_path / "empty")
