"""Two real processes racing for one artifact build it once; a SIGKILLed holder never deadlocks."""
from __future__ import annotations

import fcntl
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fakebench.core.errors import FakebenchError
from fakebench.core.locks import artifact_lock, build_once, lock_path

REPO = Path(__file__).resolve().parents[1]

RACER = """
import logging, os, sys, time
from pathlib import Path
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s %(message)s")
from fakebench.core.cache import atomic_write_bytes
from fakebench.core.locks import build_once
marker, counter, go = map(Path, sys.argv[1:4])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.005)

def build():
    with counter.open("a") as fh:
        fh.write(f"{os.getpid()}\\n")
    time.sleep(1.5)
    atomic_write_bytes(marker, f"built by {os.getpid()}".encode())
    return marker.read_text()

print("result", build_once(marker, build, marker.read_text, "the test artifact"), flush=True)
"""

HOLDER = """
import sys, time
from pathlib import Path
from fakebench.core.locks import artifact_lock
with artifact_lock(Path(sys.argv[1]), "a held artifact"):
    print("locked", flush=True)
    time.sleep(120)
"""


def _spawn(code: str, *args: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _expect_line(proc: subprocess.Popen, word: str) -> None:
    line = proc.stdout.readline()
    assert line.strip() == word, (line, proc.stderr.read() if proc.poll() is not None else "")


def _is_locked(path: Path) -> bool:
    with open(path, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


@pytest.mark.integration
def test_two_processes_build_once(tmp_path):
    marker, counter, go = tmp_path / "art" / "artifact.txt", tmp_path / "counter.txt", tmp_path / "go"
    procs = [_spawn(RACER, marker, counter, go) for _ in range(2)]
    try:
        for proc in procs:
            _expect_line(proc, "ready")
        go.touch()
        outs = [proc.communicate(timeout=60) for proc in procs]
    finally:
        for proc in procs:
            proc.kill()
    assert [proc.returncode for proc in procs] == [0, 0], [err for _, err in outs]
    assert len(counter.read_text().splitlines()) == 1  # built once
    results = [out.strip() for out, _ in outs]
    assert results[0] == results[1] == f"result {marker.read_text()}"
    waits = [err.count("waiting for another fakebench process building the test artifact") for _, err in outs]
    assert sorted(waits) == [0, 1], outs  # the loser said once what it waited for
    assert str(lock_path(marker)) in "".join(err for _, err in outs)
    assert sorted(p.name for p in marker.parent.iterdir()) == [".artifact.txt.lock", "artifact.txt"]  # no temp


@pytest.mark.integration
def test_killed_holder_does_not_deadlock(tmp_path, caplog):
    marker = tmp_path / "artifact.bin"
    holder = _spawn(HOLDER, marker)
    try:
        _expect_line(holder, "locked")
        assert _is_locked(lock_path(marker))
        caplog.set_level(logging.INFO, logger="fakebench.core.locks")
        with pytest.raises(FakebenchError, match="a blocked artifact"):
            with artifact_lock(marker, "a blocked artifact", timeout=0.3):
                pass
        assert sum("waiting for another fakebench process" in r.getMessage() for r in caplog.records) == 1
        holder.send_signal(signal.SIGKILL)  # dies holding the lock: no cleanup code runs
        holder.wait(timeout=10)
    finally:
        holder.kill()
        holder.communicate()
    assert holder.returncode == -signal.SIGKILL
    assert lock_path(marker).exists() and not _is_locked(lock_path(marker))  # the kernel dropped the flock
    got = build_once(marker, lambda: (marker.write_bytes(b"x"), "built")[1], lambda: "loaded", "the artifact")
    assert got == "built"  # and at once: the lock was free, so nothing was waited for
    assert sum("waiting for another fakebench process" in r.getMessage() for r in caplog.records) == 1
    assert build_once(marker, lambda: "rebuilt", lambda: "loaded", "the artifact") == "loaded"


def test_build_that_forgets_its_marker_is_reported(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="fakebench.core.locks")
    assert build_once(tmp_path / "never", lambda: 1, lambda: 2, "a sloppy artifact") == 1
    assert "did not write" in caplog.text
