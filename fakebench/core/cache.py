"""The results home, content-addressed keys and atomic writes.

Every artifact (image set, checkpoint, score table) lives under ``home()/<kind>/<key>``, where the
key hashes everything that determines it. A file is written under a temporary name and renamed, so
a killed run never leaves a half-written file that a later run would trust.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import secrets
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fakebench.core.errors import FakebenchError
from fakebench.core.numerics import cache_suffix
from fakebench.core.version import __version__

log = logging.getLogger(__name__)

# Bumped whenever a change in code changes what an artifact contains, so old caches are not reused.
CACHE_SCHEMA = 4  # 2: training batches by DistributedSampler, scores by fixed work units; 3: channels-last models;
# 4: pinned CPU numerics (fakebench.core.numerics)


def home() -> Path:
    """The results home: $FAKEBENCH_HOME, else the user cache folder."""
    env = os.environ.get("FAKEBENCH_HOME")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "fakebench"


def ensure_writable_dir(path: Path, what: str = "results folder") -> Path:
    """Create `path` and prove it is writable, or raise a one-line error that names it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe-"):
            pass
    except OSError as exc:
        raise FakebenchError(
            f"{what} {str(path)!r} is not writable ({exc.strerror or exc})",
            fix="choose a writable folder (e.g. set FAKEBENCH_HOME or pass another directory)",
        ) from None
    return path


def artifact_dir(kind: str, key: str) -> Path:
    """home()/kind/key; a fast-numerics run's artifacts get their own keys (machine-specific bits)."""
    return home() / kind / (key + cache_suffix())


def _canonical(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {k: _canonical(v) for k, v in dataclasses.asdict(obj).items()}
    if isinstance(obj, dict):
        return {str(k): _canonical(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj  # floats stay numbers: json writes their shortest round-trip repr, stable across runs


def stable_hash(*parts: Any, length: int = 16) -> str:
    """Hash of JSON-able parts (dataclasses included), salted with the code version and schema."""
    payload = json.dumps(
        [__version__, CACHE_SCHEMA, [_canonical(p) for p in parts]], sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:length]


def bytes_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _create_temp(path: Path) -> tuple[int, Path]:
    """Open a new hidden sibling of `path` for writing. Mode 0o666 lets the umask decide, as for any
    written file, without a chmod; O_EXCL makes the name ours alone. (One file creation is the whole
    cost on some filesystems, so nothing here opens or touches the file twice.)"""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)


def _commit(tmp: Path, path: Path) -> None:
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling of `path` (for writers that want a path); on success it is renamed
    onto `path`, else removed."""
    fd, tmp = _create_temp(path)
    os.close(fd)
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _commit(tmp, path)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _commit(tmp, path)


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_bytes(path, (json.dumps(_canonical(obj), indent=2, sort_keys=True) + "\n").encode())


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text())


def cached_json(kind: str, key: str, compute: Callable[[], Any], keep: Callable[[Any], bool] = lambda _: True) -> Any:
    """A JSON result computed once per `key` and kept at home()/kind/key.json, so a warm run reads
    evidence that is not a score (an audit, a count) the way it reads scores. `key` must hash all the
    result reads (stable_hash adds the code's cache schema). An entry that is unreadable or from
    another key or schema is recomputed with one log line, never trusted and never fatal. `keep` says
    whether a fresh result may be kept (an error is not). Fresh and cached results are the same JSON."""
    path = home() / kind / f"{key}.json"
    stamp = {"schema": CACHE_SCHEMA, "version": __version__, "key": key}
    if path.is_file():
        try:
            entry = read_json(path)
            if {k: entry.get(k) for k in stamp} == stamp:
                return entry["value"]
            log.info("%s cache entry %s is from another schema or key: recomputed", kind, path)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.info("%s cache entry %s is unreadable (%s): recomputed", kind, path, exc)
    value = json.loads(json.dumps(_canonical(compute()), sort_keys=True))
    if keep(value):
        try:
            atomic_write_json(path, {**stamp, "value": value})
        except OSError as exc:  # a read-only home still gets its result, only not kept
            log.info("%s cache entry %s not written (%s)", kind, path, exc)
    return value
