"""Locks on the shared results home, so concurrent fakebench processes build each artifact once.

`artifact_lock(path, what)` holds an exclusive `filelock.FileLock` on a hidden sibling
`.<name>.lock`. On Linux and macOS that is flock(2), which the kernel drops when the holder dies,
even by SIGKILL: a crashed run never leaves a lock that blocks the next one. The empty lock file
itself stays (deleting it while another process waits would let two processes lock different
inodes). Artifacts are still written atomically (`fakebench.core.cache.atomic_path`), so readers never
need the lock; only builders take it. On a filesystem without flock (some network mounts) filelock
falls back to a marker file and warns; recent filelock versions break a marker whose owner died.
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from filelock import FileLock, Timeout

from fakebench.core.errors import FakebenchError

log = logging.getLogger(__name__)

T = TypeVar("T")


def lock_path(path: Path) -> Path:
    """The lock file guarding `path`: `.<name>.lock` beside it."""
    path = Path(path)
    return path.parent / f".{path.name}.lock"


@contextlib.contextmanager
def artifact_lock(path: Path, what: str, timeout: float | None = None) -> Iterator[Path]:
    """Hold the lock guarding `path` (yields the lock file's path). If another process holds it,
    say once what we wait for, then wait (at most `timeout` seconds, if given)."""
    lock_file = lock_path(path)
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(lock_file)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log.info("waiting for another fakebench process building %s (%s)", what, lock_file)
        try:
            lock.acquire(timeout=-1 if timeout is None else timeout)
        except Timeout:
            raise FakebenchError(
                f"gave up after {timeout:g} s waiting for another fakebench process building {what} ({lock_file})",
                fix="wait for the other run to finish (a killed process releases its lock by itself)") from None
    try:
        yield lock_file
    finally:
        lock.release()


def build_once(final_marker: Path, build: Callable[[], T], load: Callable[[], T], what: str) -> T:
    """Build an artifact once across processes (double-checked locking) and return it.

    If `final_marker` exists the artifact is complete: `load()` it, without locking. Otherwise take the
    lock, check again (another process may have finished while we waited) and `build()`. `build` must
    write `final_marker` last and atomically, so that it exists only once the artifact is whole."""
    final_marker = Path(final_marker)
    if final_marker.exists():
        return load()
    with artifact_lock(final_marker, what):
        if final_marker.exists():
            return load()
        result = build()
        if not final_marker.exists():
            log.warning("building %s did not write %s: the next run will build it again", what, final_marker)
    return result
