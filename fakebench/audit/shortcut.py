"""How aligned a training set is, measured before anyone trains on it (`fakebench audit`).

A detector latches onto whatever differs between its reals and its fakes. The audit reads, per class
and from file headers alone (fakebench.audit.headers), the cues that have nothing to do with
generation: format, JPEG quality, subsampling, size and aspect, mode and metadata. A classifier that
sees only those features (scikit-learn's HistGradientBoostingClassifier, stratified 5-fold
cross-validation, seeded) gives the set's **shortcut AUC**: its out-of-fold AUC, 0.5 when metadata says
nothing about the label, 1.0 when a detector need not look at a pixel. Its 95% interval is a percentile
bootstrap of the out-of-fold scores (reals and fakes resampled apart, fakebench.evaluation.metrics);
it covers the sampling of images, not the refitting of the classifier. Each feature family is scored
alone the same way, so the leading cue is named.

The result depends on the set's (label, features) multiset only, never on file order or names: rows
are sorted by label and features before the folds are drawn, so a folder and the same images as an
`hf:` dataset audit identically. Unreadable files (not an image, truncated, empty) are counted and
listed with their reason, never dropped silently."""
from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import asdict, dataclass, field

import numpy as np
from tqdm.auto import tqdm

from fakebench.audit.headers import (
    FORMATS,
    MODES,
    QUALITY_ESTIMATOR,
    FileHeader,
    pixel_stats,
    read_header,
)
from fakebench.audit.sources import AuditSource
from fakebench.core.errors import FakebenchError
from fakebench.data.imagesets import FAKE, REAL
from fakebench.evaluation.metrics import BootstrapConfig, bootstrap_samples

log = logging.getLogger(__name__)

AUDIT_SCHEMA = 1  # bumped when a change here changes an audit's numbers: cached audits are then redone
FOLDS = 5
BOOTSTRAP_RESAMPLES = 1000
LEAD_MIN = 0.6  # a family below this AUC is no cue worth naming
SMALL_CLASS = 20  # below this many readable images per class the interval is too wide to read
MAX_CV_ROWS = 20_000  # per class: larger classes are sampled (seeded) for the classifier; counts use every file
CLASSIFIER = "HistGradientBoostingClassifier (100 iterations), stratified 5-fold CV, seeded"
SUBSAMPLING_CODES = {"": 0, "4:4:4": 1, "4:2:2": 2, "4:2:0": 3}

FAMILIES: dict[str, tuple[str, ...]] = {
    "format": tuple(f"format={f}" for f in (*FORMATS, "other")),
    "quality": ("jpeg_quality", "ijg_tables", "subsampling", "progressive"),
    "size": ("width", "height", "short_side", "aspect", "megapixels"),
    "mode/metadata": (*(f"mode={m}" for m in (*MODES, "other")), "icc", "exif", "bytes_per_pixel"),
}
FEATURES: tuple[str, ...] = tuple(name for names in FAMILIES.values() for name in names)
PIXEL_FAMILIES: dict[str, tuple[str, ...]] = {"intensity": ("mean_intensity",), "saturation": ("mean_saturation",),
                                              "sharpness": ("laplacian_variance",)}


def header_features(h: FileHeader) -> list[float]:
    """One readable file's metadata features, in FEATURES order (numbers only; -1 where none applies)."""
    fmt = [float(h.format == f) for f in FORMATS] + [float(h.format not in FORMATS)]
    quality = [h.jpeg_quality if not math.isnan(h.jpeg_quality) else -1.0, float(h.ijg_tables),
               float(SUBSAMPLING_CODES.get(h.subsampling, 4)), float(h.progressive)]
    size = [float(h.width), float(h.height), float(min(h.width, h.height)), h.width / h.height, h.megapixels]
    meta = [float(h.mode == m) for m in MODES] + [float(h.mode not in MODES), float(h.icc), float(h.exif),
                                                  h.bytes_per_pixel]
    return fmt + quality + size + meta


@dataclass(frozen=True)
class ShortcutScore:
    """Cross-validated AUC of a classifier on some features, its 95% interval, and each family's own."""

    auc: float
    lo: float
    hi: float
    families: list[tuple[str, float]]  # sorted, highest first
    leading: str  # the family with the highest AUC when it reaches LEAD_MIN, else "none"
    classifier: str = CLASSIFIER


