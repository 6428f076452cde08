"""A world in memory: which generators exist and play which role, which detectors train on what, how big
the test sets are, and what the default run scores. Worlds are written as TOML files
(`fakebench.benchmark.world_files` reads and checks them; the built-in ones are in `benchmark/worlds/`);
this module holds only the mechanisms every world shares."""
from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, replace
from typing import Any

from fakebench.data.corpus import CorpusConfig
from fakebench.detectors.recipes import RECIPES
from fakebench.detectors.train_config import TrainConfig
from fakebench.evaluation.perturbations import QUICK_PERTURBATIONS, grid_perturbations, parse_perturbation

FLOOR = 0.6  # balanced accuracy a detector must reach on a case it is expected to handle
SHADER = "aligned-shader"  # a detector's default-run entry trained aligned on the world's procedural reals
WEBP_RUN = "aligned-webp"  # ... trained aligned with WebP added to the augmentation (claim C7)
DEFAULT_RUNS: tuple[str, ...] = ("baseline", "aligned")  # what a detector adds to the default run unless told


def key(doc: str, default: Any = MISSING, *, factory: Callable[[], Any] | None = None, **toml: Any) -> Any:
    """A world field and its one-line description: the one place a world key is documented (the schema
    that checks world files and the key reference derive from it; fakebench.benchmark.world_files). `toml`
    says how a file writes the key where the Python type does not: `type` (the TOML types it accepts),
    `words` (those types in words), `left_out` (its value when left out), `file=False` (no file key)."""
    return field(metadata={"doc": doc, **toml}, **({"default_factory": factory} if factory else {"default": default}))


@dataclass(frozen=True)
class WorldDetector:
    """A registered detector in a world (`[detectors.<name>]`): its factory parameters and the entries it
    adds to the default run (recipes, `aligned-shader` or `aligned-webp`; an untrainable detector runs as
    it comes)."""

    name: str = key("the registered detector (`fakebench list detectors`): the table's name", file=False)
    params: tuple[tuple[str, object], ...] = key("its factory's parameters", (), type=dict, left_out={})
    runs: tuple[str, ...] = key(f"what it adds to the default run: recipes, {SHADER}, {WEBP_RUN}", DEFAULT_RUNS)
    # they reach its checkpoint keys through the config
    train: tuple[tuple[str, object], ...] = key(
        "[train] fields its runs change (say, fewer epochs for a backbone slow on a CPU); not schedule, augment, "
        "plateau, seed", (), type=dict, left_out={})


@dataclass(frozen=True)
class ScoreRule:
    """One rule of what the default run scores (`[[score]]`): a case whose detector label and generator
    match the globs (empty: any) is scored under `perturbations`. The first matching rule decides."""

    perturbations: str = key('perturbation ids, "grid" or "quick" (comma-separated, or an array)',
                             type=(str, list), words="string or array of strings")
    detectors: tuple[str, ...] = key("detector label globs it applies to (none: every detector)", ())
    generators: tuple[str, ...] = key("generator globs it applies to (none: every generator)", ())

    def matches(self, label: str, generator: str) -> bool:
        return all(not globs or any(fnmatch.fnmatchcase(name, g) for g in globs)
                   for name, globs in ((label, self.detectors), (generator, self.generators)))


@dataclass(frozen=True)
class Roles:
    """`[roles]`: the generators the paper's claims read, by name."""

    same_autoencoder: tuple[str, ...] = key("the generators sharing the train generator's autoencoder", ())
    denoiser_differs: str = key("the generator playing Playground v2.5 (same autoencoder, other denoiser)", "")
    autoencoder_differs: str = key("the generator whose autoencoder differs (the paper's stated limit)", "")


@dataclass(frozen=True)
class Reals:
    """`[reals]`: the photo corpus and the training reals of the trainable detectors."""

    corpus: CorpusConfig = key("the photo corpus: fakebench.data.corpus.CorpusConfig's fields", factory=CorpusConfig,
                               type=dict, left_out={})
    train: str = key("every trainable detector's training and validation reals: one source or a mixture (the union "
                     "of its sources' sets) of corpus, procedural:N, photos:N (N crops per packaged photo), "
                     "folder:PATH (relative to the file), hf:...",
                     "corpus", type=(str, list), words="string or array of strings")
    procedural: int = key("procedural training reals of the shader experiment (aligned-shader); 0: none", 0)


@dataclass(frozen=True)
class TestSets:
    """`[test]`: the test sets' sizes and the short sides of the resize sweep."""

    __test__ = False  # not a pytest class

    fakes: int = key("fakes each generating generator makes for the test set", 300)
    reconstructions: int | None = key(
        "a reconstruct-only generator (taef2) is tested on the round trips of this many held-out reals, evenly "
        "spaced over the test set ('all': all of them)", None, type=(int, str), words='whole number or "all"',
        left_out="all")
    round_trips: str = key('how those round trips are stored: "png" as the autoencoder writes them, "like-reals" '
                           "each as its real is (the decoder's trace all that tells a pair apart)", "png")
    native_side: int = key("the training generator's output side: a smaller short side downscales", 64)
    short_sides: tuple[int, ...] = key("the fixed short sides the grid's resize sweep adds (short<side>)",
                                       (48, 96, 128))


