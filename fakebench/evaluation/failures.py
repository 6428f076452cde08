"""A case's failed images, summed up: how many of the images it was given failed and the commonest
reason. A detector failing more than half of a case's images fails that case in one line, and the
case's leaderboard rows say so (`fakebench.leaderboard.tables`); the benchmark's case test reads the
same rule from here, so the test and the rows never disagree."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class CaseFailures:
    given: int  # images the case was given: scored + failed
    failed: int
    commonest: str = ""  # the commonest reason among the failed images ("" when none failed)

    @property
    def fails_case(self) -> bool:
        """More than half of the images failed: the case's numbers would describe the few survivors."""
        return self.failed * 2 > self.given

    def line(self, detector: str) -> str:
        """One line naming the detector, the count and the commonest reason."""
        return f"{detector} failed {self.failed} of {self.given} images (commonest: {self.commonest})"


def case_failures(errors: Iterable[str]) -> CaseFailures:
    """From the `error` column of a case's rows ("" for a scored image); ties go to the reason met first."""
    errors = list(errors)
    reasons = Counter(e for e in errors if e)
    commonest = reasons.most_common(1)[0][0] if reasons else ""
    return CaseFailures(len(errors), sum(reasons.values()), commonest)
