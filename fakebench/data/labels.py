"""One label vocabulary for every data source: folder names (`folder:`), CSV manifests and `hf:`
columns all read real/fake through it, so `ai` means fake everywhere and nothing is a label in one
source and an error in another.

Names (any case): real is `real`, `reals`, `0_real` (CNNDetection), `nature` (GenImage); fake is
`fake`, `fakes`, `1_fake`, `ai`. A value in a manifest row or a dataset column may also be 0/1 (as
text or a number) or a boolean (True: fake); a folder named `0` or `1` is not a label folder, as a
class folder often has such a name."""
from __future__ import annotations

from fakebench.data.imagesets import FAKE, REAL

REAL_NAMES = frozenset({"real", "reals", "0_real", "nature"})
FAKE_NAMES = frozenset({"fake", "fakes", "1_fake", "ai"})
LABEL_NAMES = REAL_NAMES | FAKE_NAMES


def label_of_name(name: str) -> int | None:
    """The label a folder name stands for, or None when it names no label."""
    text = name.strip().lower()
    return REAL if text in REAL_NAMES else FAKE if text in FAKE_NAMES else None


def parse_label(value: str | int | bool) -> int:
    """A manifest cell or a dataset value as REAL/FAKE; ValueError (naming the vocabulary) otherwise."""
    if value is True or value is False:
        return FAKE if value else REAL
    text = str(value).strip().lower()
    if text in ("0", "false"):
        return REAL
    if text in ("1", "true"):
        return FAKE
    label = label_of_name(text)
    if label is None:
        raise ValueError(f"label {value!r} is neither 0/real nor 1/fake")
    return label
