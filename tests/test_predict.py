"""`fakebench predict`: one probability per image through the scoring path, bad files named."""
from __future__ import annotations

import json

import pytest

from fakebench.cli import main
from tests.folder_layouts import write_image


@pytest.fixture
def checkpoint(tmp_path):
    """An untrained small-cnn saved as `fakebench train` saves (safetensors + sidecar)."""
    import torch

    from fakebench.detectors.registry import create_detector
    from fakebench.detectors.trainable import CheckpointInfo

    torch.manual_seed(0)
    detector = create_detector("small-cnn", channels=[4, 4, 8, 8])
    path = tmp_path / "ckpt" / "model.safetensors"
    path.parent.mkdir()
    detector.save(path, CheckpointInfo(detector="small-cnn", config=detector.config, recipe="aligned",
                                       generator="mini-sd", kwargs={"channels": [4, 4, 8, 8]}))
    return path


def test_predict_prints_one_probability_per_image_and_names_bad_files(tmp_path, checkpoint, capsys):
    a, b = write_image(tmp_path / "a.jpg", 1, (64, 48)), write_image(tmp_path / "b.png", 2, (40, 40))
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not really")
    code = main(["predict", str(a), str(broken), str(b), str(tmp_path / "missing.png"), "--checkpoint",
                 str(checkpoint), "--json"])
    out, err = capsys.readouterr()
    assert code == 0
    rows = json.loads(out)
    assert [r["image"] for r in rows] == [str(a), str(broken), str(b), str(tmp_path / "missing.png")]
    assert all(0.0 <= r["scores"]["aligned-small-cnn"] <= 1.0 for r in (rows[0], rows[2]))
    assert rows[1]["error"] and rows[3]["error"] and not rows[1]["scores"]
    assert "cannot read" in err and "broken.jpg" in err and "missing.png" in err


def test_predict_matches_the_scoring_path_and_prints_a_table(tmp_path, capsys):
    from fakebench.data.folders import image_files
    from fakebench.evaluation.scoring import score_images
    from fakebench.jobs import load_detectors

    a = write_image(tmp_path / "a.png", 3, (48, 48))
    assert main(["predict", str(a), "--detector", "small-cnn"]) == 0
    out = capsys.readouterr().out
    assert "P(fake) small-cnn" in out and "call at 0.5" in out
    (_, detector), = load_detectors([], ["small-cnn"])
    expected = score_images(detector, image_files([a])[0])["score"].iloc[0]
    assert f"{expected:.4f}" in out


def test_predict_with_no_readable_image_exits_2(tmp_path, capsys):
    bad = tmp_path / "x.png"
    bad.write_text("text")
    assert main(["predict", str(bad), "--detector", "small-cnn"]) == 2
    err = capsys.readouterr().err
    assert "none of the 1 image(s) could be read" in err and "x.png" in err and err.count("\n") == 1


def test_predict_on_a_missing_file_says_so_in_one_line_with_one_fix(tmp_path, capsys):
    missing = tmp_path / "nowhere.jpg"
    assert main(["predict", str(missing), "--detector", "small-cnn"]) == 2
    err = capsys.readouterr().err
    assert err == f"fakebench: error: no such image file: {str(missing)!r} (fix: check the path)\n"
