"""Issue 24's ablation: its worlds are the lite world cut to the table (the reference) plus one change each,
every claim is still judged in each, and the table is assembled from results folders that the real report
writer wrote."""
import dataclasses
import json
import logging
import math

import numpy as np
import pandas as pd
import pytest

from fakebench.benchmark.cases import build_cases
from fakebench.benchmark.session import BenchSession
from fakebench.benchmark.world import ClaimsSettings, Reals, Roles, TestSets
from fakebench.benchmark.world_files import SCHEMA, builtin_dir, builtin_worlds, load_world
from fakebench.core.provenance import provenance, write_run_json
from fakebench.core.version import __version__
from fakebench.evaluation.claims import CLAIMS, ClaimContext
from fakebench.evaluation.metrics import BootstrapConfig
from fakebench.evaluation.store import STORE_COLUMNS
from fakebench.experiments.ablation import (
    ABLATIONS,
    FOLDER,
    RECORD,
    REFERENCE,
    finished,
    run_world,
    world_path,
    world_ref,
)
from fakebench.leaderboard.ablation_table import (
    PAPER_ROW,
    AblationRun,
    read_row,
    write_ablation_table,
)
from fakebench.leaderboard.reports import write_reports
from fakebench.leaderboard.summary import CLEAN, POST_PROCESSED

SAME_WORLD = {"name", "source", "sha256", "description", "cpu_warning"}  # each world file's own (sha256: issue 29)


def table_detectors(backbone: str = "resnet50") -> tuple[str, ...]:
    """The table's columns: the claims' backbone by baseline and aligned, then NPR aligned."""
    return f"baseline-{backbone}", f"aligned-{backbone}", "aligned-npr"


def runs_trained(backbone: str = "resnet50") -> set[str]:
    return {*table_detectors(backbone), f"aligned-shader-{backbone}", f"aligned-webp-{backbone}"}


HAS_REALS_TRAIN = "train" in SCHEMA["reals"]


def _fields(world, prefix: str = ""):
    """A world's fields as (name, value), a table's (roles, reals, test, claims) as dotted paths."""
    for f in dataclasses.fields(world):
        value = getattr(world, f.name)
        if isinstance(value, (Roles, Reals, TestSets, ClaimsSettings)):
            yield from _fields(value, f"{prefix}{f.name}.")
        else:
            yield prefix + f.name, value


def _changed(a, b) -> set[str]:
    """The WorldConfig fields in which two worlds differ."""
    old, new = dict(_fields(a)), dict(_fields(b))
    return {name for name in old if name not in SAME_WORLD and old[name] != new[name]}


def _loadable(ablation):
    if ablation.key == "reals.train" and not HAS_REALS_TRAIN:
        pytest.skip("[reals] train is issue 29's key (branch worlds29); this schema does not read it yet")
    return load_world(world_ref(ablation.world))


def _assert_judges_every_claim(world) -> None:
    """The world's default run scores every detector x generator pair each claim reads, so no claim is
    skipped as outside the selection, and the cases stay the table's few."""
    cases = build_cases(world, seeds=(0, 1, 2))
    assert {c.detector.label for c in cases} == runs_trained(world.claims.backbone)
    assert {c.perturbation for c in cases} == {CLEAN, POST_PROCESSED}
    table = {(c.detector.label, c.perturbation) for c in cases if c.generator == world.roles.denoiser_differs}
    assert {(d, p) for d in table_detectors(world.claims.backbone) for p in (CLEAN, POST_PROCESSED)} <= table
    pairs = {(c.detector.label, c.generator) for c in cases}
    context = BenchSession(world).claim_context()
    for claim in CLAIMS:
        assert {(d, g) for d, g, _ in claim.needs(context)} <= pairs, claim.id
    assert world.claims.judged and not world.claims.unjudged


def test_ablation_worlds_are_one_short_file_each_outside_the_world_list():
    files = sorted(p.stem for p in (builtin_dir() / FOLDER).glob("*.toml"))
    assert files == sorted(a.world for a in ABLATIONS)
    assert not set(files) & set(builtin_worlds())  # `fakebench list worlds` shows the worlds to pick, not these
    for ablation in ABLATIONS:
        assert len(world_path(ablation.world).read_text().splitlines()) <= 30, ablation.world


def test_reference_is_the_lite_world_cut_to_the_table_and_the_claims():
    lite, reference = load_world("lite"), load_world(world_ref(REFERENCE.world))
    # and its claims read the ResNet-50, the table's subject, where lite's read NPR
    # and its training reals are the photo crops alone, as every row measured them, where lite's add packaged photos
    assert _changed(lite, reference) == {"generators", "roles.same_autoencoder", "detectors", "score",
                                         "claims.backbone", "claims.backbones", "reals.train"}
    assert set(reference.generators) == set(lite.generators) - {"taef2"}
    assert {d.name: d.params for d in reference.detectors} == {d.name: d.params for d in lite.detectors}
    _assert_judges_every_claim(reference)


@pytest.mark.parametrize("ablation", ABLATIONS[1:], ids=lambda a: a.world)
def test_each_ablation_changes_one_thing_from_the_reference_and_judges_every_claim(ablation):
    reference, world = load_world(world_ref(REFERENCE.world)), _loadable(ablation)
    changed = _changed(reference, world)
    assert changed == set(ablation.fields)
    if changed == {"detectors"}:  # one factory parameter of the ResNet-50, nothing else
        param = ablation.key.rsplit(".", 1)[1]
        before, after = ({d.name: dict(d.params) for d in w.detectors} for w in (reference, world))
        assert after["resnet50"].pop(param) != before["resnet50"].pop(param, None)
        assert after == before
    if changed == {"train"}:
        assert world.train.augment.preset == "paper" != reference.train.augment.preset
        assert dataclasses.replace(world.train, augment=reference.train.augment) == reference.train
    _assert_judges_every_claim(world)


