"""A plugin whose product lacks what its protocol needs is left out where it enters, with one line
naming the plugin, its distribution and the missing piece: in the registry, in `fakebench list` (exit
0) and in the summary of `pytest benchmark/`, which runs the rest.

The plugins are "installed" by a temporary .dist-info on sys.path (what `pip install` leaves), and the
detector and generator registries read entry points afresh for each test."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch

from fakebench.cli import main
from fakebench.core.errors import ProtocolError
from fakebench.detectors.base import Detector, InputPolicy, PluginDetector, as_detector
from fakebench.detectors.registry import DETECTORS
from fakebench.generators.base import Generator, GeneratorInfo, PluginGenerator, as_generator
from fakebench.generators.registry import GENERATORS
from tests.folder_layouts import real_fake
from tests.installed_plugins import activate, install_dist

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_SRC = ROOT / "examples" / "fakebench-myplugin" / "src"

BAD_PLUGIN = '''
    """A plugin written from memory: a torch module with `name` and `score`, but no input `policy`;
    and a generator with metadata but neither capability."""
    import torch
    from fakebench.generators.base import GeneratorInfo


    class MeanBrightness(torch.nn.Module):
        name = "meanbright"

        def score(self, images):
            return images.mean(dim=(1, 2, 3))


    class NoCapability:
        info = GeneratorInfo("nocap", family="test", autoencoder="none", denoiser="none", resolution=64)
        fingerprint = "nocap-v1"
'''


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """fakebench-meanbright (a detector without `policy`, a generator without a capability) and the
    example plugin fakebench-myplugin, installed; the registries forget what they loaded before."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "fakebench_meanbright.py").write_text(textwrap.dedent(BAD_PLUGIN))
    install_dist(site, "fakebench-meanbright", "0.1.0",
                 {"fakebench.detectors": {"meanbright": "fakebench_meanbright:MeanBrightness"},
                  "fakebench.generators": {"nocap": "fakebench_meanbright:NoCapability"}})
    install_dist(site, "fakebench-myplugin", "0.1.0",
                 {"fakebench.detectors": {"myplugin": "fakebench_myplugin:HighFrequencyEnergy"}})
    activate(monkeypatch, site, EXAMPLE_SRC)
    return site


def test_the_registry_leaves_out_a_product_outside_the_protocol(installed):
    assert "meanbright" in DETECTORS.names()  # its entry point loads: only what it builds is wrong
    with pytest.raises(ProtocolError, match=r"'meanbright' \(plugin fakebench-meanbright\) lacks policy"):
        DETECTORS.create("meanbright")
    assert "meanbright" not in DETECTORS
    [failure] = DETECTORS.failures
    line = failure.line()
    assert "'meanbright'" in line and "fakebench-meanbright" in line and "lacks policy" in line
    assert "name" not in line.split("lacks")[1].split("(fix")[0]  # only the missing piece is named
    with pytest.raises(ProtocolError, match="lacks a capability"):
        GENERATORS.create("nocap")
    assert [f.distribution for f in GENERATORS.failures] == ["fakebench-meanbright"]
    # the duck-typed example plugin enters, adapted to the Detector base
    plugin = DETECTORS.create("myplugin")
    assert isinstance(plugin, PluginDetector) and plugin.name == "myplugin" and plugin.checkpoint_hash == ""
    assert plugin.to("cpu") is plugin and plugin.device is None
    assert DETECTORS.failures == [failure]  # meeting it again records nothing twice
    DETECTORS.record_failure("meanbright", RuntimeError("again"))
    assert len(DETECTORS.failures) == 1


def test_fakebench_list_shows_the_plugin_left_out_with_why(installed, capsys):
    """Filtered to the plugins' names (building the built-in ResNets is not the point here)."""
    assert main(["list", "detectors", "m*"]) == 0
    out = capsys.readouterr().out
    table, left_out = out.split("plugins left out")
    assert "myplugin" in table and "meanbright" not in table
    assert "'meanbright' from fakebench-meanbright: lacks policy" in left_out
    assert main(["list", "generators", "[mn]*"]) == 0
    out = capsys.readouterr().out
    table, left_out = out.split("plugins left out")
    assert "mini-sd" in table and "nocap" not in table
    assert "'nocap' from fakebench-meanbright: lacks a capability" in left_out


@pytest.mark.integration
def test_pytest_benchmark_reports_the_plugin_left_out_and_runs_the_rest(installed, pytester, tmp_path):
    """Kept to seconds: the cases only (no claims), on a tiny folder dataset (nothing to generate),
    scored by the training-free example plugin."""
    data = real_fake(tmp_path / "tiny")
    result = pytester.runpytest_inprocess(
        str(ROOT / "benchmark" / "test_detection.py"), "-p", "no:cacheprovider", "--world", "mini-smoke",
        "--data", f"folder:{data}", "--generators", "tiny*", "--detectors", "meanbright,myplugin",
        "--perturbations", "identity", "--leaderboard-dir", str(tmp_path / "out"))
    out = result.stdout.str()
    assert result.ret == 0, out[-3000:]
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed") == 1 and "failed" not in outcomes and "error" not in outcomes
    left_out = out[out.index("plugins left out"):]
    assert "'meanbright' from fakebench-meanbright: lacks policy" in left_out


class _Module(torch.nn.Module):
    name, policy = "module-plugin", InputPolicy()

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def score(self, images):
        return torch.sigmoid(images.mean(dim=(1, 2, 3)) + self.weight)


def test_a_duck_typed_torch_plugin_moves_with_to_and_says_where_its_images_go():
    module = _Module()
    detector = as_detector(module)
    assert isinstance(detector, Detector) and detector.device is None  # unmoved: CPU tensors
    assert detector.to("cpu") is detector and detector.device == torch.device("cpu")
    assert detector.score(torch.zeros(2, 3, 8, 8)).tolist() == [0.5, 0.5]


def test_what_each_protocol_check_names():
    class NoScore:
        name, policy = "x", InputPolicy()

    with pytest.raises(ProtocolError, match=r"lacks score\(images\)"):
        as_detector(NoScore())

    class WrongPolicy:
        name, policy = "x", "native"

        def score(self, images):
            return images

    with pytest.raises(ProtocolError, match="policy as a detectors.InputPolicy \\(it is str\\)"):
        as_detector(WrongPolicy())

    class Recon:  # duck-typed: info, fingerprint, reconstruct
        info = GeneratorInfo("recon", family="t", autoencoder="a", denoiser="none", resolution=8)
        fingerprint = "recon-v1"

        def reconstruct(self, images):
            return images

    gen = as_generator(Recon())
    assert isinstance(gen, PluginGenerator) and gen.can_reconstruct and not gen.can_generate
    assert gen.reconstruction_fingerprint == "recon-v1" and gen.device == torch.device("cpu")
    with pytest.raises(NotImplementedError, match="cannot generate"):
        gen.generate(1, seed=0)

    class NoFingerprint(Generator):  # an ABC subclass without fingerprint cannot even be built
        info = Recon.info

    with pytest.raises(TypeError, match="fingerprint"):
        NoFingerprint()

    class NoInfo:
        fingerprint = "v1"

        def generate_indices(self, seed, indices):
            return torch.zeros(len(indices), 3, 8, 8)

    with pytest.raises(ProtocolError, match=r"lacks info \(a fakebench.generators.base.GeneratorInfo\)$|lacks info"):
        as_generator(NoInfo())
