"""Training reals by source text, and the rule that splits them into train and validation.

A source text names where a trainable detector's reals come from: the world's photo corpus (`corpus`: its
train and val splits, whole photos apart), `procedural:N` (the paper's shader experiment, with its own
validation split), `photos:N` (N crops of each photograph that Debian packages install, whole photos
apart: `fakebench.data.photos`), `folder:PATH` or `hf:...` (a fixed share held out by image id,
`holdout_split`), or a mixture of them joined by " + ". Validation reals are always apart from the training reals."""
from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from fakebench.core.errors import FakebenchError
from fakebench.core.seeds import derived_seed
from fakebench.data.corpus import CorpusConfig
from fakebench.data.folders import PREFIX as FOLDER_PREFIX
from fakebench.data.folders import image_folder
from fakebench.data.hf_datasets import PREFIX as HF_PREFIX
from fakebench.data.hf_datasets import parse_hf_spec
from fakebench.data.imagesets import ImageSet, joined_set, photos_reals, procedural_reals, real_split
from fakebench.data.photos import PREFIX as PHOTOS_PREFIX
from fakebench.data.photos import check_installed, manifest, parse_photos
from fakebench.data.procedural import PREFIX as PROCEDURAL_PREFIX
from fakebench.data.procedural import ProceduralConfig, parse_procedural

CORPUS = "corpus"  # the source text of the world's photo corpus: the default training reals
MIX = " + "  # joins a mixture's sources into one source text: "corpus + procedural:700"
SOURCE_FORMS = (f"{CORPUS}, {PROCEDURAL_PREFIX}N, {PHOTOS_PREFIX}N, {FOLDER_PREFIX}PATH, {HF_PREFIX}NAME[:SPLIT] "
                f"or a mixture (sources joined by {MIX!r})")


def corpus_reals(corpus: CorpusConfig) -> tuple[ImageSet, ImageSet]:
    """The mini world's training and validation reals (whole photos apart)."""
    return real_split("train", corpus), real_split("val", corpus)


def split_reals(text: str | Sequence[str]) -> list[str]:
    """A reals text's sources (a mixture's are joined by " + "), or the sources of a list, unchecked."""
    return [str(p).strip() for p in (re.split(r"\s+\+\s+", text.strip()) if isinstance(text, str) else text)]


def reals_sources(text: str | Sequence[str]) -> tuple[str, ...]:
    """The sources a reals text names (a mixture's text, or its sources as a list), each checked without
    reading an image: a known form, N >= 1, an existing folder, no source twice. Bad input raises one
    line naming the value and the fix."""
    parts = split_reals(text)
    if not parts or not all(parts):
        raise FakebenchError(f"reals {text!r} name an empty source", fix=f"name sources: {SOURCE_FORMS}")
    for part in parts:
        if part == CORPUS or parse_procedural(part) is not None or parse_photos(part) is not None:
            continue  # photos:N: whether its packages are installed is checked when it is read
        if part.startswith(HF_PREFIX):
            parse_hf_spec(part)
        elif part.startswith(FOLDER_PREFIX):
            if not Path(part[len(FOLDER_PREFIX):]).expanduser().is_dir():
                raise FakebenchError(f"reals {part!r}: no such folder", fix="give a folder of real images")
        else:
            raise FakebenchError(f"unknown reals source {part!r} (no such folder either)", fix=f"use {SOURCE_FORMS}")
    doubled = sorted({p for p in parts if parts.count(p) > 1})
    if doubled:
        raise FakebenchError(f"reals {text!r} name {doubled[0]!r} twice", fix="name each source once")
    return tuple(parts)


def check_readable(text: str | Sequence[str]) -> None:
    """Fail now, in one line, where a run would fail later on reading its reals: a `photos:N` source
    needs its Debian packages installed (checked by file, without reading a photo)."""
    if any(parse_photos(part) is not None for part in reals_sources(text)):
        check_installed(manifest())


def reals_text(sources: Sequence[str]) -> str:
    """The one text a source or mixture is recorded by (sidecars, cache keys, run.json)."""
    return MIX.join(sources)


def _one_source(source: str, corpus: CorpusConfig, seed: int) -> tuple[ImageSet, ImageSet]:
    """One source's training and validation reals: the corpus's or the packaged photos' train and val
    splits (whole photos apart; crops cut by the world's corpus config), procedural images' own validation
    split, or a fixed share of a folder's or a dataset's reals held out (`holdout_split`)."""
    if source == CORPUS:
        return corpus_reals(corpus)
    n = parse_procedural(source)
    if n is not None:
        return procedural_reals(n, ProceduralConfig.like(corpus))
    n = parse_photos(source)
    if n is not None:
        return photos_reals(n, corpus)
    if source.startswith(HF_PREFIX):
        from fakebench.data.hf_datasets import load_hf_dataset

        found = [s for _, s in sorted(load_hf_dataset(source).reals.items())]
        if not found:
            raise FakebenchError(f"reals {source!r}: the dataset holds no real image", fix="label some rows real")
        reals = found[0] if len(found) == 1 else joined_set(found, parse_hf_spec(source).name)
    else:
        reals, _ = image_folder(source[len(FOLDER_PREFIX):])
    return holdout_split(reals, seed=seed)


def source_reals(source: str | Sequence[str], corpus: CorpusConfig = CorpusConfig(),
                 seed: int = 0) -> tuple[ImageSet, ImageSet]:
    """Training and validation reals named by a source text (`reals_sources` says which texts; `corpus`
    is the world's photo corpus, `seed` draws a folder's or dataset's holdout). A mixture is the union of
    its sources' training sets and the union of their validation sets, each image id prefixed with its
    source's position in the mixture (`0/`, `1/`, ...) so ids from two sources never clash; one source's
    sets are returned as that source gives them (ids unchanged)."""
    sources = reals_sources(source)
    if len(sources) == 1:
        return _one_source(sources[0], corpus, seed)
    parts = [_one_source(s, corpus, seed) for s in sources]
    return joined_set([t for t, _ in parts], "mixture-train"), joined_set([v for _, v in parts], "mixture-val")


def holdout_split(reals: ImageSet, fraction: float = 0.05, seed: int = 0) -> tuple[ImageSet, ImageSet]:
    """A fixed fraction of a folder's reals held out for validation, chosen by image id (so adding
    images never moves an old one between the two); at least one image."""
    ids = [r.image_id for r in reals.records]
    draw = {i: derived_seed(seed, "holdout", i) % 10_000 for i in ids}
    val = {i for i in ids if draw[i] < fraction * 10_000} or {min(ids, key=draw.get)} if ids else set()
    if not val or len(val) == len(ids):
        raise FakebenchError(f"cannot hold out {fraction:.0%} of {len(ids)} reals of {reals.name} for validation",
                             fix="give more reals, or pass a validation folder")
    return reals.subset(set(ids) - val, f"{reals.name}-train"), reals.subset(val, f"{reals.name}-val")
