"""The claims' ids, for code that names a claim without judging it (a world file's `[claims] unjudged`
is checked against them): the claims registry (`fakebench.evaluation.claims`) imports pandas and the
statistics, which naming needs none of. tests/test_claims.py holds this equal to `CLAIMS`' ids."""
from __future__ import annotations

CLAIM_IDS: tuple[str, ...] = ("C0", "C1", "C2a", "C2b", "C3", "C4a", "C4b", "C5", "C6", "C7")
