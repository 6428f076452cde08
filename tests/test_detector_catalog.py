"""What `fakebench.detectors.catalog` declares of each built-in (shown by `fakebench list detectors`
without building it) is what its factory builds."""
from __future__ import annotations

import pytest
import torch

from fakebench.commands.listing import describe, policy_text
from fakebench.detectors import DETECTORS
from fakebench.detectors.catalog import BUILTINS
from fakebench.detectors.trainable import Trainable


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_declared_metadata_is_what_the_factory_builds(name):
    torch.manual_seed(0)
    detector = DETECTORS.create(name)
    info = DETECTORS.info(name)
    assert info == BUILTINS[name] and DETECTORS.origin(name) == "built-in"
    assert info.description == describe(DETECTORS.factory(name))
    assert info.trainable == isinstance(detector, Trainable)
    assert info.policy == policy_text(detector.policy)
    assert info.parameters == detector.parameter_count()
