"""What a claim is made of: the context it is judged in (the store, the world's roles), the roles it
needs, what its judge finds and the result a run reports. The claims themselves are in
`fakebench.evaluation.judges` (how each is judged) and `fakebench.evaluation.claims` (the registry);
this module holds what both read, so neither imports the other."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

import pandas as pd

from fakebench.detectors.spec import WEBP, DetectorSpec
from fakebench.evaluation.claim_stats import CaseKey, Estimate

MIN_SEEDS = 3  # training seeds a detector claim needs to be judged rather than indicative


@dataclass(frozen=True)
class ClaimResult:
    id: str
    title: str
    paper: str
    metric: str
    comparison: str
    margin: float
    value: float
    lo: float
    hi: float
    verdict: str  # what the run reports; `indicative (...)` when it does not judge
    detail: str
    outcome: str = ""  # what the numbers say against the margin, judged or not
    seeds: int = 0  # training seeds the value averages (0: not read from detectors)
    judged: bool = False  # whether this verdict passes or fails a run
    known_limit: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ClaimContext:
    """What claims read: the store's test and calibration rows, the FLOP record, the world's names.

    The generators' roles default to "no such role" (empty): the names come from the world
    (fakebench.benchmark.session.world_claim_roles) or from the run.json of a recorded run
    (`from_roles`), never from a built-in guess, so a world that lacks a role is told apart from one
    that has it."""

    scores: pd.DataFrame
    cost: dict | None = None  # {"flops": {generator: count row}, "wallclock": {...}} (cost.json)
    trained_on: str = ""  # the training generator
    denoiser_differs: str = ""  # the generator playing Playground v2.5 (same autoencoder, other denoiser)
    autoencoder_differs: str = ""  # the generator whose autoencoder differs (the paper's stated limit)
    backbone: str = "resnet50"
    downscale: str = "resize0.5"
    upscale: str = "resize2"
    webp: str = "webp50"
    robustness: tuple[str, ...] = ("resize0.5", "resize0.75", "resize1.5", "jpeg75", "jpeg50", "resize0.5+jpeg75")
    # the detector trained aligned on procedural reals (the paper's shader experiment); empty: by its
    # naming convention, aligned-shader-<backbone>
    procedural_detector: str = ""
    # C0: recipe -> the shortcut score of its training set ({auc, lo, hi, leading}), from the run's audit
    audit: dict | None = None
    # the claim detectors (`claim_detectors`) the world registers; None: not recorded (a run.json written
    # before this role), so every one counts as registered and the store alone says what was scored
    registered: tuple[str, ...] | None = None

    @property
    def aligned(self) -> str:
        return DetectorSpec.label_of(self.backbone, "aligned")

    @property
    def baseline(self) -> str:
        return DetectorSpec.label_of(self.backbone, "baseline")

    @property
    def aligned_sync(self) -> str:
        return DetectorSpec.label_of(self.backbone, "aligned-sync")

    @property
    def procedural(self) -> str:
        return self.procedural_detector or DetectorSpec.label_of(self.backbone, "aligned", procedural=True)

    @property
    def webp_trained(self) -> str:
        """The aligned detector trained with WebP among its augmentations (C7; fakebench.detectors.spec,
        augment=webp): a world's detector runs it as `aligned-webp`."""
        return DetectorSpec.label_of(self.backbone, "aligned", augment=WEBP)

    def claim_detectors(self) -> tuple[str, ...]:
        """Every detector a claim may read, by label: what `registered` records of a world."""
        return self.baseline, self.aligned, self.aligned_sync, self.procedural, self.webp_trained

    def trains(self, label: str) -> bool:
        """Whether the world trains this claim detector: it has a training generator and registers it."""
        return bool(self.trained_on) and (self.registered is None or label in self.registered)

    def missing(self, roles: tuple[Role, ...]) -> list[str]:
        """The words of each of `roles` this context lacks (empty: it has them all). Without a training
        generator there is no trained detector either: that one role says so, not each detector."""
        absent = [role for role in roles if not role.present(self)]
        if TRAINING in absent:
            absent = [role for role in absent if not role.trained]
        return [role.describe(self) for role in absent]

    def roles(self) -> dict[str, Any]:
        """The world's names the claims read (every field but the data), as run.json records them, so
        a report rebuilt from the store judges the same cases as the run that wrote it."""
        roles = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _DATA_FIELDS}
        return {name: list(value) if name in _LIST_ROLES and value is not None else value
                for name, value in roles.items()}

    @classmethod
    def from_roles(cls, scores: pd.DataFrame, roles: dict[str, Any], cost: dict | None = None) -> ClaimContext:
        """The context of a recorded run: its `roles()` (read back from run.json) over `scores`."""
        known = {f.name for f in fields(cls)} - _DATA_FIELDS
        kept = {k: tuple(v) if k in _LIST_ROLES and v is not None else v for k, v in roles.items() if k in known}
        return cls(scores, cost=cost, **kept)