def _cv_scores(x: np.ndarray, y: np.ndarray, seed: int, groups: np.ndarray | None = None) -> np.ndarray:
    """Out-of-fold P(fake) of each row; rows of one group (a real and its own fake) share a fold."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_predict
    from threadpoolctl import threadpool_limits

    k = min(FOLDS, int(np.bincount(y).min()))
    # a pair split across folds would teach the held-out twin's features with the opposite label
    folds = (StratifiedKFold(n_splits=k, shuffle=True, random_state=seed) if groups is None
             else StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed))
    # leaves of at most 20 rows (sklearn's default), fewer on small sets, where 20 would forbid any split
    model = HistGradientBoostingClassifier(max_iter=100, min_samples_leaf=max(2, min(20, len(y) // 20)),
                                           random_state=seed)
    # one OpenMP thread: on a shared or small machine the boosting's thread pool spins far more than it
    # computes (measured 40x slower on 2 busy cores); the fits are small
    with threadpool_limits(1):
        return cross_val_predict(model, x, y, groups=groups, cv=folds, method="predict_proba")[:, 1]


def _auc(y: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, scores))


def shortcut_score(x: np.ndarray, y: np.ndarray, families: dict[str, tuple[str, ...]], names: tuple[str, ...],
                   seed: int = 0, groups: np.ndarray | None = None) -> ShortcutScore:
    """The shortcut AUC of features `x` (columns `names`) for labels `y`, with each family's AUC;
    `groups` (e.g. pair ids) keeps each group in one fold. NaN when a class has fewer than two rows."""
    counts = np.bincount(y, minlength=2)
    if counts.min() < 2:
        return ShortcutScore(math.nan, math.nan, math.nan, [], "none")
    order = np.lexsort((*(x[:, j] for j in reversed(range(x.shape[1]))), y))  # file order never matters
    x, y = x[order], y[order]
    if groups is not None:  # group ids by first appearance in the sorted rows, so their labels do not matter
        _, first, inverse = np.unique(groups[order], return_index=True, return_inverse=True)
        groups = np.argsort(np.argsort(first))[inverse]
    if len(y) > 2 * MAX_CV_ROWS:  # a seeded sample per class bounds time and memory on large sets
        rng = np.random.default_rng(seed)
        keep = np.sort(np.concatenate([rng.choice(np.flatnonzero(y == c), min(MAX_CV_ROWS, int((y == c).sum())),
                                                  replace=False) for c in (REAL, FAKE)]))
        x, y = x[keep], y[keep]
        groups = None if groups is None else groups[keep]
    scores = _cv_scores(x, y, seed, groups)
    _, aucs = bootstrap_samples(scores[y == REAL], scores[y == FAKE], 0.5,
                                BootstrapConfig(BOOTSTRAP_RESAMPLES, seed=seed))
    lo, hi = (float(v) for v in np.quantile(aucs, [0.025, 0.975]))
    fam = sorted(((name, _auc(y, _cv_scores(x[:, [names.index(c) for c in cols]], y, seed, groups)))
                  for name, cols in families.items()), key=lambda t: -t[1])
    leading = fam[0][0] if fam and fam[0][1] >= LEAD_MIN else "none"
    return ShortcutScore(_auc(y, scores), lo, hi, fam, leading)


def _quantiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    q = np.quantile(np.asarray(values, dtype=float), [0, 0.25, 0.5, 0.75, 1])
    return dict(zip(("min", "p25", "median", "p75", "max"), (round(float(v), 4) for v in q)))


def _shares(values: list) -> dict[str, float]:
    counts = sorted(Counter(values).items(), key=lambda kv: (-kv[1], str(kv[0])))  # ties: by name, not file order
    return {str(k): round(n / len(values), 4) for k, n in counts} if values else {}


def class_summary(headers: list[FileHeader]) -> dict:
    """Per-class distributions of the header cues (readable files only)."""
    ok = [h for h in headers if h.readable]
    jpeg = [h for h in ok if h.format == "JPEG"]
    sizes = Counter((h.width, h.height) for h in ok)
    (w, h), top = min(sizes.items(), key=lambda kv: (-kv[1], kv[0])) if sizes else ((0, 0), 0)
    quality = [h.jpeg_quality for h in jpeg if not math.isnan(h.jpeg_quality)]
    return {
        "n": len(headers), "readable": len(ok), "unreadable": len(headers) - len(ok),
        "format": _shares([h.format for h in ok]),
        "jpeg_quality": {**_quantiles(quality), "most_common": [[int(q), s] for q, s in
                                                                 list(_shares([int(q) for q in quality]).items())[:3]]},
        "ijg_tables": round(sum(h.ijg_tables for h in jpeg) / len(jpeg), 4) if jpeg else None,
        "subsampling": _shares([h.subsampling or "other" for h in jpeg]),
        "progressive": round(sum(h.progressive for h in jpeg) / len(jpeg), 4) if jpeg else None,
        "width": _quantiles([h.width for h in ok]), "height": _quantiles([h.height for h in ok]),
        "short_side": _quantiles([min(h.width, h.height) for h in ok]),
        "aspect": _quantiles([h.width / h.height for h in ok]),
        "megapixels": _quantiles([h.megapixels for h in ok]),
        "most_common_size": f"{w}x{h}", "most_common_size_share": round(top / len(ok), 4) if ok else None,
        "distinct_sizes": len(sizes),
        "mode": _shares([h.mode for h in ok]),
        "icc": round(sum(h.icc for h in ok) / len(ok), 4) if ok else None,
        "exif": round(sum(h.exif for h in ok) / len(ok), 4) if ok else None,
        "bytes_per_pixel": _quantiles([h.bytes_per_pixel for h in ok]),
    }


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)) / 255.0 ** 2
    return 10 * math.log10(1 / max(mse, 1e-12))


def pair_stats(source: AuditSource, headers: list[FileHeader]) -> dict:
    """For a source's real/fake pairs: PSNR of each fake against its real (decoded one pair at a time,
    as the project decodes them), and the share of pairs whose size or format differ."""
    from fakebench.core.errors import FakebenchError as _Bad
    from fakebench.core.imageio import load_rgb

    pairs = source.pairs or []
    psnr, size_diff, format_diff, unreadable = [], 0, 0, 0
    for i, j in tqdm(pairs, desc=f"pairs of {source.name}", unit="pair", leave=False, delay=0.5):
        a, b = headers[i], headers[j]
        if not (a.readable and b.readable):
            unreadable += 1
            continue
        format_diff += a.format != b.format
        if (a.width, a.height) != (b.width, b.height):
            size_diff += 1
            continue
        try:
            psnr.append(_psnr(np.asarray(load_rgb(source.files[i].path)), np.asarray(load_rgb(source.files[j].path))))
        except _Bad:
            unreadable += 1
    n = len(pairs) - unreadable
    return {"pairs": len(pairs), "unreadable": unreadable, "size_mismatch": round(size_diff / n, 4) if n else None,
            "format_mismatch": round(format_diff / n, 4) if n else None,
            "psnr_db": {**_quantiles(psnr), "mean": round(float(np.mean(psnr)), 3) if psnr else None},
            "psnr_values": [round(v, 3) for v in psnr]}


@dataclass
class AuditResult:
    """A source's audit: counts, per-class cues, the shortcut score(s), pairs, unreadable files."""

    source: str
    note: str
    n_real: int
    n_fake: int
    classes: dict[str, dict]
    shortcut: ShortcutScore
    unreadable: list[dict]  # {"file", "label", "reason"}, every one
    skipped: list[dict]  # files the source itself left out (not an image, no label), every one
    pixels: ShortcutScore | None = None
    pairs: dict | None = None
    notes: list[str] = field(default_factory=list)
    quality_estimator: str = QUALITY_ESTIMATOR
    headers: dict[str, list[FileHeader]] = field(default_factory=dict, repr=False)  # per class, for plots
    pixel_values: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # per class, n x 3

    @property
    def n_unreadable(self) -> int:
        return len(self.unreadable)

    def as_dict(self) -> dict:
        """Everything but the per-file values the plots read, as JSON-able data."""
        out = {k: v for k, v in asdict(self).items() if k not in ("headers", "pixel_values")}
        out["n_unreadable"] = self.n_unreadable
        return out


