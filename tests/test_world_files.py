"""World files: the built-in worlds load from benchmark/worlds/, a researcher's own file runs with no
Python edit, and bad input is one line naming the key, the value and the fix."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from fakebench.benchmark.cases import build_cases
from fakebench.benchmark.world_files import (
    DETECTOR_KEYS,
    RULE_KEYS,
    SCHEMA,
    builtin_dir,
    builtin_worlds,
    load_world,
    tomllib,
    world_keys,
    world_lines,
)
from fakebench.core.errors import FakebenchError
from fakebench.evaluation.perturbations import GRID_PERTURBATIONS, GRID_RESIZES, GRID_REST, grid_perturbations
from tests.installed_plugins import activate
from tests.jobs_helpers import benchmark_in_process
from tests.test_plugin_example import _install

ROOT = Path(__file__).resolve().parents[1]


def _world(tmp_path: Path, text: str, name: str = "w.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_builtin_worlds_are_short_files_listed_one_line_each():
    assert builtin_worlds() == ["lite", "lite-smoke", "mini", "mini-smoke", "real", "taef2", "taef2-smoke"]
    for name in builtin_worlds():
        text = (ROOT / "benchmark" / "worlds" / f"{name}.toml").read_text()
        assert len(text.splitlines()) <= 40, name
        assert load_world(name).name == name and load_world(name).description
    lines = world_lines()
    assert len(lines) == 7 and lines[2].startswith("mini ") and "minute" in lines[3]
    assert world_lines("taef2*")[1].startswith("taef2-smoke")


def _schema_paths(schema: dict, prefix: str = ""):
    for key, kind in schema.items():
        yield prefix + key
        if isinstance(kind, dict):
            yield from _schema_paths(kind, f"{prefix}{key}.")


def _written(table: dict, schema: dict = SCHEMA, prefix: str = ""):
    """The key paths a world file writes, as world_keys names them."""
    for key, value in table.items():
        yield prefix + key
        if not prefix and key == "detectors":
            yield from (f"detectors.<name>.{k}" for entry in value.values() for k in entry)
        elif not prefix and key == "score":
            yield from (f"score[].{k}" for rule in value for k in rule)
        elif isinstance(schema.get(key), dict):
            yield from _written(value, schema[key], f"{prefix}{key}.")


def test_every_world_key_is_described_once_and_is_what_the_schema_checks():
    keys = list(world_keys())
    assert [k.path for k in keys if not k.doc.strip()] == []  # a key without a description fails here
    assert all(k.words and "\n" not in k.doc for k in keys)
    paths = [k.path for k in keys]
    assert len(set(paths)) == len(paths)
    entries = {*(f"detectors.<name>.{k}" for k in DETECTOR_KEYS), *(f"score[].{k}" for k in RULE_KEYS)}
    assert set(paths) == set(_schema_paths(SCHEMA)) | entries
    by_path = {k.path: k for k in keys}
    assert (by_path["test.fakes"].words, by_path["test.fakes"].default) == ("whole number", 300)
    assert (by_path["test.reconstructions"].default, by_path["reals.train"].default) == ("all", "corpus")
    assert by_path["detectors.<name>.runs"].default == ["baseline", "aligned"]
    for file in builtin_dir().rglob("*.toml"):  # every key a built-in world writes is a described one
        assert set(_written(tomllib.loads(file.read_text()))) <= set(paths), file.name


def test_the_grid_puts_a_worlds_short_sides_after_the_resizes_by_a_scale():
    assert load_world("lite").perturbation_ids("grid") == [*GRID_RESIZES, "short64", "short96", "short192",
                                                           *GRID_REST]
    assert grid_perturbations() == GRID_PERTURBATIONS == (*GRID_RESIZES, *GRID_REST)


def test_smoke_worlds_extend_their_full_world():
    mini, smoke = load_world("mini"), load_world("mini-smoke")
    assert smoke.generators == mini.generators and smoke.roles.same_autoencoder == mini.roles.same_autoencoder
    assert smoke.floor == 0.0 and not smoke.claims.judged and smoke.reals.procedural == 0
    assert dict(next(d.params for d in smoke.detectors if d.name == "small-cnn"))["channels"] == (8, 8, 16, 16)
    assert smoke.test.reconstructions is None and mini.test.reconstructions == 75
    taef2, taef2_smoke = load_world("taef2"), load_world("taef2-smoke")
    assert taef2_smoke.claims.unjudged == taef2.claims.unjudged and not taef2_smoke.cpu_warning
    assert taef2_smoke.train.schedule == "paper" and taef2_smoke.train.augment.crop == 32
    assert "hours" in taef2.cpu_warning and "\n" not in taef2.cpu_warning


def test_a_world_file_extending_a_builtin_by_path_changes_only_what_it_says(tmp_path):
    path = _world(tmp_path, 'extends = "mini-smoke.toml"\n[test]\nfakes = 2\n[roles]\ndenoiser_differs = ""\n')
    smoke_file = (ROOT / "benchmark" / "worlds" / "mini-smoke.toml").read_text()
    (tmp_path / "mini-smoke.toml").write_text(smoke_file.replace('extends = "mini"',
                                                                 f'extends = "{ROOT}/benchmark/worlds/mini.toml"'))
    world, smoke = load_world(str(path)), load_world("mini-smoke")
    assert world.name == "w" and world.test.fakes == 2 and world.roles.denoiser_differs == ""
    assert world.description == ""  # a description is the world's own, not inherited
    assert world.aligned_storage == load_world("lite").aligned_storage == "like-reals"  # mini's, as lite's
    assert [c.id for c in build_cases(world)] == [c.id for c in build_cases(smoke)]


@pytest.mark.parametrize(("text", "expected"), [
    ('generatorz = ["mini-sd"]', ["unknown key 'generatorz'", "fix: use one of", "generators"]),
    ('[test]\nfake = 3', ["unknown key 'test.fake'", "fakes"]),
    ('generators = ["sd-xl"]', ["generators: 'sd-xl' is not a registered generator", "mini-sd", "list generators"]),
    ('[detectors.resnet99]', ["detectors: 'resnet99' is not a registered detector", "resnet50"]),
    ('[detectors]\nresnet50 = 16', ["detectors.resnet50 = 16 is not a table", "params, runs"]),
    ('[detectors.resnet50]\nwidth = 16', ["unknown key 'detectors.resnet50.width'", "params, runs"]),
    ('generators = ["mini-sd"]\n[roles]\ndenoiser_differs = "mini-playground"',
     ["roles.denoiser_differs = 'mini-playground' is not one of the world's generators (mini-sd)", "add"]),
    ('generators = ["mini-sd"]\ntrain_generator = "taef2"', ["train_generator = 'taef2'"]),
    ('generators = "mini-sd"', ["generators = 'mini-sd' should be a TOML array"]),
    ('[reals]\ncorpus = { crop = 3 }', ["unknown key 'reals.corpus.crop'", "min_side"]),
    ('[train]\naugment = { preset = "paper", crops = 3 }', ["unknown key 'train.augment.crops'", "crop"]),
    ('[[score]]\nperturbations = "jpeg"', ["score[0].perturbations", "jpeg"]),
    ('[[score]]\ndetectors = ["*"]', ["score[0] has no perturbations"]),
    ('[detectors.resnet50]\nruns = ["aligned-shader"]', ["'aligned-shader' is not among", "reals.procedural"]),
    ('[detectors.resnet50]\ntrain = { epochs = "20" }',
     ["detectors.resnet50.train.epochs = '20' is not a whole number"]),
    ('[detectors.resnet50]\ntrain = { augment = { crop = 32 } }',
     ["detectors.resnet50.train.augment cannot differ per detector", "fix: set augment in [train]"]),
    ('[detectors.resnet50]\ntrain = { seed = 1 }', ["train.seed cannot differ per detector"]),
    ('[detectors.resnet50]\ntrain = { epoch = 2 }', ["unknown key 'detectors.resnet50.train.epoch'", "epochs"]),
    ('[claims.unjudged]\nC9 = "why"', ["unknown claim 'C9'", "C1"]),
    ('extends = "w.toml"', ["extends itself"]),
    ('[reals]\ntrain = "pictures"',
     ["reals.train = 'pictures'", "unknown reals source 'pictures'", "fix: use corpus, procedural:N, photos:N"]),
    ('[reals]\ntrain = "photos"', ["reals.train = 'photos'", "name no crop count", "fix: write photos:N"]),
    ('[reals]\ntrain = ["corpus", "procedural:0"]', ["reals.train", "'procedural:0' does not name a number", "N >= 1"]),
    ('[reals]\ntrain = "folder:nowhere"', ["reals.train = 'folder:nowhere'", "no such folder", "nowhere"]),
    ('[reals]\ntrain = "corpus + corpus"', ["'corpus' twice", "name each source once"]),
    ('[reals]\ntrain = "hf:"', ["reals.train = 'hf:'", "names no dataset"]),
    ('aligned_storage = "jpeg"', ["aligned_storage: unknown storage 'jpeg'", "fix: use png or like-reals"]),
    ('[test]\nround_trips = "webp"', ["test.round_trips: unknown storage 'webp'", "fix: use png or like-reals"]),
])
def test_bad_world_files_say_key_value_and_fix_in_one_line(tmp_path, text, expected):
    path = _world(tmp_path, text)
    with pytest.raises(FakebenchError) as info:
        load_world(str(path))
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    for part in expected:
        assert part in message


def test_a_detectors_own_train_table_changes_only_its_runs(tmp_path, monkeypatch):
    from fakebench.benchmark import session as session_module
    from fakebench.benchmark.session import BenchSession

    path = _world(tmp_path, 'extends = "mini-smoke"\naligned_storage = "png"\n'
                            '[detectors.resnet50]\ntrain = { epochs = 3, lr = 1 }\n')
    world, smoke = load_world(str(path)), load_world("mini-smoke")
    mine = world.train_config("resnet50", seed=2)
    assert (mine.epochs, mine.lr, mine.seed) == (3, 1.0, 2) and isinstance(mine.lr, float)
    assert mine.augment == smoke.train.augment and mine.batch_size == smoke.train.batch_size
    assert world.train_config("small-cnn", seed=2) == smoke.train_config("small-cnn", seed=2)
    assert smoke.train_config("resnet50", seed=2).epochs == 1
    # the session trains each spec with its detector's config (so its checkpoint key follows it), and
    # stores the aligned fakes as the world says
    seen = {}

    def fake_trained(spec, generator, reals, cfg, device="cpu", storage="png"):
        seen[spec.label] = cfg
        seen["storage"] = storage
        raise FakebenchError("stop here", fix="none")

    monkeypatch.setattr(session_module, "trained_detector", fake_trained)
    cases = {c.detector.label: c.detector for c in build_cases(world)}
    bench = BenchSession(world)
    for label in ("aligned-resnet50", "aligned-small-cnn"):
        with pytest.raises(FakebenchError, match="stop here"):
            bench.detector(cases[label], seed=2)
    assert seen["aligned-resnet50"].epochs == 3 and seen["aligned-small-cnn"].epochs == 1
    assert seen["storage"] == "png"


def test_a_file_that_does_not_parse_names_file_and_line(tmp_path):
    path = _world(tmp_path, 'generators = ["mini-sd"]\n\n[test\nfakes = 3\n')
    with pytest.raises(FakebenchError, match=r"w\.toml does not parse: .*line 3"):
        load_world(str(path))
    with pytest.raises(FakebenchError, match="unknown world 'nowhere'.*mini-smoke"):
        load_world("nowhere")


def test_a_world_that_builds_no_case_names_the_filter(tmp_path):
    no_generators = load_world(str(_world(tmp_path, '[detectors.small-cnn]\n', "a.toml")))
    with pytest.raises(FakebenchError, match="builds no case: no generator"):
        build_cases(no_generators)
    trained_on_mini_sd = 'generators = ["mini-sd"]\ntrain_generator = "mini-sd"\n'
    no_detectors = load_world(str(_world(tmp_path, trained_on_mini_sd, "b.toml")))
    with pytest.raises(FakebenchError, match="builds no case: no detector"):
        build_cases(no_detectors)
    rule = '[detectors.small-cnn]\n[[score]]\ngenerators = ["x"]\nperturbations = "grid"\n'
    narrow = load_world(str(_world(tmp_path, trained_on_mini_sd + rule, "c.toml")))
    with pytest.raises(FakebenchError, match=r"\[\[score\]\] rules give no perturbation to .*small-cnn on mini-sd"):
        build_cases(narrow)


def test_the_example_world_scores_a_folder_with_the_plugin(prepared_mini_smoke, pytester, fb_home, tmp_path,
                                                           monkeypatch):
    activate(monkeypatch, _install(tmp_path), ROOT / "examples" / "fakebench-myplugin" / "src")
    world = tmp_path / "mine" / "my-world.toml"
    world.parent.mkdir()
    world.write_text((ROOT / "examples" / "my-world.toml").read_text())
    rng = np.random.default_rng(0)
    ramp = np.linspace(0, 255, 80, dtype=np.uint8)[None, :, None].repeat(72, 0).repeat(3, 2)
    for label in ("real", "fake"):  # the plugin calls smooth images fake: noisy reals, smooth fakes
        (world.parent / "my-images" / label).mkdir(parents=True)
        for i in range(3):
            pixels = rng.integers(0, 256, (72, 80, 3), dtype=np.uint8) if label == "real" else ramp // (i + 1)
            Image.fromarray(pixels).save(world.parent / "my-images" / label / f"{i}.png")
    out = tmp_path / "out"
    result = benchmark_in_process(pytester, "-q", "--world", str(world), "--leaderboard-dir", str(out),
                                  "-k", "not claims")
    assert result.ret == 0, result.stdout.str()[-3000:] + result.stderr.str()[-3000:]
    assert "3 passed" in result.stdout.str()
    board = pd.read_csv(out / "leaderboard.csv")
    assert sorted(board["case_id"]) == [f"myplugin-my-images-{p}" for p in ("identity", "jpeg75", "resize0.5")]
