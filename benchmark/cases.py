"""Benchmark cases: detector (recipe + backbone) x generator x perturbation, each with its floor.

Floors and expected failures are declared from the paper's findings before any run, never fitted
to our results: a case the paper predicts a detector to fail is an expected failure (xfail, not
strict), so a surprise pass shows as XPASS rather than hiding.
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from fakebench.benchmark.world import DEFAULT_RUNS, FLOOR, SHADER, WEBP_RUN, WorldConfig, WorldDetector
from fakebench.core.errors import FakebenchError
from fakebench.detectors.recipes import RECIPES
from fakebench.detectors.registry import DETECTORS
from fakebench.detectors.spec import WEBP, DetectorSpec, is_trainable
from fakebench.evaluation.claims import CaseFacts, predicted_failure
from fakebench.evaluation.perturbations import Compress, Resize, ShortSide, parse_perturbation, steps


@dataclass(frozen=True)
class Case:
    detector: DetectorSpec
    generator: str
    perturbation: str
    floor: float = FLOOR
    expected_failure: str = ""  # the paper's reason to expect this case to miss its floor
    seed: int = 0  # the detector's training seed
    several_seeds: bool = False  # the run trains each detector under several seeds

    @property
    def case_id(self) -> str:
        """The case in the store and the leaderboard (seeds are a column there)."""
        return f"{self.detector.label}-{self.generator}-{self.perturbation}"

    @property
    def id(self) -> str:
        """The pytest id: the case, and its seed when a run has several."""
        return f"{self.case_id}-seed{self.seed}" if self.several_seeds else self.case_id


def _downscales(perturbation: str, native_side: int) -> bool:
    return any((isinstance(s, Resize) and s.scale < 1) or (isinstance(s, ShortSide) and s.side < native_side)
               for s in steps(parse_perturbation(perturbation)))


def _webp(perturbation: str) -> bool:
    return any(isinstance(s, Compress) and s.fmt == "WEBP" for s in steps(parse_perturbation(perturbation)))


def expected_failure(recipe: str, generator: str, perturbation: str, world: WorldConfig,
                     webp_trained: bool = False) -> str:
    """The paper's reason to expect this case to miss its floor: the first of the predicted failures
    (fakebench.evaluation.claims.PREDICTED_FAILURES, each from a claim's finding) that applies to it.
    They concern detectors trained by a recipe; others get no a-priori verdict. One trained with WebP
    among its augmentations (`webp_trained`) is not expected to fail on WebP (claim C7)."""
    if not recipe:
        return ""
    return predicted_failure(CaseFacts(
        recipe=recipe, other_autoencoder=generator not in world.roles.same_autoencoder,
        other_generator=generator != world.train_generator,
        downscales=_downscales(perturbation, world.test.native_side), webp=_webp(perturbation),
        webp_trained=webp_trained))


def _select(names: list[str], patterns: list[str] | None, what: str, left_out: tuple[str, ...] = ()) -> list[str]:
    """The names matching any pattern. A pattern that matches nothing is an error, unless it names a
    plugin left out: that one is reported at the end of the run, and the rest of the selection runs."""
    if not patterns:
        return names
    chosen = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns)]
    unmatched = [p for p in patterns if not any(fnmatch.fnmatchcase(n, p) for n in (*names, *left_out))]
    if unmatched:
        raise FakebenchError(f"no {what} matches {', '.join(repr(p) for p in unmatched)}; known: {', '.join(names)}",
                             fix=f"pick from the known {what}s (glob patterns work)")
    return chosen


def _run_of(spec: DetectorSpec) -> str:
    """The default-run entry a trained spec is: its recipe, `aligned-shader` or `aligned-webp`."""
    return SHADER if spec.procedural else WEBP_RUN if spec.augment == WEBP else spec.recipe


def detector_specs(world: WorldConfig) -> tuple[dict[str, DetectorSpec], list[str]]:
    """Every registered detector as benchmark entries, and the labels a run uses by default.

    A trainable detector becomes one entry per recipe of the world (`aligned-resnet50`,
    `baseline-resnet50`, `aligned-sync-resnet50`), trained on the world's training generator, and, when
    the world has procedural reals, one trained aligned on them (`aligned-shader-resnet50`); any other
    detector is scored as it comes (`myplugin`). The defaults are the entries the world's detectors
    `runs`, and every installed plugin (baseline and aligned when trainable). A plugin whose factory
    raises, or whose detector lacks the protocol (`fakebench.detectors.base.as_detector`), is reported and
    left out; the rest of the run goes on."""
    configured = {d.name: d for d in world.detectors}
    specs: dict[str, DetectorSpec] = {}
    defaults: list[str] = []
    for name in DETECTORS.names():
        kwargs = configured[name].params if name in configured else ()
        try:
            trainable = is_trainable(name, kwargs)
        except Exception as exc:  # a broken plugin must not take the run down (recorded once per name)
            DETECTORS.record_failure(name, exc)
            continue
        entries = [DetectorSpec(name, recipe, world.train_generator if recipe else "", kwargs)
                   for recipe in (world.recipes if trainable else ("",))]
        if trainable and world.reals.procedural:
            entries.append(DetectorSpec(name, "aligned", world.train_generator, kwargs,
                                        reals=f"procedural:{world.reals.procedural}"))
        if trainable and WEBP_RUN in configured.get(name, WorldDetector(name)).runs:
            entries.append(DetectorSpec(name, "aligned", world.train_generator, kwargs, augment=WEBP))
        plugin = DETECTORS.origin(name) != "built-in"
        runs = configured[name].runs if name in configured else (DEFAULT_RUNS if plugin else None)
        for spec in entries:
            specs[spec.label] = spec
            if runs is not None and (not spec.recipe or _run_of(spec) in runs):
                defaults.append(spec.label)
    return specs, defaults


def build_cases(world: WorldConfig, detectors: list[str] | None = None, generators: list[str] | None = None,
                perturbations: list[str] | None = None, seeds: tuple[int, ...] = (0,),
                folder_generators: tuple[str, ...] = ()) -> list[Case]:
    """Cases for a selection; with no perturbations named, each detector and generator gets those of the
    world's first matching rule. `folder_generators` come from folder datasets: their relation to the
    training generator is unknown, so the paper predicts nothing about them (no expected failure). A
    selection that leaves no case is an error naming the filter that emptied it."""
    specs, defaults = detector_specs(world)
    left_out = tuple(DetectorSpec.label_of(f.name, r) for f in DETECTORS.failures for r in ("", *RECIPES))
    det_names = _select(sorted(specs), detectors, "detector", left_out) if detectors else defaults
    gen_names = _select(list(world.generators) + list(folder_generators), generators, "generator")
    pert_ids = world.perturbation_ids(perturbations)
    allowed = {(d, g): set(pert_ids) if perturbations else set(world.default_perturbations(d, g))
               for d in det_names for g in gen_names}
    seeds = tuple(dict.fromkeys(seeds))
    cases = [
        Case(specs[d], g, p, floor=world.floor,
             expected_failure="" if g in folder_generators
             else expected_failure(specs[d].recipe, g, p, world, webp_trained=specs[d].augment == WEBP),
             seed=seed, several_seeds=len(seeds) > 1)
        for seed in seeds for g in gen_names for p in pert_ids for d in det_names if p in allowed[d, g]
    ]
    if not cases:
        raise FakebenchError(f"the {world.name} world builds no case: {_emptied_by(world, det_names, gen_names)}",
                             fix="widen that filter (or add to the world file)")
    return cases


def _emptied_by(world: WorldConfig, detectors: list[str], generators: list[str]) -> str:
    if not detectors:
        return "no detector (the world's [detectors] run none and no plugin is installed)"
    if not generators:
        return "no generator (the world's generators are empty and no --data or data dataset gives one)"
    return f"its [[score]] rules give no perturbation to {', '.join(detectors)} on {', '.join(generators)}"
