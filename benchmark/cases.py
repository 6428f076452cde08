"""Benchmark cases: detector (recipe + backbone) x generator x perturbation, each with its floor.

Floors and expected failures are declared from the paper's findings before any run, never fitted
to our results: a case the paper predicts a detector to fail is an expected failure (xfail, not
strict), so a surprise pass shows as XPASS rather than hiding.
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field, replace

from fakebench.benchmark.perturbations import (
    GRID_PERTURBATIONS,
    QUICK_PERTURBATIONS,
    Compress,
    Resize,
    ShortSide,
    parse_perturbation,
    steps,
)
from fakebench.core.errors import FakebenchError
from fakebench.detectors.augment import AugmentConfig, augment_preset
from fakebench.detectors.recipes import RECIPES
from fakebench.detectors.registry import DETECTORS
from fakebench.detectors.spec import WEBP, DetectorSpec, is_trainable
from fakebench.detectors.training_loop import TrainConfig, train_config
from fakebench.generators.corpus import CorpusConfig

FLOOR = 0.6  # balanced accuracy a detector must reach on a case it is expected to handle


@dataclass(frozen=True)
class WorldConfig:
    """Which generators exist, which one detectors train on, and how big the test sets are."""

    name: str
    generators: tuple[str, ...]
    train_generator: str
    # the detectors a run uses unless --detectors says otherwise: (registry name, factory kwargs);
    # installed plugins join them, and any registered detector can be selected by name
    detectors: tuple[tuple[str, tuple[tuple[str, object], ...]], ...] = (("resnet50", ()),)
    n_test_fakes: int = 300
    # a reconstruction-only generator (taef2) is tested on the round trips of this many held-out reals,
    # evenly spaced over the test set (None: all of them)
    n_test_reconstructions: int | None = None
    corpus: CorpusConfig = field(default_factory=CorpusConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    same_autoencoder: tuple[str, ...] = ()  # generators sharing the train generator's autoencoder
    denoiser_differs: str = ""  # the generator playing Playground v2.5 (same autoencoder, other denoiser)
    autoencoder_differs: str = ""  # the generator whose autoencoder differs (the paper's stated limit)
    floor: float = FLOOR
    native_side: int = 64  # the training generator's output side: a smaller short side downscales
    short_sides: tuple[int, ...] = (48, 96, 128)  # fixed short sides of the resize sweep
    default_perturbations: str = "grid"  # "grid", "quick" or a comma-separated list of ids
    judges_claims: bool = True  # whether its sets are big enough for the paper's claims to be judged
    # registry names whose `aligned-sync-<name>` joins the default run (every trainable one is selectable)
    sync_detectors: tuple[str, ...] = ()
    # the shader experiment: registry names also trained aligned on `procedural_reals` procedural images
    # (`aligned-shader-<name>`, default run), scored on the photo test sets like every other detector
    shader_detectors: tuple[str, ...] = ()
    procedural_reals: int = 0
    # registry names also trained aligned with WebP added to the training augmentation (`aligned-webp-<name>`,
    # default run, scored like the sync and shader detectors): what claim C7 reads, where C4a shows its limit
    webp_detectors: tuple[str, ...] = ()
    # the perturbations the sync and shader detectors are scored under when a run selects none (""): the
    # world's default); a way to keep the default run in budget while the others keep the full grid
    added_perturbations: str = ""
    # generators scored under `added_perturbations` only (same rule): test generators that show a known
    # limit (taef2 and mini-othervae in the mini world) rather than the robustness grid
    added_generators: tuple[str, ...] = ()
    # registry names whose baseline and aligned detectors are scored under `added_perturbations` only (same
    # rule): detectors beside the paper's, where the whole grid does not fit the world's budget
    added_detectors: tuple[str, ...] = ()
    recipes: tuple[str, ...] = RECIPES  # the training recipes its trainable detectors get
    claims_backbone: str = "resnet50"  # the detector whose recipes the claims compare
    # claim id -> why this world cannot judge it (the claim is skipped with that reason)
    unjudged_claims: tuple[tuple[str, str], ...] = ()
    cpu_warning: str = ""  # one line shown before a run on a CPU: how long it takes, what to run instead

    def perturbation_ids(self, selection: str | list[str] | None = None) -> list[str]:
        """Expand `grid` / `quick` (or the world's default) into perturbation ids, checked and canonical."""
        names = selection or self.default_perturbations
        names = names.split(",") if isinstance(names, str) else names
        ids: list[str] = []
        for name in (n.strip() for n in names if n.strip()):
            if name == "grid":
                ids += [*GRID_PERTURBATIONS[:6], *(f"short{s}" for s in self.short_sides), *GRID_PERTURBATIONS[6:]]
            elif name == "quick":
                ids += QUICK_PERTURBATIONS
            else:
                ids.append(name)
        return list(dict.fromkeys(parse_perturbation(i).id for i in ids))


MINI_WORLD = WorldConfig(
    name="mini",
    # taef2: a real pretrained decoder no mini detector saw (reconstructions of the test photos)
    generators=("mini-sd", "mini-playground", "mini-othervae", "taef2"),
    train_generator="mini-sd",
    detectors=(("resnet50", (("width", 16),)), ("small-cnn", ()), ("freq-lr", ())),
    n_test_reconstructions=75,  # every 4th of the 300 test crops: keeps taef2 within 2 minutes of a cold run
    # the robustness grid on the training generator and the paper's detector (ResNet-50, baseline and
    # aligned); the other generators (another denoiser, two other autoencoders) and the other detectors
    # under the added perturbations: the 15-minute cold budget on 2 cores holds no more (README)
    added_generators=("mini-playground", "mini-othervae", "taef2"),
    added_detectors=("small-cnn", "freq-lr"),
    same_autoencoder=("mini-sd", "mini-playground"),
    denoiser_differs="mini-playground",
    autoencoder_differs="mini-othervae",
    # the light preset and cosine schedule (5 epochs) fit the CPU budget; the paper's early stopping would
    # run until 10 epochs without improvement. Sync and the shader experiment on the ResNet-50 only,
    # scored under the perturbations their comparisons read (the README says why)
    sync_detectors=("resnet50",),
    shader_detectors=("resnet50",),
    procedural_reals=1400,  # as many as the photo crops the others train on (7 photos x 200): same steps
    added_perturbations="identity,resize0.5,jpeg50,resize0.5+jpeg75",
)

# Same models, a handful of images and one short epoch: checks the plumbing in about a minute, not
# accuracy (its floor is 0). Our own tests run the pytest suite on it.
MINI_SMOKE_WORLD = WorldConfig(
    name="mini-smoke",
    generators=MINI_WORLD.generators,
    train_generator="mini-sd",
    detectors=(("resnet50", (("width", 8),)), ("small-cnn", (("channels", (8, 8, 16, 16)),)), ("freq-lr", ())),
    n_test_fakes=6,
    corpus=CorpusConfig(crops_per_photo={"train": 3, "val": 2, "test": 2}),
    train=TrainConfig(epochs=1, batch_size=8, augment=AugmentConfig(crop=32)),
    same_autoencoder=MINI_WORLD.same_autoencoder,
    denoiser_differs=MINI_WORLD.denoiser_differs,
    autoencoder_differs=MINI_WORLD.autoencoder_differs,
    floor=0.0,
    default_perturbations="quick",
    judges_claims=False,
)

# Real latent diffusion models through diffusers, from the local Hugging Face cache (or
# $FAKEBENCH_MODELS_DIR/<name>); a case whose weights are absent is skipped with the command that
# fetches them. Detectors train on sd15 and its autoencoder (the SD kl-f8 VAE, 4 latent channels), as
# the paper's do: its aligned fakes are SD 1.5 VAE reconstructions, and its compute count (C5) is SD's.
# Reals are the shipped photographs at a larger crop size (train real detectors on your own photos with
# `fakebench train --real DIR` and score them with `fakebench score`). Playground v2.5 plays the
# paper's "other denoiser" role (C1, Table 3) but decodes with the SDXL autoencoder (`sdxl-kl-f8`: the
# same architecture, retrained weights), so it is not in `same_autoencoder`: the generators there share
# the SD kl-f8 lineage. SD 3.5 (16-channel autoencoder) plays the stated limit (C4b).
REAL_WORLD = WorldConfig(
    name="real",
    generators=("sd15", "sd21", "sdxl", "sd35", "flux-schnell", "flux-dev", "playground-v2.5", "pixart-alpha",
                "pixart-sigma", "kandinsky-2.2", "wuerstchen", "lcm-sd15"),
    train_generator="sd15",
    detectors=(("resnet50", ()),),
    n_test_fakes=500,
    corpus=CorpusConfig(scales=(1.0,), min_side=128, max_side=256),
    # the paper's recipe: its augmentations (96-px crops) and schedule (Adam 1e-4, plateau, early stop)
    train=train_config("paper", batch_size=64, augment=augment_preset("paper")),
    sync_detectors=("resnet50",),
    shader_detectors=("resnet50",),
    procedural_reals=2000,
    same_autoencoder=("sd15", "sd21", "lcm-sd15", "pixart-alpha"),  # Playground v2.5 decodes with SDXL's
    denoiser_differs="playground-v2.5",
    autoencoder_differs="sd35",
    native_side=512,
    short_sides=(256, 384, 512),
)

# The taef2 world: detectors learn a real pretrained decoder's trace. TAEF2 (MIT, distilled from
# FLUX.2's VAE) reconstructs held-out photos at about 31 dB PSNR, so nothing but the decoder tells a
# reconstruction from its real. It takes GPU-scale training; on a CPU use taef2-smoke.
#
# The paper's recipe on a real decoder: aligned and aligned-sync, the paper's augmentations (96-px
# crops) and its plateau schedule capped at 12 epochs (the budget of one GPU), plus the shader experiment
# (aligned on procedural images only) that C6 compares with the photo-trained detector.
TAEF2_RECIPE = dict(
    recipes=("aligned", "aligned-sync"),
    train=train_config("paper", epochs=12, batch_size=64, augment=augment_preset("paper", crop=96)),
    sync_detectors=("resnet50-nodown",),
    shader_detectors=("resnet50-nodown",),
    procedural_reals=2800,  # as many as the photo crops the others train on: same steps
)
TAEF2_WORLD = WorldConfig(
    name="taef2",
    generators=("taef2", "mini-sd", "mini-playground", "mini-othervae"),
    train_generator="taef2",
    detectors=(("resnet50-nodown", ()),),
    n_test_fakes=300,  # fakes of the generating mini generators; taef2's are the test photos' reconstructions
    corpus=CorpusConfig(crops_per_photo={"train": 400, "val": 150, "test": 150}, scales=(1.0, 0.75, 0.5),
                        min_side=96, max_side=256),
    same_autoencoder=("taef2",),
    autoencoder_differs="mini-sd",
    native_side=256,
    short_sides=(96, 128, 192),
    claims_backbone="resnet50-nodown",
    unjudged_claims=(
        ("C1", "no generator here shares TAEF2's autoencoder with another denoiser (TAEF2 has no denoiser)"),
        ("C2a", "it compares the baseline recipe, which needs generated fakes: TAEF2 cannot generate"),
        ("C2b", "it compares the baseline recipe, which needs generated fakes: TAEF2 cannot generate"),
        ("C5", "TAEF2 cannot generate, so there is no generation cost to compare"),
    ),
    cpu_warning=("the taef2 world is sized for one GPU (a cold run: about 10 minutes there); on a 2-core CPU "
                 "its training alone (2 x 2800 crops x 12 epochs through a full-width ResNet-50 without "
                 "stem stride) takes many hours. Use --world taef2-smoke for the plumbing on a CPU, or "
                 "--device cuda."),
    **TAEF2_RECIPE,
)
# The same pipeline on a handful of crops and one short epoch: the plumbing on a CPU, floor 0.
TAEF2_SMOKE_WORLD = replace(
    TAEF2_WORLD,
    name="taef2-smoke",
    detectors=(("resnet50-nodown", (("width", 8),)),),
    n_test_fakes=4,
    corpus=CorpusConfig(crops_per_photo={"train": 3, "val": 2, "test": 2}, scales=(1.0, 0.5), min_side=96,
                        max_side=128),
    train=train_config("paper", epochs=1, batch_size=8, augment=augment_preset("paper", crop=32)),
    procedural_reals=12,
    floor=0.0,
    default_perturbations="quick",
    judges_claims=False,
    cpu_warning="",
)

WORLDS = {w.name: w for w in (MINI_WORLD, MINI_SMOKE_WORLD, REAL_WORLD, TAEF2_WORLD, TAEF2_SMOKE_WORLD)}


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
    """The paper's predictions concern detectors trained by a recipe; others get no a-priori verdict. One
    trained with WebP among its augmentations (`webp_trained`) is not expected to fail on WebP (claim C7)."""
    if not recipe:
        return ""
    if generator not in world.same_autoencoder:
        return "known limit: the generator's autoencoder differs from the training generator's (paper, Sec. 5)"
    if recipe == "baseline" and generator != world.train_generator:
        return "paper: the baseline degrades on a generator whose denoiser differs (Playground, aligned +36.98/+52.09)"
    if recipe == "baseline" and _downscales(perturbation, world.native_side):
        return "paper: the baseline learns resolution, so downscaled images fool it"
    if recipe.startswith("aligned") and _webp(perturbation) and not webp_trained:
        return "known limit: WebP compression, absent from training augmentations, hurts the aligned detector (paper)"
    return ""


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


def detector_specs(world: WorldConfig) -> tuple[dict[str, DetectorSpec], list[str]]:
    """Every registered detector as benchmark entries, and the labels a run uses by default.

    A trainable detector becomes one entry per recipe (`aligned-resnet50`, `baseline-resnet50`,
    `aligned-sync-resnet50`), trained on the world's training generator, and, when the world has
    procedural reals, one trained aligned on them (`aligned-shader-resnet50`); any other detector is
    scored as it comes (`myplugin`). The defaults are the world's detectors by baseline and aligned,
    its `sync_detectors` and `shader_detectors`, and every installed plugin. A plugin whose factory
    raises, or whose detector lacks the protocol (`fakebench.detectors.base.as_detector`), is reported and left
    out; the rest of the run goes on."""
    configured = dict(world.detectors)
    specs: dict[str, DetectorSpec] = {}
    defaults: list[str] = []
    for name in DETECTORS.names():
        kwargs = configured.get(name, ())
        try:
            trainable = is_trainable(name, kwargs)
        except Exception as exc:  # a broken plugin must not take the run down (recorded once per name)
            DETECTORS.record_failure(name, exc)
            continue
        entries = [DetectorSpec(name, recipe, world.train_generator if recipe else "", kwargs)
                   for recipe in (world.recipes if trainable else ("",))]
        if trainable and world.procedural_reals:
            entries.append(DetectorSpec(name, "aligned", world.train_generator, kwargs,
                                        reals=f"procedural:{world.procedural_reals}"))
        if trainable and name in world.webp_detectors:
            entries.append(DetectorSpec(name, "aligned", world.train_generator, kwargs, augment=WEBP))
        for spec in entries:
            specs[spec.label] = spec
            if spec.procedural:
                wanted = name in world.shader_detectors
            elif spec.augment:
                wanted = True
            elif spec.recipe == "aligned-sync":
                wanted = name in world.sync_detectors
            else:
                wanted = name in configured or DETECTORS.origin(name) != "built-in"
            if wanted:
                defaults.append(spec.label)
    return specs, defaults


def build_cases(world: WorldConfig, detectors: list[str] | None = None, generators: list[str] | None = None,
                perturbations: list[str] | None = None, seeds: tuple[int, ...] = (0,),
                folder_generators: tuple[str, ...] = ()) -> list[Case]:
    """Cases for a selection. `folder_generators` come from folder datasets: their relation to the
    training generator is unknown, so the paper predicts nothing about them (no expected failure)."""
    specs, defaults = detector_specs(world)
    left_out = tuple(label for f in DETECTORS.failures for label in (f.name, *(f"{r}-{f.name}" for r in RECIPES)))
    det_names = _select(sorted(specs), detectors, "detector", left_out) if detectors else defaults
    gen_names = _select(list(world.generators) + list(folder_generators), generators, "generator")
    pert_ids = world.perturbation_ids(perturbations)
    narrow = set(world.perturbation_ids(world.added_perturbations)) if world.added_perturbations and not perturbations \
        else None
    seeds = tuple(dict.fromkeys(seeds))
    return [
        Case(specs[d], g, p, floor=world.floor,
             expected_failure="" if g in folder_generators
             else expected_failure(specs[d].recipe, g, p, world, webp_trained=specs[d].augment == WEBP),
             seed=seed, several_seeds=len(seeds) > 1)
        for seed in seeds for g in gen_names for p in pert_ids for d in det_names
        if narrow is None or p in narrow
        or not (specs[d].procedural or specs[d].augment or specs[d].recipe == "aligned-sync"
                or specs[d].detector in world.added_detectors or g in world.added_generators)
    ]
