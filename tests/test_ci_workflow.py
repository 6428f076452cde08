"""The CI leaderboard workflow runs the benchmark and publishes what it wrote, where it wrote it."""
from pathlib import Path

import yaml

WORKFLOW = Path(__file__).resolve().parents[1] / ".github" / "workflows" / "leaderboard.yml"


def test_leaderboard_workflow_publishes_the_reports_the_benchmark_writes():
    doc = yaml.safe_load(WORKFLOW.read_text())
    steps = doc["jobs"]["leaderboard"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    bench = next(s["run"] for s in steps if "pytest benchmark/" in s.get("run", ""))
    out = bench.split("--leaderboard-dir")[1].split()[0]
    assert f"fakebench summary {out} --detail short --markdown >> \"$GITHUB_STEP_SUMMARY\"" in runs
    assert f"fakebench report --compare previous/scores.parquet {out}/scores.parquet" in runs
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["path"].rstrip("/") == out and upload["if"] == "always()"
    assert 'if [ "$status" -gt 1 ]; then exit "$status"; fi' in bench  # below-floor cases are findings, crashes fail
    assert "pip install -e '.[dev]'" in runs  # pyarrow comes with it, so the store is Parquet


def test_ci_script_installs_chromium_and_keeps_the_readme_test_command():
    """The browser test must run in CI, never skip: .ci/run installs Chromium when it is missing and
    makes its absence a failure; the test command is the README's."""
    script = (WORKFLOW.parents[2] / ".ci" / "run").read_text()
    readme = (WORKFLOW.parents[2] / "README.md").read_text()
    assert "apt-get update" in script and "apt-get install -y" in script and "chromium" in script
    assert "FAKEBENCH_REQUIRE_CHROMIUM=1" in script
    command = ".venv/bin/python -m pytest tests/"
    assert command in script and command in readme