# ------------------------------------------------------------------------------------------- the table

GENERATOR = "taef2-playground"
N = 20  # reals and fakes per case


def _store(accuracy: dict[tuple[str, str, int], float]) -> pd.DataFrame:
    """A score store whose cases have exactly the given balanced accuracies: every real scores 0.1 (real
    accuracy 1) and the first k fakes 0.9, so balanced accuracy is (1 + k / N) / 2."""
    rows = []
    for (detector, perturbation, seed), bal_acc in accuracy.items():
        k = round((2 * bal_acc - 1) * N)
        for label in (0, 1):
            for i in range(N):
                score = 0.9 if label and i < k else 0.1
                rows.append({"case_id": f"{detector}-{GENERATOR}-{perturbation}", "detector": detector,
                             "checkpoint": f"{detector}-{seed}", "generator": GENERATOR, "split": "test",
                             "perturbation": perturbation, "seed": seed, "bench_seed": 0,
                             "image_id": f"{'fake' if label else 'real'}{i}", "label": label, "score": score,
                             "error": "", "fakebench_version": __version__})
    return pd.DataFrame(rows, columns=list(STORE_COLUMNS))


def test_table_reads_each_worlds_results_as_mean_sd_over_seeds_with_claims_and_the_paper(tmp_path, caplog):
    accuracy = {(d, p, s): 0.5 + 0.05 * (i + 1) + 0.025 * s + (0.1 if p == CLEAN else 0.0)
                for i, d in enumerate(table_detectors()) for p in (CLEAN, POST_PROCESSED) for s in (0, 1, 2)}
    scores = _store(accuracy)
    folder = tmp_path / "reference"
    roles = ClaimContext(scores, trained_on="taef2-sd", denoiser_differs=GENERATOR, autoencoder_differs="mini-sd")
    run_record = provenance("pytest benchmark", settings={"seeds": [0, 1, 2]}, roles=roles.roles())
    write_run_json(folder, run_record)
    write_reports(scores, folder, BootstrapConfig(resamples=50), claims=roles, run_record=run_record)

    runs = [AblationRun("reference", "the recipe", folder), AblationRun("npr-input", "raw -> NPR", tmp_path / "none"),
            AblationRun("photos-procedural", "photos -> +procedural", tmp_path / "x", status="not run: no key")]
    paths = write_ablation_table(runs, tmp_path)
    csv = pd.read_csv(paths["csv"]).set_index("world")
    markdown = paths["markdown"].read_text()

    for column, detector in zip(("baseline", "aligned", "npr"), table_detectors()):
        for perturbation, header in ((CLEAN, f"{column} clean"), (POST_PROCESSED, f"{column} {POST_PROCESSED}")):
            values = [accuracy[detector, perturbation, s] for s in (0, 1, 2)]
            mean, sd = float(np.mean(values)), float(np.std(values, ddof=1))
            assert csv.loc["reference", header] == pytest.approx(mean, abs=1e-6)
            assert csv.loc["reference", f"{header} sd"] == pytest.approx(sd, abs=1e-6)
            assert f"{mean:.3f} ± {sd:.3f}" in markdown
    assert csv.loc["reference", "generator"] == GENERATOR and csv.loc["reference", "seeds"] == 3
    # C1, aligned minus baseline on the Playground-like generator, as the run's leaderboard.json judged it
    c1 = next(c for c in json.loads((folder / "leaderboard.json").read_text())["claims"] if c["id"] == "C1")
    expected = np.mean([accuracy["aligned-resnet50", CLEAN, s] - accuracy["baseline-resnet50", CLEAN, s]
                        for s in (0, 1, 2)])
    assert c1["value"] == pytest.approx(expected, abs=1e-6) and c1["seeds"] == 3 and c1["judged"]
    assert csv.loc["reference", "C1"] == pytest.approx(c1["value"], abs=1e-6)
    assert csv.loc["reference", "C1 verdict"] == c1["outcome"] == "holds"
    assert f"+{expected:.3f} holds" in markdown
    # the paper's Table 3 beside ours, and rows that say why they are empty
    assert csv.loc[PAPER_ROW, "aligned clean"] == pytest.approx(0.988) and "not in Table 3" in markdown
    assert csv.loc["npr-input", "status"].startswith("no results") and math.isnan(csv.loc["npr-input", "aligned clean"])
    assert csv.loc["photos-procedural", "status"] == "not run: no key"
    assert read_row(runs[1]).claims == [] and "not run: no key" in markdown


@pytest.mark.integration
def test_runner_runs_a_world_in_its_own_folder_and_does_not_rerun_a_finished_one(tmp_path, caplog):
    """A real pytest subprocess on the reference world (collection only: the command line and the world
    resolve); the second call finds the record and starts nothing."""
    folder = tmp_path / "reference"
    assert run_world(REFERENCE, (0, 1, 2), folder, ["--collect-only", "-q"], "[1/1]") == ""
    record = json.loads((folder / RECORD).read_text())
    assert record["returncode"] == 0 and record["seeds"] == [0, 1, 2] and finished(folder, (0, 1, 2))
    log = (folder / "pytest.log").read_text()
    assert "aligned-npr-taef2-playground-resize0.5+jpeg75-seed2" in log and "claims-C7" in log
    assert not finished(folder, (0,))  # other seeds: a run of its own
    before = (folder / "pytest.log").stat().st_mtime_ns
    with caplog.at_level(logging.INFO, logger="fakebench.experiments.ablation"):
        assert run_world(REFERENCE, (0, 1, 2), folder, [], "[1/1]") == ""
    assert "not rerun" in caplog.text and (folder / "pytest.log").stat().st_mtime_ns == before
