import subprocess
import sys

import pytest

from fakebench.cache import ensure_writable_dir
from fakebench.cli import main
from fakebench.errors import FakebenchError


def test_list_generators_and_detectors(capsys):
    assert main(["list", "generators", "mini-*"]) == 0
    out = capsys.readouterr().out
    assert "mini-sd" in out and "mini-playground" in out and "vae-other" in out
    assert main(["list", "detectors"]) == 0
    assert "resnet50" in capsys.readouterr().out


def test_mini_verify_passes_on_committed_weights(capsys):
    assert main(["mini", "verify"]) == 0
    assert capsys.readouterr().out.count(" ok ") == 5


def test_errors_are_one_line_with_exit_code_2(monkeypatch, capsys):
    def boom():
        raise FakebenchError("weights file 'x' is corrupted", fix="run fakebench mini train")

    monkeypatch.setattr("generators.mini.weights.verify_component", lambda c: boom())
    assert main(["mini", "verify"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "fakebench: error: weights file 'x' is corrupted (fix: run fakebench mini train)"


def test_unwritable_folder_is_named(tmp_path):
    blocker = tmp_path / "f"
    blocker.write_text("")
    with pytest.raises(FakebenchError, match=str(blocker)):
        ensure_writable_dir(blocker / "results")


def test_module_entry_point_runs():
    proc = subprocess.run([sys.executable, "-m", "fakebench", "list", "perturbations"], capture_output=True, text=True)
    assert proc.returncode == 0 and "jpeg" in proc.stdout
