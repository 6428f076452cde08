"""What a person sees at the end of a run: the terminal summary, the top of leaderboard.md and the CI
job summary lead with the answer (ranking, Table-3-style table, one line per claim, failed floors,
report paths), fit the width, and degrade gracefully on older or empty results folders."""
import json
import math
import shutil
from dataclasses import asdict
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from fakebench.cli import main
from fakebench.core.version import __version__
from fakebench.evaluation.claims import CLAIMS, ClaimContext
from fakebench.evaluation.metrics import BootstrapConfig
from fakebench.evaluation.store import read_store
from fakebench.leaderboard.reports import write_reports
from fakebench.leaderboard.results import read_results
from fakebench.leaderboard.run_record import read_run_record
from fakebench.leaderboard.summary import (
    FLOOR_MISS,
    POST_PROCESSED,
    REALS_ROW,
    FloorMiss,
    floor_groups,
    summary_markdown,
    summary_text,
    verdict_word,
)
from fakebench.pytest_plugin import floor_misses

STORED_RUN = Path(__file__).parent / "data" / "mini_smoke_run"


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """The stored mini-smoke run's reports, rebuilt as `fakebench report` would, with two floor misses."""
    out = tmp_path_factory.mktemp("results")
    store = out / "scores.parquet"
    shutil.copy(STORED_RUN / "scores.parquet", store)
    floors = [FloorMiss("baseline-resnet50", "mini-sd", "resize0.5", 0, 0.25, 0.6),
              FloorMiss("baseline-resnet50", "mini-playground", "resize0.75", 0, 0.4, 0.6)]
    write_reports(read_store(store), out, BootstrapConfig(resamples=50),
                  cost=json.loads((STORED_RUN / "cost.json").read_text()),
                  run_record=read_run_record(STORED_RUN / "scores.parquet"), floors=floors)
    return out


def _sections(text: str) -> list[str]:
    """The summary's section openings, in the order they appear."""
    marks = {"ranking": "ranking (", "table": "by training recipe", "claims": "claims:",
             "floors": "failed floors:", "paths": "reports in "}
    found = {name: text.find(mark) for name, mark in marks.items() if mark in text}
    return sorted(found, key=found.get)


@pytest.mark.parametrize("width", [120, 80])
def test_summary_of_a_stored_run_leads_with_the_answer_and_fits_the_width(results, width):
    summary = read_results(results)
    text = summary_text(summary, width)
    lines = text.splitlines()
    assert max(map(len, lines)) <= width and len(lines) <= 60
    assert _sections(text) == ["ranking", "table", "claims", "floors", "paths"]
    # Table 3: the paper's detector by recipe, a row per generator and the reals, clean / post-processed
    table = text[text.index("by training recipe"):text.index("claims:")]
    assert "baseline" in table and "aligned" in table and POST_PROCESSED in table
    for row in ("mini-sd", "mini-playground", "mini-othervae", "taef2", REALS_ROW):
        assert any(line.startswith(row + " ") for line in table.splitlines()), row
    # every claim: its own line with its id, its verdict and (when it has one) its value's interval
    assert len(summary.claims) == len(CLAIMS)
    for r in summary.claims:
        line = next(line for line in lines if line.startswith(r.id + " "))
        assert verdict_word(r) in line or width < 120, (r.id, line)
        if not math.isnan(r.lo):
            assert f"[{r.lo:+.3f}, {r.hi:+.3f}]" in line
    words = " ".join(text.split())  # wrapped lines joined
    assert "indicative" in words and "--seeds 0,1,2 judges" in words  # one seed: the verdicts are indicative, and why
    # the two floor misses are one group: one detector, one perturbation family
    assert "baseline-resnet50 / resize: 2 cases, worst 0.250 < floor 0.60" in text
    assert str(results) in words and "report.html" in text


