"""Evidence that is not a score (the training-set audit C0 reads, the FLOP counts and timings C5 reads)
is cached in the results home on the keys of what it reads (fakebench.core.cache.cached_json): a warm run
recomputes nothing, a changed input recomputes its entry, a bad entry is recomputed, never trusted."""
import logging

import pytest

from fakebench.core.cache import cached_json, home


def _counter():
    calls = []

    def compute():
        calls.append(1)
        return {"auc": 0.5, "families": {"size": float("nan")}, "notes": ("a",)}
    return calls, compute


def test_a_result_is_computed_once_per_key_and_fresh_equals_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKEBENCH_HOME", str(tmp_path))
    calls, compute = _counter()
    fresh = cached_json("audits", "k1", compute)
    cached = cached_json("audits", "k1", compute)
    assert len(calls) == 1 and fresh["notes"] == cached["notes"] == ["a"]  # the same JSON either way
    cached_json("audits", "k2", compute)  # another key (a changed input): computed anew
    assert len(calls) == 2


@pytest.mark.parametrize("text", ["{not json", '{"schema": -1, "key": "k1", "value": {"auc": 0.9}}', "[]"])
def test_an_unreadable_or_foreign_entry_is_recomputed_with_one_log_line(tmp_path, monkeypatch, caplog, text):
    monkeypatch.setenv("FAKEBENCH_HOME", str(tmp_path))
    (home() / "audits").mkdir(parents=True)
    (home() / "audits" / "k1.json").write_text(text)
    calls, compute = _counter()
    with caplog.at_level(logging.INFO, logger="fakebench.core.cache"):
        value = cached_json("audits", "k1", compute)
    assert calls == [1] and value["auc"] == 0.5
    [line] = [r.getMessage() for r in caplog.records]
    assert "k1.json" in line and "recomputed" in line
    assert cached_json("audits", "k1", compute)["auc"] == 0.5 and calls == [1]  # the rewritten entry is read


def test_a_result_that_may_not_be_kept_is_recomputed_next_time(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKEBENCH_HOME", str(tmp_path))
    calls, compute = _counter()
    for _ in range(2):
        cached_json("flops", "k", compute, keep=lambda value: False)
    assert len(calls) == 2 and not (home() / "flops").exists()


def test_the_training_set_audit_is_cached_on_its_sets_hashes(tmp_path, monkeypatch):
    from fakebench.benchmark import training_audit
    from fakebench.benchmark.world_files import load_world

    monkeypatch.setenv("FAKEBENCH_HOME", str(tmp_path))
    world = load_world("mini-smoke")
    hashes = {"real": "r1"}

    class Sets:  # the recipe's sets, as far as the audit's key reads them
        real = type("S", (), {"content_hash": property(lambda self: hashes["real"])})()
        fake = type("S", (), {"content_hash": "f"})()

    audits = []
    monkeypatch.setattr(training_audit, "recipe_data", lambda recipe, reals, world, generator=None: Sets())
    monkeypatch.setattr(training_audit, "recipe_source", lambda *a, **kw: "source")
    monkeypatch.setattr(training_audit, "audit_source", lambda source: audits.append(source) or _AUDIT)
    first = training_audit.training_set_audit(world, "aligned", "corpus")
    assert first["auc"] == 0.51 and first["recipe"] == "aligned" and len(audits) == 1
    assert training_audit.training_set_audit(world, "aligned", "corpus") == first and len(audits) == 1
    hashes["real"] = "r2"  # the reals changed: audited anew
    training_audit.training_set_audit(world, "aligned", "corpus")
    assert len(audits) == 2
    training_audit.training_set_audit(world, "baseline", "corpus")  # another recipe: its own entry
    assert len(audits) == 3


class _Shortcut:
    auc, lo, hi, leading, families = 0.51, 0.4, 0.6, "", (("size", 0.5),)


class _Audit:
    n_real = n_fake = 10
    n_unreadable = 0
    shortcut = _Shortcut()
    notes: list = []
    pairs = {"psnr_db": {"median": 30.0}, "format_mismatch": 0}


_AUDIT = _Audit()


def test_flop_counts_are_counted_once_and_a_failed_count_is_not_kept(tmp_path, monkeypatch):
    from fakebench.generators import flops

    monkeypatch.setenv("FAKEBENCH_HOME", str(tmp_path))
    counted = []
    real_count = flops.count_generator
    monkeypatch.setattr(flops, "count_generator", lambda name: counted.append(name) or real_count(name))
    record = flops.flop_record(["mini-sd"])
    assert flops.flop_record(["mini-sd"]) == record and counted == ["mini-sd"]
    assert record["flops"]["mini-sd"]["denoiser_calls"] == 20
    monkeypatch.setattr(flops, "count_generator",
                        lambda name: flops.FlopCount(name, error="cannot count: OSError: config unreadable"))
    for _ in range(2):
        assert flops.flop_record(["mini-other"])["flops"]["mini-other"]["error"].startswith("cannot count")
    assert len(list((home() / "flops").iterdir())) == 1  # only the good record was kept


def test_the_wallclock_ratio_is_timed_once_per_generator_and_machine(tmp_path, monkeypatch):
    import torch

    from fakebench.generators import cost

    monkeypatch.setenv("FAKEBENCH_HOME", str(tmp_path))
    timed = []
    result = cost.CostResult("g", 10, 8, 32, 2.0, 20.0, 40.0)
    monkeypatch.setattr(cost, "measure_cost", lambda generator: timed.append(generator) or result)
    generator = type("G", (), {"fingerprint": "abc"})()
    record = cost.wallclock_record(generator, torch.device("cpu"))
    assert cost.wallclock_record(generator, torch.device("cpu")) == record and len(timed) == 1
    assert record["ratio"] == 10.0 and record["device"] == "cpu"
    generator.fingerprint = "other weights"
    cost.wallclock_record(generator, torch.device("cpu"))
    assert len(timed) == 2
