"""The detectors a command names: checkpoint files written by `fakebench train` and registered names,
each under the spec it is reported by. Shared by `fakebench score` (through `fakebench.jobs`) and
`fakebench predict`, apart from the jobs so that predicting a few files loads no benchmark machinery."""
from __future__ import annotations

import logging
from pathlib import Path

import torch

from fakebench.core.errors import FakebenchError
from fakebench.detectors.base import Detector
from fakebench.detectors.registry import create_detector
from fakebench.detectors.spec import DetectorSpec
from fakebench.detectors.trained import load_trained

log = logging.getLogger(__name__)


def load_detectors(checkpoints: list[Path], names: list[str], device: str = "cpu",
                   compile: bool = False) -> list[tuple[DetectorSpec, Detector]]:
    """The detectors of checkpoint files written by `fakebench train` (each under the spec it was
    trained by) and of registered names (built as they come, the same on every rank and run); shared
    by `score` and `predict`."""
    found: list[tuple[DetectorSpec, Detector]] = []
    for path in checkpoints:
        detector, info = load_trained(path, device)
        found.append((DetectorSpec.of(info.detector, info.recipe, info.generator, info.kwargs, reals=info.reals),
                      detector))
    for name in names:
        torch.manual_seed(0)  # a detector built with random parts is built the same on every rank and run
        detector = create_detector(name).to(device)
        found.append((DetectorSpec(name, "", ""), detector))
    if not found:
        raise FakebenchError("nothing to score", fix="pass --checkpoint FILE or --detector NAME")
    if compile:
        for spec, detector in found:
            if not detector.compile_network():
                log.warning("--compile: %s has no torch network to compile; it runs as it is", spec.label)
    return found
