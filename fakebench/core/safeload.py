"""Loading weights files without running code from them.

A pickle (.pt, .pth, .bin, .ckpt) can execute anything while it loads; a safetensors file cannot.
So `.safetensors` goes through safetensors, and pickle-based files through
``torch.load(weights_only=True)``, whose restricted unpickler rebuilds tensors and plain containers
only and refuses any other global *before* calling it. Plain `pickle` and ``weights_only=False`` are
never used here: a refused file is an error that names it and says how to get a safe copy.
"""
from __future__ import annotations

import logging
import pickle  # only for its exception class: nothing here unpickles with it
import pickletools  # reads opcodes to name what a refused pickle holds; executes nothing
import re
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from fakebench.core.errors import BadWeightsError, UnsafePickleError

log = logging.getLogger(__name__)

SAFETENSORS_SUFFIXES = (".safetensors",)
PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt")
# Keys under which trainers nest the state dict (Lightning, timm/DeiT, DDP wrappers, ...), tried in order.
NESTING_KEYS = ("state_dict", "model_state_dict", "model", "module", "net", "network")

_TO_SAFETENSORS = ("get a .safetensors version of it from a trusted source, or convert it to safetensors "
                   "on a machine where you trust its origin")


def _bad(path: Path, reason: str, detail: str, fix: str) -> BadWeightsError:
    return BadWeightsError(f"weights file {str(path)!r} cannot be loaded ({reason}): {detail}", fix,
                           reason=reason, path=str(path))


def _has_tensors(obj: Any) -> bool:
    if isinstance(obj, torch.Tensor):
        return True
    return isinstance(obj, Mapping) and any(_has_tensors(v) for v in obj.values())


def _unwrap(obj: Any) -> Any:
    """{"state_dict": {...}, "epoch": 3, ...} -> the inner dict, as deep as trainers nest it."""
    for _ in range(4):
        inner = next((obj[k] for k in NESTING_KEYS if isinstance(obj, Mapping) and isinstance(obj.get(k), Mapping)
                      and _has_tensors(obj[k])), None)
        if inner is None:
            return obj
        obj = inner
    return obj


def _flatten(obj: Mapping, prefix: str, out: dict[str, torch.Tensor]) -> int:
    """Tensors of a nested mapping as "a.b" keys; returns how many non-tensor leaves were dropped."""
    dropped = 0
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, torch.Tensor):
            out[name] = value
        elif isinstance(value, Mapping):
            dropped += _flatten(value, f"{name}.", out)
        else:
            dropped += 1
    return dropped