_DATA_FIELDS = {"scores", "cost"}  # what a ClaimContext reads; every other field is a role
_LIST_ROLES = {"robustness", "registered"}  # roles held as tuples, recorded as JSON lists


@dataclass(frozen=True)
class Role:
    """Something a claim reads that a world may lack: a generator playing a part, or a detector it trains.
    `words` name it in the one line that says which claims a world cannot judge ("no <words>"), formatted
    with the context's detector labels ({aligned}, {baseline}, {procedural}, {webp_trained}); `present`
    says whether a context has it; `trained`: a detector trained on the training generator."""

    words: str
    present: Callable[[ClaimContext], bool]
    trained: bool = False

    def describe(self, ctx: ClaimContext) -> str:
        return self.words.format(aligned=ctx.aligned, baseline=ctx.baseline, procedural=ctx.procedural,
                                 webp_trained=ctx.webp_trained)


TRAINING = Role("training generator", lambda c: bool(c.trained_on))
OTHER_DENOISER = Role("generator whose denoiser differs", lambda c: bool(c.denoiser_differs))
OTHER_AUTOENCODER = Role("generator whose autoencoder differs", lambda c: bool(c.autoencoder_differs))
BASELINE = Role("{baseline}, the baseline recipe's detector", lambda c: c.trains(c.baseline), trained=True)
ALIGNED = Role("{aligned}, the aligned recipe's detector", lambda c: c.trains(c.aligned), trained=True)
PROCEDURAL = Role("{procedural}, trained on procedural reals", lambda c: c.trains(c.procedural), trained=True)
WEBP_RUN = Role("{webp_trained}, trained with WebP", lambda c: c.trains(c.webp_trained), trained=True)


@dataclass(frozen=True)
class Judgement:
    """What a judge finds; `evaluate` turns it into a ClaimResult with the registry's fields."""

    metric: str
    comparison: str
    margin: float
    estimate: Estimate
    higher_is_claim: bool = True
    detail: str = ""
    interval: bool = True  # False: a count, not a sample (C5), so no bootstrap interval
    unmet: str = ""  # a further condition of the claim that the run does not meet (C0): the claim fails


@dataclass(frozen=True)
class Claim:
    id: str
    slug: str  # the pytest id: claims-<id>-<slug>
    title: str
    paper: str  # the paper's statement and number
    # the cases it reads, each under a role name, declared once: the judge reads these roles and a run
    # scores exactly these cases (`needs`), so the two cannot drift apart
    cases: Callable[[ClaimContext], dict[str, CaseKey]]
    judge: Callable[[ClaimContext, dict[str, CaseKey]], Judgement]
    # what the world must have for the claim to apply; a world without one of them cannot judge it (the
    # claim is neither run nor failed, and one line says so)
    roles: tuple[Role, ...] = ()
    known_limit: bool = False
    reads_detectors: bool = True  # False: judged from configs (C5), so training seeds do not apply
    reads_audit: bool = False  # True: judged from the audit of the training sets (C0), no training involved

    @property
    def test_id(self) -> str:
        return f"claims-{self.id}-{self.slug}"

    def needs(self, ctx: ClaimContext) -> list[CaseKey]:
        """The (detector, generator, perturbation) cases a run must score for this claim, in declared order."""
        return list(dict.fromkeys(self.cases(ctx).values()))

    def applies(self, ctx: ClaimContext) -> bool:
        """Whether `ctx`'s world has every role this claim reads."""
        return not ctx.missing(self.roles)
