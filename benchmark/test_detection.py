"""One test per case: score held-out reals and fresh fakes under the case's perturbation, record
every score in the store, and hold the detector to the case's declared floor."""
from dataclasses import asdict

import pytest

from fakebench.core.errors import FakebenchError, WeightsMissingError
from fakebench.leaderboard.summary import FLOOR_MISS, FloorMiss


def test_case(case, bench_session, live, record_property):
    try:
        with live():
            result = bench_session.run_case(case)
    except WeightsMissingError as exc:  # a real model not on this machine: skip, saying how to fetch it
        pytest.skip(str(exc))
    except FakebenchError as exc:
        pytest.fail(str(exc), pytrace=False)
    if result.failures.fails_case:
        pytest.fail(f"{case.id}: {result.failures.line(case.detector.label)}", pytrace=False)
    m = result.metrics
    if m.note:
        pytest.fail(f"{case.id}: {m.note}", pytrace=False)
    if m.bal_acc < case.floor:  # the end-of-run summary groups these (fakebench.pytest_plugin.floor_misses)
        record_property(FLOOR_MISS, asdict(FloorMiss(case.detector.label, case.generator, case.perturbation,
                                                     case.seed, float(m.bal_acc), case.floor)))
    assert m.bal_acc >= case.floor, (
        f"{case.id}: balanced accuracy {m.bal_acc:.3f} < floor {case.floor:.2f} "
        f"(real acc {m.real_acc:.3f}, fake acc {m.fake_acc:.3f}, AUC {m.auc:.3f})"
    )