@dataclass(frozen=True)
class ClaimsSettings:
    """`[claims]`: which detector the paper's claims compare, and whether this world can judge them."""

    backbone: str = key("the detector whose recipes the claims compare", "resnet50")
    backbones: tuple[str, ...] = key(
        "detectors that compete to be `backbone`: the one whose aligned run (training seed 0) has the highest AUC on "
        "the validation photos and their round trips is chosen before any claim is judged (ties: the first listed); "
        "empty: `backbone`", ())
    judged: bool = key("whether the world's sets are big enough for the paper's claims to be judged", True)
    unjudged: tuple[tuple[str, str], ...] = key("claim id -> why this world cannot judge it (the claim is skipped)",
                                                (), type=dict, left_out={}, words="table of claim id = reason")


@dataclass(frozen=True)
class WorldConfig:
    """A world: generators and roles, detectors, reals, training, test sets, the default run's rules. Its
    fields mirror the world file's keys and tables (fakebench.benchmark.world_files)."""

    name: str = key("the world's name: its file's stem", file=False)
    generators: tuple[str, ...] = key("registered generator names (`fakebench list generators`)", ())
    train_generator: str = key("the generator trainable detectors train on (one of generators)", "")
    description: str = key("one line for `fakebench list worlds`", "")
    recipes: tuple[str, ...] = key("the recipes its trainable detectors get", RECIPES)
    aligned_storage: str = key('how the aligned recipes store their reconstructions: "png" as the autoencoder '
                               'writes them, "like-reals" each as its real is stored (format-matched)', "png")
    data: tuple[str, ...] = key("datasets (folder:PATH relative to the file, hf:...) whose generators every run "
                                "scores, as --data", ())
    floor: float = key("the balanced accuracy a case it expects to be handled must reach", FLOOR)
    cpu_warning: str = key("one line shown before a run on a CPU: how long it takes, what to run instead", "")
    roles: Roles = key("the roles the claims read", factory=Roles)
    detectors: tuple[WorldDetector, ...] = key(
        "the detectors a run uses unless --detectors says otherwise (installed plugins join them)", (),
        type=dict, left_out={}, words="table of detector tables")
    reals: Reals = key("the photo corpus and the training reals", factory=Reals)
    train: TrainConfig = key("a schedule preset, augment and plateau tables, and TrainConfig's fields",
                             factory=TrainConfig, type=dict, left_out={})
    test: TestSets = key("the test sets", factory=TestSets)
    score: tuple[ScoreRule, ...] = key("what a run that names no perturbations scores, per detector label and "
                                       "generator: the first matching rule", (ScoreRule("grid"),),
                                       left_out=[{"perturbations": "grid"}])
    claims: ClaimsSettings = key("the paper's claims in this world", factory=ClaimsSettings)
    source: str = key("what run.json names it by: builtin:<name>, or the world file's path as given", "", file=False)
    sha256: str = key("of the merged world file (fakebench.benchmark.world_files.world_sha256)", "", file=False)

    def train_config(self, detector: str, seed: int) -> TrainConfig:
        """The world's training config for `detector`'s runs under `seed`: [train], then the detector's own
        `train` overrides."""
        overrides = next((dict(d.train) for d in self.detectors if d.name == detector), {})
        return replace(self.train, seed=seed, **overrides)

    def perturbation_ids(self, selection: str | list[str] | None = None) -> list[str]:
        """Expand `grid` / `quick` into perturbation ids, checked and canonical; no selection: every
        perturbation the world's rules name, in the grid's order (then the others, in rule order)."""
        if not selection:
            named = [p for rule in self.score for p in self.perturbation_ids(rule.perturbations)]
            grid = self.perturbation_ids("grid")
            return sorted(dict.fromkeys(named), key=lambda p: grid.index(p) if p in grid else len(grid))
        names = selection.split(",") if isinstance(selection, str) else selection
        ids: list[str] = []
        for name in (n.strip() for n in names if n.strip()):
            if name == "grid":
                ids += grid_perturbations(self.test.short_sides)
            elif name == "quick":
                ids += QUICK_PERTURBATIONS
            else:
                ids.append(name)
        return list(dict.fromkeys(parse_perturbation(i).id for i in ids))

    def default_perturbations(self, label: str, generator: str) -> list[str]:
        """What the default run scores this detector on this generator under (the first matching rule)."""
        rule = next((r for r in self.score if r.matches(label, generator)), None)
        return self.perturbation_ids(rule.perturbations) if rule else []
