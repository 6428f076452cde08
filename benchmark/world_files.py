"""World files: a world as TOML, read with the standard library's `tomllib` and checked on load.

A built-in world is `benchmark/worlds/<name>.toml` (`--world mini`); a researcher's own is any path
(`--world my.toml`). Every key is optional; `extends` merges this file over another world, tables key by
key, arrays replaced whole. The keys and tables are `WorldConfig`'s fields and nested dataclasses
(fakebench.benchmark.world), each described once in its field's metadata: `SCHEMA`, which checks a file,
and `world_keys()`, the key reference, are derived from them. A short example:

    extends = "mini"                  # a built-in world's name, or a path relative to this file
    description = "one line"          # `fakebench list worlds`
    generators = ["mini-sd", "mini-playground", "taef2"]
    train_generator = "mini-sd"
    [roles]
    same_autoencoder = ["mini-sd", "mini-playground"]
    [detectors.resnet50]
    params = { width = 16 }
    runs = ["baseline", "aligned", "aligned-sync"]
    [reals]
    train = ["corpus", "procedural:700"]
    [train]
    schedule = "paper"
    augment = { preset = "paper", crop = 96 }
    [test]
    reconstructions = 75              # or "all"
    [[score]]                         # first match wins
    detectors = ["aligned-sync-*"]
    perturbations = "identity,jpeg50"
    [claims]
    unjudged = { C5 = "why this world cannot judge it" }
"""
from __future__ import annotations

import fnmatch
import functools
import hashlib
import json
from collections.abc import Iterator
from dataclasses import MISSING, Field, fields, is_dataclass, replace
from importlib.resources import files
from pathlib import Path
from typing import Any, NamedTuple, get_args, get_origin, get_type_hints

from fakebench.benchmark.world import (
    DEFAULT_RUNS,
    FLOOR,
    SHADER,
    WEBP_RUN,
    ClaimsSettings,
    Reals,
    Roles,
    ScoreRule,
    TestSets,
    WorldConfig,
    WorldDetector,
)
from fakebench.core.errors import FakebenchError
from fakebench.data.corpus import CorpusConfig
from fakebench.data.folders import PREFIX as FOLDER_PREFIX
from fakebench.data.reals import SOURCE_FORMS, reals_sources, reals_text, split_reals
from fakebench.detectors.augment import AugmentConfig, augment_preset
from fakebench.detectors.recipes import ALIGNED_STORAGES, RECIPES
from fakebench.detectors.registry import DETECTORS
from fakebench.detectors.spec import frozen_kwargs
from fakebench.detectors.train_config import PlateauConfig, TrainConfig, train_config
from fakebench.evaluation.claim_ids import CLAIM_IDS
from fakebench.generators.registry import GENERATORS

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

SUFFIX = ".toml"
BUILTIN = "builtin:"  # how run.json names a built-in world: builtin:mini
# [train] keys a detector's own `train` cannot change (the seed comes from the run's --seeds)
WHOLE_RUN_TRAIN = ("schedule", "augment", "plateau", "seed")
TYPE_WORDS = {int: "whole number", float: "number", str: "string", bool: "true or false"}
TOML_WORDS = {**TYPE_WORDS, list: "array", dict: "table"}
EXTENDS_DOC = "the world this file is merged over: a built-in world's name, or a path relative to this file"


class WorldKey(NamedTuple):
    """One key of a world file, for the key reference: where it is, its TOML type in words, its value
    when left out, and its description (the field's metadata)."""

    path: str  # `test.fakes`, `detectors.<name>.runs`, `score[].perturbations`
    words: str
    default: Any
    doc: str


def _file_fields(cls: type) -> list[tuple[Field, Any]]:
    """The fields of a world dataclass that a world file writes, each with its resolved type."""
    hints = get_type_hints(cls)
    return [(f, hints[f.name]) for f in fields(cls) if f.metadata.get("file", True)]


