"""Weights files load as tensors only: a malicious pickle is refused without running any of its code."""
from __future__ import annotations

import os
import pathlib
import pickle

import pytest
import torch
from safetensors.torch import save_file

from fakebench.core.errors import BadWeightsError, FakebenchError, UnsafePickleError
from fakebench.core.safeload import load_tensors


class TouchOnLoad:
    """Unpickling this calls Path.touch(marker): the classic pickle payload, made harmless."""

    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


class SystemOnLoad:
    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _state() -> dict[str, torch.Tensor]:
    return torch.nn.Linear(3, 2).state_dict()


def test_payload_is_live_under_plain_pickle(tmp_path):
    """Guard for the tests below: the same payload does run when plain pickle loads it."""
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(TouchOnLoad(marker)))
    assert marker.exists()


@pytest.mark.parametrize("how", ["torch.save+system", "torch.save+touch", "pickle.dump+touch"])
def test_malicious_pickle_is_refused_without_running(tmp_path, how):
    marker = tmp_path / "pwned"
    payload = SystemOnLoad(marker) if how.endswith("system") else TouchOnLoad(marker)
    evil = tmp_path / "evil.pth"
    obj = {"weight": torch.zeros(2), "extra": payload}
    if how.startswith("torch.save"):
        torch.save(obj, evil)
    else:
        with evil.open("wb") as fh:
            pickle.dump(obj, fh)
    with pytest.raises(UnsafePickleError) as info:
        load_tensors(evil)
    assert isinstance(info.value, FakebenchError) and info.value.reason == "unsafe-pickle"
    assert str(evil) in str(info.value) and "beyond tensors" in str(info.value)
    assert ("posix.system" if how.endswith("system") else "pathlib.Path") in str(info.value)
    assert "safetensors" in info.value.fix and "trusted" in info.value.fix
    assert not marker.exists()  # not one instruction of the payload ran


def test_plain_and_nested_state_dicts_load(tmp_path):
    state = _state()
    for name, obj in {"plain.pth": state, "lightning.ckpt": {"state_dict": state, "epoch": 3, "hparams": {"lr": 1}},
                      "timm.pt": {"model": state, "optimizer": {"lr": 0.1}}, "hf.bin": state}.items():
        torch.save(obj, tmp_path / name)
        got = load_tensors(tmp_path / name)
        assert got.keys() == state.keys(), name
        assert all(torch.equal(got[k], state[k]) for k in state)
    torch.save({"encoder": state, "step": 5}, tmp_path / "nested.pt")
    assert set(load_tensors(tmp_path / "nested.pt")) == {f"encoder.{k}" for k in state}


def test_safetensors_load_and_truncated_is_named(tmp_path):
    state = _state()
    good = tmp_path / "model.safetensors"
    save_file(state, good)
    got = load_tensors(good)
    assert all(torch.equal(got[k], state[k]) for k in state)
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(good.read_bytes()[:-10])
    with pytest.raises(BadWeightsError) as info:
        load_tensors(cut)
    assert info.value.reason == "truncated" and str(cut) in str(info.value) and info.value.fix


def test_other_bad_files(tmp_path):
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(_state()))
    (tmp_path / "dumped.pth").write_bytes(pickle.dumps(_state()))  # plain pickle: torch's safe loader refuses it
    (tmp_path / "empty.pt").write_bytes(b"")
    (tmp_path / "text.pth").write_bytes(b"not a checkpoint at all")
    torch.save(_state(), tmp_path / "full.pt")
    (tmp_path / "cut.pt").write_bytes((tmp_path / "full.pt").read_bytes()[:200])
    torch.save([torch.zeros(1)], tmp_path / "list.pt")
    expected = {"model.pkl": "unsupported-format", "dumped.pth": "unsafe-pickle", "empty.pt": "truncated",
                "text.pth": "corrupt", "cut.pt": "truncated", "list.pt": "no-tensors", "absent.safetensors": "missing"}
    for name, reason in expected.items():
        with pytest.raises(BadWeightsError) as info:
            load_tensors(tmp_path / name)
        assert info.value.reason == reason, (name, str(info.value))
        assert name in str(info.value)