def _label_name(label: int) -> str:
    return "fake" if label == FAKE else "real"


def _pixel_score(source: AuditSource, readable: list[int], seed: int,
                 unreadable: list[dict]) -> tuple[ShortcutScore, dict[str, np.ndarray]]:
    """Cheap pixel statistics, decoded one file at a time (bounded memory), and their shortcut score."""
    rows, kept = [], []
    for i in tqdm(readable, desc=f"pixels of {source.name}", unit="file", leave=False, delay=0.5):
        f = source.files[i]
        try:
            rows.append(pixel_stats(f.path))
            kept.append(i)
        except (OSError, ValueError, SyntaxError) as exc:
            unreadable.append({"file": f.where, "label": _label_name(f.label), "reason": f"pixels: {exc}"})
    x = np.asarray(rows, dtype=float).reshape(-1, 3)
    y = np.asarray([source.files[i].label for i in kept], dtype=int)
    names = tuple(c for cols in PIXEL_FAMILIES.values() for c in cols)
    values = {_label_name(c): x[y == c] for c in (REAL, FAKE)}
    return shortcut_score(x, y, PIXEL_FAMILIES, names, seed, _pair_groups(source, kept)), values


def _pair_groups(source: AuditSource, rows: list[int]) -> np.ndarray | None:
    """Per row (a readable file), its pair's id when the source knows its pairs (else its own id)."""
    if not (source.pairs and source.pairs_known):
        return None
    group = {i: i for i in rows}
    for real, fake in source.pairs:
        group[fake] = real
    return np.asarray([group[i] for i in rows])