def _toml_type(f: Field, hint: Any) -> Any:
    """The TOML type(s) a field's key takes (its metadata's `type`, else its own: a tuple as an array), or
    the schema of the table a nested world dataclass is."""
    if "type" in f.metadata:
        return f.metadata["type"]
    if is_dataclass(hint):
        return _schema(hint)
    return list if get_origin(hint) is tuple else hint


def _schema(cls: type) -> dict[str, Any]:
    return {f.name: _toml_type(f, hint) for f, hint in _file_fields(cls)}


# each table's keys (a nested table as a dict), derived from the dataclasses; `detectors` holds one table
# per registered detector, of DETECTOR_KEYS, and `score` an array of tables of RULE_KEYS
SCHEMA: dict[str, Any] = {"extends": str, **_schema(WorldConfig)}
DETECTOR_KEYS = _schema(WorldDetector)
RULE_KEYS = _schema(ScoreRule)
ENTRIES = {"detectors": ("detectors.<name>.", WorldDetector), "score": ("score[].", ScoreRule)}


def _words(f: Field, hint: Any, kind: Any) -> str:
    if "words" in f.metadata:
        return f.metadata["words"]
    if isinstance(kind, tuple):
        return " or ".join(TOML_WORDS[t] for t in kind)
    item = get_args(hint)[0] if get_origin(hint) is tuple else None
    if kind is list and item is not None:
        return f"array of {'tables' if is_dataclass(item) else TOML_WORDS[item] + 's'}"
    return TOML_WORDS[kind]


def _default(f: Field) -> Any:
    """A field's value when its key is left out, as TOML writes it (metadata's `left_out` where it differs);
    None for a key that must be given."""
    if "left_out" in f.metadata:
        return f.metadata["left_out"]
    if f.default is MISSING and f.default_factory is MISSING:
        return None
    value = f.default_factory() if f.default is MISSING else f.default
    return list(value) if isinstance(value, tuple) else value


def world_keys() -> Iterator[WorldKey]:
    """Every key a world file can hold, in the dataclasses' order, a table's keys after it: what a key
    reference page lists. Derived from the fields' metadata, as SCHEMA is."""
    yield WorldKey("extends", TOML_WORDS[SCHEMA["extends"]], "", EXTENDS_DOC)
    yield from _keys(WorldConfig, "")


def _keys(cls: type, prefix: str) -> Iterator[WorldKey]:
    for f, hint in _file_fields(cls):
        kind, doc = _toml_type(f, hint), f.metadata.get("doc", "")
        if isinstance(kind, dict):
            yield WorldKey(prefix + f.name, "table", {}, doc)
            yield from _keys(hint, f"{prefix}{f.name}.")
            continue
        yield WorldKey(prefix + f.name, _words(f, hint, kind), _default(f), doc)
        if cls is WorldConfig and f.name in ENTRIES:
            yield from _keys(ENTRIES[f.name][1], ENTRIES[f.name][0])


def builtin_dir() -> Path:
    return Path(str(files("fakebench.benchmark") / "worlds"))


def builtin_worlds() -> list[str]:
    return sorted(p.stem for p in builtin_dir().glob(f"*{SUFFIX}"))


def world_lines(pattern: str | None = None) -> list[str]:
    """One line per built-in world: its name and description (`fakebench list worlds`)."""
    names = [n for n in builtin_worlds() if pattern is None or fnmatch.fnmatchcase(n, pattern)]
    width = max((len(n) for n in names), default=0)
    return [f"{n:<{width}}  {load_world(n).description}" for n in names]


def _bad(path: Path, message: str, fix: str) -> FakebenchError:
    return FakebenchError(f"world file {path}: {message}", fix=fix)


def _resolve(ref: str, relative_to: Path | None = None) -> Path:
    """A built-in world's name, or a path to a TOML file (relative to the file that names it)."""
    if not ref.endswith(SUFFIX) and (builtin_dir() / f"{ref}{SUFFIX}").is_file():
        return builtin_dir() / f"{ref}{SUFFIX}"
    path = Path(ref).expanduser()
    path = (relative_to / path if relative_to and not path.is_absolute() else path).resolve()
    if ref.endswith(SUFFIX) and path.is_file():
        return path
    raise FakebenchError(f"unknown world {ref!r}; built-in worlds: {', '.join(builtin_worlds())}",
                         fix="pass a built-in world's name or the path to a .toml world file (fakebench list worlds)")