def test_summary_modes_and_the_ci_markdown(results, capsys):
    summary = read_results(results)
    full, short, none = (summary_text(summary, 120, d) for d in ("full", "short", "none"))
    assert "ranking (" in full and "ranking (" not in short and "claims:" in short
    assert _sections(none) == ["paths"]
    assert main(["summary", str(results), "--detail", "short", "--markdown"]) == 0
    md = capsys.readouterr().out
    assert md.index("Table 3") < md.index("## Claims") < md.index("## Failed floors") and "Overall ranking" not in md
    assert "| C4b " in md and "| mini-othervae " in md


def test_leaderboard_md_leads_with_the_summary_then_the_grids_then_the_protocol_collapsed(results):
    md = (results / "leaderboard.md").read_text()
    order = ["## Overall ranking", "## Results like the paper's Table 3", "## Claims", "## Failed floors",
             "## In full", "### Detection per generator", "### mini-sd", "<details>", "## Protocol", "</details>"]
    assert [md.index(mark) for mark in order] == sorted(md.index(mark) for mark in order)
    run_record = md[md.index("<details>"):]
    assert "augment=light (crop=32)" in run_record and "augment.blur_prob" not in run_record  # preset + what differs
    doc = json.loads((results / "leaderboard.json").read_text())
    assert doc["roles"]["backbone"] == "resnet50" and len(doc["failed_floors"]) == 2


def test_report_html_shows_only_the_perturbations_each_detector_ran(results):
    page = (results / "report.html").read_text()
    assert page.index('id="ranking"') < page.index('id="table3"') < page.index('id="claims"') < page.index('id="plots"')
    # the zoo detectors ran identity, jpeg75 and resize0.5 only: no column for the ResNet's other cases
    small = page[page.index("<h4>aligned-small-cnn</h4>"):]
    small = small[:small.index("</table>")]
    assert "jpeg75 @0.5" in small and "jpeg50" not in small and "n/a" not in small
    for name in ("resize_probability", "resize", "jpeg", "webp", "real_fpr", "claims"):
        section = page[page.index(f'id="plot-section-{name}"'):]
        section = section[:section.index("</section>")]
        assert "<h3>" in section and "<figcaption>" in section, name


