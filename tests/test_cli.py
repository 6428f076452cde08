import subprocess
import sys

import pytest

from fakebench.cli import main
from fakebench.core.cache import ensure_writable_dir
from fakebench.core.errors import FakebenchError


def test_list_generators_and_detectors(capsys):
    assert main(["list", "generators", "mini-*"]) == 0
    out = capsys.readouterr().out
    assert "mini-sd" in out and "mini-playground" in out and "vae-other" in out
    assert main(["list", "detectors"]) == 0
    assert "resnet50" in capsys.readouterr().out


def test_mini_verify_passes_on_committed_weights(capsys):
    assert main(["mini", "verify"]) == 0
    assert capsys.readouterr().out.count(" ok ") == 8  # five mini-world components, taef2, two TAEF2 denoisers


def test_errors_are_one_line_with_exit_code_2(monkeypatch, capsys):
    def boom():
        raise FakebenchError("weights file 'x' is corrupted", fix="run fakebench mini train")

    monkeypatch.setattr("fakebench.generators.mini.weights.verify_component", lambda c: boom())
    assert main(["mini", "verify"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "fakebench: error: weights file 'x' is corrupted (fix: run fakebench mini train)"


def test_unwritable_folder_is_named(tmp_path):
    blocker = tmp_path / "f"
    blocker.write_text("")
    with pytest.raises(FakebenchError, match=str(blocker)):
        ensure_writable_dir(blocker / "results")


@pytest.mark.integration
def test_module_entry_point_runs():
    proc = subprocess.run([sys.executable, "-m", "fakebench", "list", "perturbations"], capture_output=True, text=True)
    assert proc.returncode == 0 and "jpeg" in proc.stdout


def test_bench_cost_prints_both_rates_their_ratio_and_the_breakdown(capsys):
    """What the row holds, not how fast: the rates and their ratio are measurements (`fakebench bench`)."""
    assert main(["bench", "cost", "--generators", "mini-sd", "--images", "1", "--batch-size", "1"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("mini-sd"))
    steps, batch, images, *rates = row.split()[1:]
    assert (steps, batch, images) == ("20", "1", "1") and len(rates) == 3
    assert all(float(r) > 0 for r in rates)  # generate img/s, reconstruct img/s, their ratio
    assert "= 20 denoiser steps" in out and "encode" in out  # the per-image breakdown


@pytest.mark.parametrize("args, needle", [
    (["reconstruct", "--generator", "mini-sd", "--input", "{tmp}/nope", "--output", "{tmp}/out"], "does not exist"),
    (["reconstruct", "--generator", "sd-99", "--input", "{tmp}/in", "--output", "{tmp}/out"], "mini-sd"),
    (["reconstruct", "--generator", "deepfloyd-if", "--input", "{tmp}/in", "--output", "{tmp}/out"],
     "cannot reconstruct"),
    (["reconstruct", "--generator", "mini-sd", "--dtype", "fp16", "--input", "{tmp}/in", "--output", "{tmp}/o"],
     "fp32"),
    (["train", "--recipe", "aligned", "--generator", "mini-sd", "--real", "{tmp}/empty"], "holds no images"),
    (["score", "--data", "folder:{tmp}/in"], "holds no labelled images"),
    (["score", "--data", "folder:{tmp}/nope", "--detector", "small-cnn"], "does not exist"),
    (["train", "--recipe", "aligned", "--generator", "mini-sd", "--real", "{tmp}/in", "--detector-arg", "width"],
     "KEY=VALUE"),
    (["train", "--recipe", "aligned", "--generator", "mini-sd", "--real", "{tmp}/in", "--aligned-storage", "jpeg"],
     "unknown storage of aligned fakes 'jpeg'; storages: png, like-reals"),
])
def test_data_jobs_reject_bad_input_in_one_line(tmp_path, capsys, args, needle):
    from tests.folder_layouts import write_image

    write_image(tmp_path / "in" / "a.png", 1)
    (tmp_path / "empty").mkdir()
    assert main([a.replace("{tmp}", str(tmp_path)) for a in args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("fakebench: error: ") and needle in err and "\n" not in err and "Traceback" not in err


def test_train_on_packaged_photos_without_their_packages_stops_before_building(tmp_path, capsys, fb_home,
                                                                               monkeypatch):
    from fakebench.data import photos
    from tests.photo_manifests import write_manifest

    absent = photos.PackagedPhoto("gone", "fake-pkg", "1.0", str(tmp_path / "absent.jpg"), "", "0" * 64, 240, 200,
                                  "CC0-1.0", "per file", "Someone", "gone", "train")
    monkeypatch.setattr(photos, "MANIFEST", write_manifest(tmp_path / "photos.csv", [absent]))
    assert main(["train", "--recipe", "baseline", "--generator", "mini-sd", "--real", "corpus + photos:2"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("fakebench: error: ") and "apt-get install fake-pkg" in err and "\n" not in err
    assert not any(fb_home.iterdir())  # no crops, no fakes


def test_reconstruct_lists_what_it_left_out(tmp_path, capsys):
    from tests.folder_layouts import write_image

    write_image(tmp_path / "in" / "ok.jpg", 1, (40, 24))
    write_image(tmp_path / "in" / "deep" / "tiny.png", 2, (5, 7))
    (tmp_path / "in" / "notes.txt").write_text("x")
    assert main(["reconstruct", "--generator", "mini-sd", "--input", str(tmp_path / "in"), "--output",
                 str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "ok.png").is_file() and not (tmp_path / "out" / "deep" / "tiny.png").exists()
    from PIL import Image

    assert Image.open(tmp_path / "out" / "ok.png").size == (40, 24)
    skipped = (tmp_path / "out" / "skipped.csv").read_text()
    assert "notes.txt" in skipped and "tiny.png" in skipped and "too-small" in skipped
    assert "reconstructed 1 images" in capsys.readouterr().out
    import json

    record = json.loads((tmp_path / "out" / "reconstruct.json").read_text())  # the one provenance schema
    assert record["kind"] == "fakebench reconstruct" and {"argv", "versions", "world_size"} <= set(record)
    assert record["config"]["generator"] == "mini-sd" and record["config"]["images"] == 2
