"""Seeds derived from names: the same parts give the same seed on every machine and in every order of
work, which is what makes perturbations and bootstrap intervals independent of batching and workers."""
from __future__ import annotations

import hashlib


def derived_seed(*parts: object) -> int:
    """A 64-bit seed from `parts` (joined as text with "|"), e.g. derived_seed(seed, image_id, "jpeg75")."""
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "big")