def test_an_older_results_folder_renders_what_it_can_and_names_what_is_missing(results, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(results, old)
    doc = json.loads((old / "leaderboard.json").read_text())
    for key in ("roles", "failed_floors"):  # written since this version
        del doc[key]
    for case in doc["cases"]:
        del case["real_acc"]
    for claim in doc["claims"]:
        del claim["outcome"], claim["judged"]
    first = doc["claims"][0]["id"]
    del doc["claims"][0]["verdict"]
    (old / "leaderboard.json").write_text(json.dumps(doc))
    text = summary_text(read_results(old), 120)
    assert "ranking (" in text and "by training recipe" not in text  # the ranking renders, Table 3 cannot
    assert "paper table: column(s) real_acc" in text and f"claim {first}: field(s) verdict" in text
    assert "C2a " in text and "failed floors" not in text  # floors unknown: not claimed to be none
    assert max(map(len, text.splitlines())) <= 120
    (old / "leaderboard.json").unlink()  # older still: only the CSV
    text = summary_text(read_results(old), 120)
    assert "ranking (" in text and "claims (leaderboard.json is absent)" in text


def test_an_empty_store_or_folder_says_so_and_names_the_command(tmp_path, capsys):
    assert main(["summary", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "nothing to summarise" in out and "pytest benchmark/" in out
    assert main(["summary", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    empty = pd.read_parquet(STORED_RUN / "scores.parquet").iloc[:0]
    write_reports(empty, tmp_path / "empty", BootstrapConfig(resamples=10))
    text = summary_text(read_results(tmp_path / "empty"))
    assert "nothing to summarise" in text and "pytest benchmark/" in text


def test_failed_floors_are_grouped_by_detector_and_perturbation_family():
    misses = [FloorMiss("baseline-resnet50", g, p, 0, v, 0.6) for g, p, v in [
        ("mini-sd", "resize0.5", 0.3), ("mini-sd", "resize0.25", 0.2), ("mini-playground", "resize0.5", 0.4),
        ("mini-sd", "resize0.5+jpeg75", 0.3), ("mini-sd", "jpeg30", 0.5)]]
    misses.append(FloorMiss("aligned-resnet50", "mini-sd", "webp50", 0, 0.55, 0.6))
    groups = floor_groups(misses)
    assert list(zip(groups["detector"], groups["family"], groups["cases"])) == [
        ("baseline-resnet50", "resize", 3), ("baseline-resnet50", "resize+jpeg", 1),
        ("baseline-resnet50", "jpeg", 1), ("aligned-resnet50", "webp", 1)]
    assert groups["worst"].iloc[0] == 0.2
    # the plugin reads the misses test_case records on its failed reports, and nothing else
    reports = [SimpleNamespace(user_properties=[(FLOOR_MISS, asdict(misses[0]))]),
               SimpleNamespace(user_properties=[("other", 1)])]
    assert floor_misses(reports) == [misses[0]]


def _default_run_store(seed: int = 0) -> tuple[pd.DataFrame, list[FloorMiss]]:
    """A store shaped like the default `pytest benchmark/` run (the mini world's cases), random scores."""
    from fakebench.benchmark.cases import build_cases
    from fakebench.benchmark.world_files import load_world

    rng = np.random.default_rng(seed)
    cases = build_cases(load_world("mini"))
    frames, misses = [], []
    for detector in sorted({c.detector.label for c in cases}):
        frames.append(pd.DataFrame({"case_id": f"{detector}-calibration", "detector": detector, "generator": "",
                                    "split": "calibration", "perturbation": "identity", "image_id": [
                                        f"c{i}" for i in range(10)], "label": 0, "score": rng.random(10)}))
    for c in cases:
        shift = rng.uniform(-0.2, 0.4)
        frames.append(pd.DataFrame({
            "case_id": c.case_id, "detector": c.detector.label, "generator": c.generator, "split": "test",
            "perturbation": c.perturbation, "image_id": [f"r{i}" for i in range(8)] + [f"f{i}" for i in range(8)],
            "label": [0] * 8 + [1] * 8,
            "score": np.clip(np.r_[rng.random(8) * 0.6, rng.random(8) * 0.6 + shift], 0, 1)}))
        if shift < 0.1:
            misses.append(FloorMiss(c.detector.label, c.generator, c.perturbation, 0, 0.5 + shift / 2, c.floor))
    scores = pd.concat(frames, ignore_index=True).assign(checkpoint="abc", seed=0, bench_seed=0, error="",
                                                         fakebench_version=__version__)
    return scores, misses


def test_the_default_runs_summary_fits_120_columns_and_60_lines(tmp_path):
    scores, misses = _default_run_store()
    from fakebench.benchmark.session import world_claim_roles
    from fakebench.benchmark.world_files import load_world

    write_reports(scores, tmp_path, BootstrapConfig(resamples=10), floors=misses,
                  claims=ClaimContext.from_roles(scores, world_claim_roles(load_world("mini"))))
    summary = read_results(tmp_path)
    text = summary_text(summary, 120)
    lines = text.splitlines()
    assert len(lines) <= 60 and max(map(len, lines)) <= 120, f"{len(lines)} lines:\n{text}"
    assert _sections(text) == ["ranking", "table", "claims", "floors", "paths"]
    header = next(line for line in lines if line.split()[:1] == ["baseline"])
    assert header.split() == ["baseline", "aligned", "aligned-sync", "shader"]  # the paper's four recipes
    assert all(any(line.startswith(r.id + " ") for line in lines) for r in summary.claims)
    narrow = summary_text(summary, 80).splitlines()
    assert max(map(len, narrow)) <= 80
    markdown = summary_markdown(summary, "short")
    assert "Overall ranking" not in markdown and "| reals " in markdown