def audit_source(source: AuditSource, pixels: bool = False, pairs: bool = False, seed: int = 0) -> AuditResult:
    """Audit one source: headers of every file (progress bar), the shortcut score, optional pixel
    statistics (`pixels`) and pair statistics (`pairs`, or always when the source knows its pairs)."""
    counts = Counter(f.label for f in source.files)
    for label in (REAL, FAKE):
        if not counts[label]:
            raise FakebenchError(f"audit source {source.name!r} has no {_label_name(label)} images",
                                 fix="point it at a set with both classes (real/ and fake/ folders, or a label "
                                     "column with both values)")
    headers = [read_header(f.path) for f in tqdm(source.files, desc=f"headers of {source.name}", unit="file",
                                                 leave=False, delay=0.5)]
    unreadable = [{"file": f.where, "label": _label_name(f.label), "reason": h.error}
                  for f, h in zip(source.files, headers) if not h.readable]
    readable = [i for i, h in enumerate(headers) if h.readable]
    x = np.asarray([header_features(headers[i]) for i in readable], dtype=float).reshape(-1, len(FEATURES))
    y = np.asarray([source.files[i].label for i in readable], dtype=int)
    notes = []
    shortcut = shortcut_score(x, y, FAMILIES, FEATURES, seed, _pair_groups(source, readable))
    small = [_label_name(c) for c in (REAL, FAKE) if (y == c).sum() < SMALL_CLASS]
    if math.isnan(shortcut.auc):
        notes.append(f"fewer than 2 readable {' and '.join(small)} images: no shortcut AUC")
    elif small:
        notes.append(f"fewer than {SMALL_CLASS} readable {' and '.join(small)} images: the interval is too wide "
                     "to read")
    per_class = {_label_name(c): [h for f, h in zip(source.files, headers) if f.label == c] for c in (REAL, FAKE)}
    result = AuditResult(source.name, source.note, counts[REAL], counts[FAKE],
                         {k: class_summary(v) for k, v in per_class.items()}, shortcut, unreadable,
                         [{"file": s.path, "reason": s.reason} for s in source.skipped], notes=notes,
                         headers=per_class)
    if pixels:
        result.pixels, result.pixel_values = _pixel_score(source, readable, seed, result.unreadable)
    if pairs or (source.pairs and source.pairs_known):
        if source.pairs:
            result.pairs = pair_stats(source, headers)
        else:
            notes.append("no pairs found (pairs: same path below real/ and fake/, suffix aside)")
    if unreadable:
        log.warning("%s: %d unreadable file(s), listed in the audit", source.name, len(unreadable))
    return result