def _load_safetensors(path: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(path, device="cpu")
    except SafetensorError as exc:
        text = str(exc)
        cut = any(s in text for s in ("incomplete", "too small", "not fully covered", "invalid header length"))
        raise _bad(path, "truncated" if cut else "corrupt", f"safetensors says: {text}",
                   "the file is damaged or was cut short (an interrupted download?): fetch it again") from None


def _pickle_bytes(path: Path) -> bytes:
    """The pickle stream of a checkpoint (data.pkl inside torch's zip format), read, never run."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            name = next((n for n in zf.namelist() if n.endswith("data.pkl")), None)
            return zf.read(name) if name else b""
    return path.read_bytes()


def _referenced_globals(data: bytes) -> list[str]:
    """Globals a pickle stream (or several back to back, as torch's legacy format has) would import,
    found by reading its opcodes: pickletools decodes, it runs nothing."""
    found: list[str] = []
    strings: list[str] = []
    memo: dict[int, str] = {}
    pos = 0
    try:
        while pos < len(data):
            for op, arg, at in pickletools.genops(data[pos:]):
                if op.name in ("GLOBAL", "INST"):
                    found.append(str(arg).replace(" ", "."))
                elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
                    found.append(f"{strings[-2]}.{strings[-1]}")
                elif isinstance(arg, str) and ("UNICODE" in op.name or "STRING" in op.name):
                    strings.append(arg)
                elif op.name == "MEMOIZE" and strings:
                    memo[len(memo)] = strings[-1]
                elif op.name in ("BINGET", "LONG_BINGET", "GET") and arg in memo:
                    strings.append(memo[arg])
                if op.name == "STOP":
                    pos += at + 1
                    break
            else:
                break
    except Exception:  # noqa: BLE001 - raw storage bytes or a malformed stream: keep what was found
        pass
    return found


def _beyond_tensors(name: str) -> bool:
    return not (name.startswith("torch.") or name in ("collections.OrderedDict", "_codecs.encode"))


def _refused(path: Path, exc: pickle.UnpicklingError) -> BadWeightsError:
    """Torch's safe unpickler refused the file: name what it holds, without running any of it."""
    try:
        data = _pickle_bytes(path)
    except (OSError, zipfile.BadZipFile):
        data = b""
    referenced = _referenced_globals(data)
    if not (data.startswith(b"\x80") or referenced):  # not a pickle at all: damaged, not a threat
        return _bad(path, "corrupt", "not a torch checkpoint or pickle", "fetch the file again, or use .safetensors")
    found = re.search(r"GLOBAL ([\w.]+)", str(exc))
    beyond = sorted({g for g in referenced if _beyond_tensors(g)}) or ([found.group(1)] if found else [])
    what = (f"holds objects beyond tensors (it references {', '.join(beyond[:3])})" if beyond
            else "uses pickle features that torch's safe loader refuses, so it may hold objects beyond tensors")
    return UnsafePickleError(f"weights file {str(path)!r} {what}; fakebench loads pickles only through torch's "
                             f"safe unpickler and refused it without running any of its code", _TO_SAFETENSORS,
                             reason="unsafe-pickle", path=str(path))


def _load_pickle(path: Path) -> Any:
    try:
        with warnings.catch_warnings():  # torch warns about pickle protocols it then refuses anyway
            warnings.simplefilter("ignore", UserWarning)
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "weights only load failed" in str(exc).lower() or "unsupported global" in str(exc).lower():
            raise _refused(path, exc) from None
        raise _bad(path, "corrupt", f"not a readable torch checkpoint ({exc})",
                   "fetch the file again, or use a .safetensors version") from None
    except EOFError:
        raise _bad(path, "truncated", "the file ends before its data does (empty or cut short)",
                   "fetch the file again") from None
    except (RuntimeError, KeyError, ValueError, OSError) as exc:
        text = str(exc).split("\n")[0][:200] or type(exc).__name__
        reason = "truncated" if "central directory" in text or "truncat" in text else "corrupt"
        raise _bad(path, reason, f"not a readable torch checkpoint ({text})",
                   "fetch the file again, or use a .safetensors version") from None


def load_tensors(path: Path) -> dict[str, torch.Tensor]:
    """Name -> CPU tensor from a .safetensors file or a pickle-based checkpoint (tensors only).

    Common nestings ({"state_dict": ...}, {"model": ...}) are unwrapped and nested dicts flattened to
    dotted names; non-tensor entries (epoch counters, hyper-parameters) are dropped. Raises
    `BadWeightsError` (`UnsafePickleError` for a pickle holding other objects) naming the file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SAFETENSORS_SUFFIXES + PICKLE_SUFFIXES:
        raise _bad(path, "unsupported-format", f"{suffix or 'no extension'} is not a weights format fakebench reads",
                   f"use a .safetensors file (or one of {', '.join(PICKLE_SUFFIXES)})")
    if not path.is_file():
        raise _bad(path, "missing", "no such file", "check the path")
    if suffix in SAFETENSORS_SUFFIXES:
        return _load_safetensors(path)
    obj = _unwrap(_load_pickle(path))
    if isinstance(obj, torch.Tensor) or not isinstance(obj, Mapping):
        raise _bad(path, "no-tensors", f"it holds a {type(obj).__name__}, not a mapping of names to tensors",
                   "save the model's state_dict() instead")
    tensors: dict[str, torch.Tensor] = {}
    dropped = _flatten(obj, "", tensors)
    if not tensors:
        raise _bad(path, "no-tensors", "it holds no tensors", "save the model's state_dict() instead")
    if dropped:
        log.debug("%s: dropped %d non-tensor entries", path, dropped)
    return tensors
