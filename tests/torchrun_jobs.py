"""Several jobs in one `torchrun` launch: every rank runs them in turn inside one process group, so the
tests pay torchrun's start-up (three interpreters importing torch) once instead of once per job.

    python -m torch.distributed.run --standalone --nproc_per_node 2 -m tests.torchrun_jobs JOBS.json

JOBS.json is a list of {"kind": "fakebench" | "pytest", "args": [...], "home": FAKEBENCH_HOME,
"cwd": folder, "log": path}; each rank writes the job's stdout to `<log>.rank<r>` and its exit code to
`<log>.rank<r>.rc`. A job that raises ends the launch (a rank left waiting in a collective would hang).
"""
from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
from pathlib import Path


def _run(job: dict) -> int:
    if job["kind"] == "pytest":
        import pytest

        return int(pytest.main(job["args"]))
    from fakebench.cli import main

    return main(job["args"])


def run_jobs(jobs: list[dict]) -> None:
    from fakebench.core import distributed

    rank = os.environ.get("RANK", "0")
    leave = distributed.shutdown
    distributed.shutdown = lambda: None  # each job would leave the group; it is left once, at the end
    try:
        for job in jobs:
            os.environ["FAKEBENCH_HOME"] = job["home"]
            os.chdir(job["cwd"])
            log = Path(f"{job['log']}.rank{rank}")
            with log.open("w") as out, contextlib.redirect_stdout(out):
                try:
                    code = _run(job)
                except BaseException:  # noqa: BLE001 - reported in the log, then the launch ends
                    traceback.print_exc(file=out)
                    out.flush()
                    os._exit(1)
            Path(f"{log}.rc").write_text(str(code))
    finally:
        leave()


if __name__ == "__main__":
    run_jobs(json.loads(Path(sys.argv[1]).read_text()))
