"""A world in memory: which generators exist and play which role, which detectors train on what, how big
the test sets are, and what the default run scores. Worlds are written as TOML files
(`fakebench.benchmark.world_files` reads and checks them; the built-in ones are in `benchmark/worlds/`);
this module holds only the mechanisms every world shares."""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field, replace

from fakebench.data.corpus import CorpusConfig
from fakebench.detectors.recipes import RECIPES
from fakebench.detectors.training_loop import TrainConfig
from fakebench.evaluation.perturbations import GRID_PERTURBATIONS, QUICK_PERTURBATIONS, parse_perturbation

FLOOR = 0.6  # balanced accuracy a detector must reach on a case it is expected to handle
SHADER = "aligned-shader"  # a detector's default-run entry trained aligned on the world's procedural reals
WEBP_RUN = "aligned-webp"  # ... trained aligned with WebP added to the augmentation (claim C7)


@dataclass(frozen=True)
class WorldDetector:
    """A registered detector in a world: its factory parameters and the entries it adds to the default
    run (recipes, `aligned-shader` or `aligned-webp`; an untrainable detector runs as it comes)."""

    name: str
    params: tuple[tuple[str, object], ...] = ()
    runs: tuple[str, ...] = ("baseline", "aligned")
    # TrainConfig fields this detector's runs change from the world's [train] (say, fewer epochs for a
    # backbone that is slow on a CPU); they reach its checkpoint keys through the config
    train: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class ScoreRule:
    """One rule of what the default run scores: a case whose detector label and generator match the
    globs (empty: any) is scored under `perturbations`. The first matching rule decides."""

    perturbations: str
    detectors: tuple[str, ...] = ()
    generators: tuple[str, ...] = ()

    def matches(self, label: str, generator: str) -> bool:
        return all(not globs or any(fnmatch.fnmatchcase(name, g) for g in globs)
                   for name, globs in ((label, self.detectors), (generator, self.generators)))


@dataclass(frozen=True)
class WorldConfig:
    """A world: generators and roles, detectors, reals, training, test-set sizes, the default run's rules."""

    name: str
    generators: tuple[str, ...] = ()
    train_generator: str = ""
    description: str = ""  # one line for `fakebench list worlds`
    source: str = ""  # what run.json names it by: builtin:<name>, or the world file's path as given
    sha256: str = ""  # of the merged world file (fakebench.benchmark.world_files.world_sha256)
    # the detectors a run uses unless --detectors says otherwise; installed plugins join them, and any
    # registered detector can be selected by name
    detectors: tuple[WorldDetector, ...] = ()
    recipes: tuple[str, ...] = RECIPES  # the recipes its trainable detectors get
    n_test_fakes: int = 300
    # a reconstruction-only generator (taef2) is tested on the round trips of this many held-out reals,
    # evenly spaced over the test set (None: all of them)
    n_test_reconstructions: int | None = None
    # how those test round trips are stored (ALIGNED_STORAGES): "png" as the autoencoder writes them, or
    # "like-reals" each as its real is stored, so the decoder's trace is all that tells a pair apart
    test_round_trips: str = "png"
    corpus: CorpusConfig = field(default_factory=CorpusConfig)
    # the training and validation reals of every trainable detector: a source text of
    # fakebench.data.reals.source_reals (one source, or a mixture's sources joined by " + ")
    train_reals: str = "corpus"
    procedural_reals: int = 0  # training reals of the shader experiment (`aligned-shader-<name>`); 0: none
    # how the aligned recipes store their reconstructions (fakebench.detectors.recipes.ALIGNED_STORAGES):
    # "png" as the autoencoder writes them, "like-reals" each as its real is stored (format-matched)
    aligned_storage: str = "png"
    data: tuple[str, ...] = ()  # datasets (`folder:PATH`, `hf:...`) whose generators every run scores, as --data
    train: TrainConfig = field(default_factory=TrainConfig)
    # the roles the claims read
    same_autoencoder: tuple[str, ...] = ()  # generators sharing the train generator's autoencoder
    denoiser_differs: str = ""  # the generator playing Playground v2.5 (same autoencoder, other denoiser)
    autoencoder_differs: str = ""  # the generator whose autoencoder differs (the paper's stated limit)
    floor: float = FLOOR
    native_side: int = 64  # the training generator's output side: a smaller short side downscales
    short_sides: tuple[int, ...] = (48, 96, 128)  # fixed short sides of the resize sweep
    # what a run that names no perturbations scores, per detector label and generator (first match)
    rules: tuple[ScoreRule, ...] = (ScoreRule("grid"),)
    judges_claims: bool = True  # whether its sets are big enough for the paper's claims to be judged
    claims_backbone: str = "resnet50"  # the detector whose recipes the claims compare
    # claim id -> why this world cannot judge it (the claim is skipped with that reason)
    unjudged_claims: tuple[tuple[str, str], ...] = ()
    cpu_warning: str = ""  # one line shown before a run on a CPU: how long it takes, what to run instead

    def train_config(self, detector: str, seed: int) -> TrainConfig:
        """The world's training config for `detector`'s runs under `seed`: [train], then the detector's own
        `train` overrides."""
        overrides = next((dict(d.train) for d in self.detectors if d.name == detector), {})
        return replace(self.train, seed=seed, **overrides)

    def perturbation_ids(self, selection: str | list[str] | None = None) -> list[str]:
        """Expand `grid` / `quick` into perturbation ids, checked and canonical; no selection: every
        perturbation the world's rules name, in the grid's order (then the others, in rule order)."""
        if not selection:
            named = [p for rule in self.rules for p in self.perturbation_ids(rule.perturbations)]
            grid = self.perturbation_ids("grid")
            return sorted(dict.fromkeys(named), key=lambda p: grid.index(p) if p in grid else len(grid))
        names = selection.split(",") if isinstance(selection, str) else selection
        ids: list[str] = []
        for name in (n.strip() for n in names if n.strip()):
            if name == "grid":
                ids += [*GRID_PERTURBATIONS[:6], *(f"short{s}" for s in self.short_sides), *GRID_PERTURBATIONS[6:]]
            elif name == "quick":
                ids += QUICK_PERTURBATIONS
            else:
                ids.append(name)
        return list(dict.fromkeys(parse_perturbation(i).id for i in ids))

    def default_perturbations(self, label: str, generator: str) -> list[str]:
        """What the default run scores this detector on this generator under (the first matching rule)."""
        rule = next((r for r in self.rules if r.matches(label, generator)), None)
        return self.perturbation_ids(rule.perturbations) if rule else []