def _check_keys(table: dict, schema: dict, path: Path, where: str = "") -> None:
    """Every key known and of its type: one line naming the key, the value and the fix."""
    for key, value in table.items():
        name = f"{where}{key}"
        if key not in schema:
            raise _bad(path, f"unknown key {name!r}",
                       f"use one of {', '.join(schema)}{' in [' + where[:-1] + ']' if where else ''}")
        kind = schema[key]
        if isinstance(kind, dict):
            if not isinstance(value, dict):
                raise _bad(path, f"{name} = {value!r} is not a table", f"write [{name}] with keys {', '.join(kind)}")
            _check_keys(value, kind, path, f"{name}.")
            continue
        types = kind if isinstance(kind, tuple) else (kind,)
        ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
        if not ok and not (float in types and isinstance(value, int) and not isinstance(value, bool)):
            what = " or ".join({"str": "string", "list": "array", "dict": "table"}.get(t.__name__, t.__name__)
                               for t in types)
            raise _bad(path, f"{name} = {value!r} should be a TOML {what}", f"write {name} as a TOML {what}")


def _read(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """A world file's table, merged over the world it extends; folder datasets made absolute."""
    if path in seen:
        raise _bad(path, f"extends itself through {' -> '.join(p.name for p in seen)}", "break the extends cycle")
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:  # its message ends "(at line N, column M)"
        raise FakebenchError(f"world file {path} does not parse: {exc}", fix="fix the TOML at that line") from None
    except OSError as exc:
        raise FakebenchError(f"cannot read world file {path}: {exc}", fix="check the path") from None
    _check_keys(table, SCHEMA, path)
    for where, entries, keys in (("detectors.{}", table.get("detectors", {}).items(), DETECTOR_KEYS),
                                 ("score[{}]", enumerate(table.get("score", [])), RULE_KEYS)):
        for key, entry in entries:
            _check_keys({where.format(key): entry}, {where.format(key): keys}, path)
    if "data" in table:
        table["data"] = [_absolute(d, path) for d in table["data"]]
    if "train" in table.get("reals", {}):  # checked here, so the message names the file that holds it
        train = table["reals"]["train"]
        try:
            table["reals"]["train"] = list(reals_sources([_absolute(p, path) for p in split_reals(train)]))
        except FakebenchError as exc:
            raise _bad(path, f"reals.train = {train!r}: {exc.message}", exc.fix or SOURCE_FORMS) from None
    parent = table.pop("extends", None)
    return _merge(_read(_resolve(parent, path.parent), (*seen, path)), table) if parent else table


def _absolute(source: str, path: Path) -> str:
    """A `folder:` source relative to the world file made absolute; any other source as it is."""
    if not source.startswith(FOLDER_PREFIX):
        return source
    return f"{FOLDER_PREFIX}{(path.parent / Path(source[len(FOLDER_PREFIX):]).expanduser()).resolve()}"


def _merge(base: dict, over: dict) -> dict:
    """`over` on `base`: tables key by key, everything else (arrays too) replaced whole."""
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    if "description" not in over:  # a world's line describes that world, not the one it extends
        out.pop("description", None)
    return out


def _dataclass_kwargs(cls: type, table: dict, path: Path, where: str) -> dict:
    """`table` as keyword arguments of dataclass `cls`: known fields, arrays as tuples, ints as floats
    where the field is a float (so a config equals, and hashes like, the one written in Python)."""
    defaults = {f.name: getattr(cls(), f.name) for f in fields(cls)}
    out = {}
    for key, value in table.items():
        if key not in defaults:
            raise _bad(path, f"unknown key {where + key!r}", f"use one of {', '.join(defaults)}")
        default = defaults[key]
        if isinstance(default, tuple) and isinstance(value, list):
            value = tuple(float(v) if default and isinstance(default[0], float) else v for v in value)
        elif isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        out[key] = value
    return out


def _train(table: dict, path: Path) -> TrainConfig:
    table = dict(table)
    augment = dict(table.pop("augment", {}))
    plateau = table.pop("plateau", None)
    kwargs = _dataclass_kwargs(TrainConfig, table, path, "train.")
    kwargs.pop("schedule", None)
    if plateau is not None:
        kwargs["plateau"] = PlateauConfig(**_dataclass_kwargs(PlateauConfig, plateau, path, "train.plateau."))
    aug = augment_preset(augment.pop("preset", "light"), **_dataclass_kwargs(AugmentConfig, augment, path,
                                                                             "train.augment."))
    return train_config(table.get("schedule", "cosine"), **kwargs, augment=aug)


def _detector_train(table: dict, path: Path, detector: str) -> tuple[tuple[str, object], ...]:
    """A detector's own [train] overrides as frozen pairs: plain TrainConfig fields only (the schedule,
    augmentation and plateau stay the world's, so every detector's runs compare under one recipe; the
    seed is the run's)."""
    where = f"detectors.{detector}.train."
    for key in WHOLE_RUN_TRAIN:
        if key in table:
            raise _bad(path, f"{where + key} cannot differ per detector", f"set {key} in [train] for the whole world")
    kwargs = _dataclass_kwargs(TrainConfig, table, path, where)
    defaults = TrainConfig()
    for key, value in kwargs.items():
        default = getattr(defaults, key)
        if default is not None and type(value) is not type(default):  # bool is no int here, nor str a number
            kind = TYPE_WORDS.get(type(default), type(default).__name__)
            raise _bad(path, f"{where + key} = {value!r} is not a {kind}", f"give {key} a {kind}")
    return tuple(sorted(kwargs.items()))


def _registered(path: Path, key: str, names: list[str], registry: Any, what: str) -> None:
    for name in names:
        if name not in registry:
            raise _bad(path, f"{key}: {name!r} is not a registered {what}",
                       f"use one of {', '.join(registry.names())} (fakebench list {what}s), or install its plugin")


def _in_world(path: Path, key: str, names: list[str], generators: list[str]) -> None:
    for name in names:
        if name not in generators:
            raise _bad(path, f"{key} = {name!r} is not one of the world's generators ({', '.join(generators)})",
                       f"add {name!r} to generators, or name one of them")


def _table(cls: type, table: dict, **given: Any) -> Any:
    """World dataclass `cls` (a table's) from its checked table: arrays as tuples, then `given` (values
    converted by the caller) over them; a key left out takes the field's default."""
    return cls(**{**{k: tuple(v) if isinstance(v, list) else v for k, v in table.items()}, **given})


def _world(name: str, path: Path, t: dict) -> WorldConfig:
    """The checked WorldConfig of a merged table."""
    generators, roles, reals, test, claims = (t.get("generators", []), t.get("roles", {}), t.get("reals", {}),
                                              t.get("test", {}), t.get("claims", {}))
    _registered(path, "generators", generators, GENERATORS, "generator")
    _registered(path, "detectors", list(t.get("detectors", {})), DETECTORS, "detector")
    _in_world(path, "train_generator", [t["train_generator"]] if t.get("train_generator") else [], generators)
    _in_world(path, "roles.same_autoencoder", roles.get("same_autoencoder", []), generators)
    for role in ("denoiser_differs", "autoencoder_differs"):
        _in_world(path, f"roles.{role}", [roles[role]] if roles.get(role) else [], generators)
    recipes = t.get("recipes", list(RECIPES))
    for recipe in recipes:
        if recipe not in RECIPES:
            raise _bad(path, f"recipes: unknown recipe {recipe!r}", f"use some of {', '.join(RECIPES)}")
    storage = t.get("aligned_storage", WorldConfig.aligned_storage)
    round_trips = test.get("round_trips", TestSets.round_trips)
    for key, value in (("aligned_storage", storage), ("test.round_trips", round_trips)):
        if value not in ALIGNED_STORAGES:
            raise _bad(path, f"{key}: unknown storage {value!r}", f"use {' or '.join(ALIGNED_STORAGES)}")
    procedural = reals.get("procedural", 0)
    runnable = [*recipes, *([WEBP_RUN] if "aligned" in recipes else []), *([SHADER] if procedural else [])]
    detectors = []
    for det, entry in t.get("detectors", {}).items():
        runs = entry.get("runs", [r for r in DEFAULT_RUNS if r in recipes])
        for run in runs:
            if run not in runnable:
                raise _bad(path, f"detectors.{det}.runs: {run!r} is not among this world's {', '.join(runnable)}",
                           "name one of them" + ("" if procedural else f" ({SHADER} needs reals.procedural > 0)"))
        detectors.append(WorldDetector(det, frozen_kwargs(entry.get("params", {})), tuple(runs),
                                       _detector_train(entry.get("train", {}), path, det)))
    rules = []
    for i, r in enumerate(t.get("score", [{"perturbations": "grid"}])):
        if "perturbations" not in r:
            raise _bad(path, f"score[{i}] has no perturbations", 'add perturbations = "grid" (or ids) to the rule')
        perts = r["perturbations"]
        rules.append(ScoreRule(",".join(perts) if isinstance(perts, list) else perts,
                               tuple(r.get("detectors", ())), tuple(r.get("generators", ()))))
    reconstructions = test.get("reconstructions", "all")
    if reconstructions != "all" and not isinstance(reconstructions, int):
        raise _bad(path, f"test.reconstructions = {reconstructions!r}", 'write a number or "all"')
    unjudged = claims.get("unjudged", {})
    for claim in unjudged:
        if claim not in CLAIM_IDS:
            raise _bad(path, f"claims.unjudged: unknown claim {claim!r}", f"use one of {', '.join(CLAIM_IDS)}")
    corpus = CorpusConfig(**_dataclass_kwargs(CorpusConfig, reals.get("corpus", {}), path, "reals.corpus."))
    world = WorldConfig(
        name=name, description=t.get("description", ""), generators=tuple(generators),
        train_generator=t.get("train_generator", ""), recipes=tuple(recipes), aligned_storage=storage,
        data=tuple(t.get("data", ())), floor=float(t.get("floor", FLOOR)), cpu_warning=t.get("cpu_warning", ""),
        roles=_table(Roles, roles), detectors=tuple(detectors),
        reals=_table(Reals, reals, corpus=corpus, train=reals_text(reals.get("train", ["corpus"]))),
        train=_train(t.get("train", {}), path),
        test=_table(TestSets, test, reconstructions=None if reconstructions == "all" else reconstructions),
        score=tuple(rules), claims=_table(ClaimsSettings, claims, unjudged=tuple(unjudged.items())))
    for key, selection in [*((f"score[{i}].perturbations", r.perturbations) for i, r in enumerate(world.score)),
                           ("test.short_sides", "grid")]:
        try:
            world.perturbation_ids(selection)
        except FakebenchError as exc:
            raise _bad(path, f"{key}: {exc.message}", exc.fix or "check the perturbation ids") from None
    return world


def world_sha256(table: dict) -> str:
    """The sha256 of a merged world table (canonical JSON): equal for two runs of the same world
    wherever their clones are, different when a value differs (a world naming folders hashes their
    absolute paths, so its own data tell it apart)."""
    text = json.dumps(table, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@functools.cache
def load_world(ref: str) -> WorldConfig:
    """The world a `--world` value names: a built-in world's name or a path to a TOML world file. Its
    `source` is what run.json records: `builtin:<name>` for a built-in world, else the path as given
    (relative as given, so two clones record the same), with `sha256` of the merged world beside it."""
    path = _resolve(ref)
    table = _read(path)
    source = f"{BUILTIN}{ref}" if path == builtin_dir() / f"{ref}{SUFFIX}" else ref
    return replace(_world(path.stem, path, table), source=source, sha256=world_sha256(table))
