"""One provenance record for every run.json, and reports that judge claims with the run's roles: a
report rebuilt from a non-mini world's store (`fakebench report`) says what the run that wrote it said."""
import json

import numpy as np
import pandas as pd

from fakebench.benchmark.session import BenchSession
from fakebench.benchmark.world_files import load_world
from fakebench.cli import main
from fakebench.core import provenance as prov
from fakebench.core.version import __version__
from fakebench.evaluation.claims import CLAIMS, ClaimContext, needs, not_applicable
from fakebench.evaluation.store import default_store_name


def test_one_record_holds_the_header_and_the_runs_sections(tmp_path, monkeypatch):
    record = prov.provenance("fakebench test", settings={"a": 1}, roles={"trained_on": "x"})
    assert record["kind"] == "fakebench test" and record["versions"]["fakebench"] == __version__
    assert {"argv", "world_size", "settings", "roles"} <= set(record) and record["settings"] == {"a": 1}
    # one more fact in every record is one entry of RECORDED
    monkeypatch.setitem(prov.RECORDED, "numerics", lambda: {"threads": 1})
    path = prov.write_run_json(tmp_path, prov.provenance("fakebench test"))
    assert path.name == prov.RUN_FILE and prov.read_run_json(tmp_path)["numerics"] == {"threads": 1}
    assert prov.read_run_json(tmp_path / "nothing-here") is None


def test_roles_round_trip_through_json():
    ctx = ClaimContext(pd.DataFrame(), trained_on="taef2", backbone="resnet50-nodown", robustness=("jpeg75",),
                       registered=("aligned-resnet50-nodown",))
    roles = json.loads(json.dumps(ctx.roles()))
    assert "scores" not in roles and "cost" not in roles and roles["robustness"] == ["jpeg75"]
    back = ClaimContext.from_roles(pd.DataFrame(), roles)
    assert back.roles() == ctx.roles() and back.aligned == "aligned-resnet50-nodown"
    assert needs(back) == needs(ctx) and not_applicable(back) == not_applicable(ctx)
    # a run.json older than `registered` counts every detector as registered
    assert ClaimContext.from_roles(pd.DataFrame(), {"trained_on": "taef2"}).registered is None


def _taef2_store(n=40, seeds=(0, 1, 2)) -> pd.DataFrame:
    """What the taef2 world's C4a reads: its aligned detector on taef2, clean and under WebP."""
    rng = np.random.default_rng(0)
    parts = []
    for seed in seeds:
        for pert, shift in (("identity", 0.4), ("webp50", 0.0)):
            real, fake = rng.uniform(0, 0.5, n), np.clip(rng.uniform(0, 0.5, n) + shift, 0, 1)
            parts.append(pd.DataFrame({
                "case_id": f"aligned-resnet50-nodown-taef2-{pert}", "detector": "aligned-resnet50-nodown",
                "checkpoint": f"ck{seed}", "generator": "taef2", "split": "test", "perturbation": pert,
                "seed": seed, "bench_seed": 0, "image_id": [f"r{i}" for i in range(n)] + [f"f{i}" for i in range(n)],
                "label": [0] * n + [1] * n, "score": np.r_[real, fake], "error": "", "fakebench_version": __version__,
            }))
    return pd.concat(parts, ignore_index=True)


def _claims(folder) -> dict[str, dict]:
    return {c["id"]: c for c in json.loads((folder / "leaderboard.json").read_text())["claims"]}


def test_a_report_rebuilt_from_a_taef2_store_judges_the_claims_the_run_judged(tmp_path, capsys):
    world = load_world("taef2-smoke")
    session = BenchSession(world, store_path=tmp_path / "run" / default_store_name(), calibration=None)
    session.store.add(_taef2_store())
    _, paths = session.write_outputs(tmp_path / "run")
    run = json.loads(paths["run_record"].read_text())
    assert run["roles"]["trained_on"] == "taef2" and run["roles"]["backbone"] == "resnet50-nodown"
    written = _claims(tmp_path / "run")
    assert written["C4a"]["outcome"] != "no data" and "taef2" in written["C4a"]["metric"]

    assert main(["report", str(paths["scores"]), "--out", str(tmp_path / "rebuilt")]) == 0
    capsys.readouterr()
    assert _claims(tmp_path / "rebuilt") == written
    assert "claim roles: " in (tmp_path / "rebuilt" / "leaderboard.md").read_text()

    # without the recorded roles a rebuild has none: no claim applies, and one line says why
    paths["run_record"].unlink()
    assert main(["report", str(paths["scores"]), "--out", str(tmp_path / "no-roles")]) == 0
    capsys.readouterr()
    assert _claims(tmp_path / "no-roles") == {}
    doc = json.loads((tmp_path / "no-roles" / "leaderboard.json").read_text())
    assert list(doc["claims_not_applicable"]) == [c.id for c in CLAIMS]
    assert doc["claims_not_judged"].endswith("(no training generator); no run.json beside the store records the "
                                             "world's roles")
