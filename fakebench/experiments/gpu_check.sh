#!/usr/bin/env bash
# The GPU check of the taef2 world, in one go: install into a fresh virtualenv, run
#   pytest benchmark/ --world taef2 --device cuda
# and write the leaderboard (markdown, CSV, JSON, HTML) to $OUT (default results-taef2/).
# Meant to finish within 8 minutes on one modern GPU from an empty cache: on one H200 it took 7 min 0 s
# (docs/lab-notes/gpu-runs.md: three trainings of 70-77 s, then the claims and 40 cases).
# It prints the wall time of each step, the GPU, and where the leaderboard is. Extra arguments go to
# pytest (-k ..., --seeds ...).
# It runs with --fast-numerics: a GPU picks its own kernels (cuDNN, cuBLAS), so its numbers are machine-specific
# anyway, and the pinned mode's two CPU threads would only slow the data side of a many-core GPU host.
# Training and scoring use DataLoader workers there (half the cores, up to 8): they change no number.
#
#   bash fakebench/experiments/gpu_check.sh                 # from the repository root
#   OUT=/tmp/taef2 bash fakebench/experiments/gpu_check.sh -k "taef2 or claims"
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-results-taef2}
VENV=${VENV:-.venv-gpu}
export FAKEBENCH_HOME=${FAKEBENCH_HOME:-$PWD/.fakebench-gpu-home}  # a cold cache unless you point it elsewhere

start=$(date +%s)
step() { echo "[gpu_check $(( $(date +%s) - start ))s] $*"; }

if [ "${SKIP_INSTALL:-0}" = 1 ]; then  # offline machines: VENV=/path/to/a/ready/venv SKIP_INSTALL=1 (fakebench installed)
  step "using the installed $VENV"
else
  step "install into $VENV"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  "$VENV/bin/pip" install --quiet -e '.[parquet]'
fi
"$VENV/bin/python" - <<'PY'
import torch
if not torch.cuda.is_available():
    raise SystemExit("gpu_check: torch sees no CUDA GPU here (install a CUDA build of torch, or run the "
                     "CPU smoke world: pytest benchmark/ --world taef2-smoke)")
print("gpu_check: torch", torch.__version__, "on", torch.cuda.get_device_name(0))
PY

step "verify the committed weights (mini world and TAEF2)"
"$VENV/bin/python" -m fakebench mini verify

step "pytest benchmark/ --world taef2 --device cuda"
set +e
"$VENV/bin/python" -m pytest benchmark/ --world taef2 --device cuda --fast-numerics --leaderboard-dir "$OUT" \
  -q -rsxX --durations=15 "$@"
status=$?
set -e

step "done: pytest exit status $status (1: some case or claim missed its floor, which is a finding)"
echo "leaderboard: $OUT/leaderboard.md  (also leaderboard.csv, leaderboard.json, report.html, scores.parquet)"
[ -f "$OUT/leaderboard.md" ] || { echo "gpu_check: no leaderboard was written"; exit 2; }
if [ "$status" -gt 1 ]; then exit "$status"; fi  # cases below their floor are findings; a crash fails
exit 0
