"""The built-in detectors by name, with what `fakebench list detectors` shows of them, declared without
importing them: naming or listing a detector loads no model and no torch. Each factory lives in
`fakebench.detectors.builtin` and is imported when a detector is first built; tests/test_detector_catalog.py
builds each one and checks that what is declared here is what it builds."""
from __future__ import annotations

from dataclasses import dataclass

from fakebench.detectors.registry import DETECTORS

BUILTIN = "fakebench.detectors.builtin"


@dataclass(frozen=True)
class DetectorInfo:
    """What a listing shows of a built-in detector at its default arguments, without building it."""

    description: str  # the first line of its factory's docstring
    trainable: bool  # whether the recipes can train it (`fakebench.detectors.trainable.Trainable`)
    policy: str  # its input policy as `fakebench list detectors` writes it
    parameters: int | None  # parameter count at the default arguments; None where it has no network


BUILTINS: dict[str, DetectorInfo] = {
    "resnet50": DetectorInfo(
        "The paper's ResNet-50 (width 64). The mini world uses width 16 to train on a laptop CPU. `jpeg`: see",
        True, "native, min side 32", 23_510_081),
    "resnet50-nodown": DetectorInfo(
        "ResNet-50 without the stem's downsampling (stride-1 first conv), as Corvi et al. train it; `width`",
        True, "native, min side 16", 23_510_081),
    "mobilenetv2": DetectorInfo(
        "torchvision's MobileNetV2 with a 1-logit head (2.2 M parameters; 0.3 GFLOPs at 224 px, the ResNet-50 4.1);",
        True, "native, min side 32", 2_225_153),
    "mobilenetv2-nodown": DetectorInfo(
        "MobileNetV2 without the stem's downsampling (stride-1 first conv), as `resnet50-nodown`; the same",
        True, "native, min side 16", 2_225_153),
    "small-cnn": DetectorInfo(
        "A four-stage CNN (about 0.07 M parameters): trains in seconds, for fast runs.",
        True, "native, min side 16", 60_753),
    "freq-lr": DetectorInfo(
        "Spectral + block-DCT features and a logistic regression: what a non-deep detector gets.",
        True, "native, min side 16", None),
    "npr": DetectorInfo(
        "Tan et al.'s NPR network (width 64: the paper's, 1.44 M parameters; 16: 0.09 M, for a CPU), trained",
        True, "native, min side 16", 1_437_761),
    "aeroblade": DetectorInfo(
        "Ricker et al.'s AEROBLADE with L2: the closer an image to its round trip through `generator`'s",
        False, "native, min side 16", None),
    "rt-ratio": DetectorInfo(
        "The content-normalised reconstruction score -log(|x - RT(x)|^2 / |RT(x) - RT(RT(x))|^2). Training-free.",
        False, "native, min side 16", None),
}

for _name, _info in BUILTINS.items():
    DETECTORS.declare(_name, f"{BUILTIN}:{_name.replace('-', '_')}", _info)
