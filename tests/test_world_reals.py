"""A world's training reals from any source (`[reals] train`: corpus, procedural:N, folder:PATH, hf:...,
mixtures), read by training and by the training-set audit alike; and run.json naming its world the same
way on every clone."""
from pathlib import Path

import pytest
import torch

from fakebench.benchmark.session import BenchSession
from fakebench.benchmark.training_audit import recipe_source
from fakebench.benchmark.world_files import load_world
from fakebench.cli import main
from fakebench.data.procedural import DEFAULT_PROCEDURAL
from fakebench.data.reals import corpus_reals, source_reals
from fakebench.detectors.spec import DetectorSpec
from fakebench.detectors.trained import WorldReals, trained_detector
from fakebench.detectors.training_loop import TrainConfig
from fakebench.generators.base import Generator, GeneratorInfo
from fakebench.leaderboard.compare import world_warnings
from tests.folder_layouts import write_image

ROOT = Path(__file__).resolve().parents[1]
MIXTURE = "corpus + procedural:3"


class DimmingAutoencoder(Generator):
    """A round trip that only dims the image: enough for the aligned recipe to have fakes, at no cost."""

    info = GeneratorInfo("dimming", family="test", autoencoder="dim", denoiser="none", resolution=64)
    fingerprint = "dimming-v1"

    def reconstruct(self, images: torch.Tensor) -> torch.Tensor:
        return images * 0.9


def _ids(imageset) -> list[str]:
    return [r.image_id for r in imageset.records]


def _world(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "w.toml").write_text(text)
    return folder / "w.toml"


def test_a_mixture_is_the_union_of_its_sources_sets_with_unique_ids(tiny_corpus):
    train, val = source_reals(MIXTURE, tiny_corpus)
    photos, photos_val = corpus_reals(tiny_corpus)
    n_val = DEFAULT_PROCEDURAL.n_val(3)
    assert len(train) == len(photos) + 3 and len(val) == len(photos_val) + n_val
    for s in (train, val):
        assert len(set(_ids(s))) == len(s)
        assert all(s.path(r).is_file() for r in s.records)  # every file reachable through the joined set
    assert not set(_ids(train)) & set(_ids(val))
    # ids are prefixed by the source's position; the corpus's part is the corpus's own split, in order
    assert _ids(train)[:len(photos)] == [f"0/{i}" for i in _ids(photos)]
    assert all(i.startswith("1/proc-train-") for i in _ids(train)[len(photos):])
    assert all(i.startswith("1/proc-val-") for i in _ids(val)[len(photos_val):])
    # one source alone comes back as that source gives it
    assert _ids(source_reals("corpus", tiny_corpus)[0]) == _ids(photos)


def test_a_world_mixture_trains_its_own_checkpoint_named_by_its_source(tiny_corpus):
    cfg = TrainConfig(epochs=1, batch_size=8)
    spec = DetectorSpec("freq-lr", "aligned", "dimming")
    gen = DimmingAutoencoder()
    _, corpus_info, corpus_path = trained_detector(spec, gen, WorldReals(corpus=tiny_corpus), cfg)
    _, mixed_info, mixed_path = trained_detector(spec, gen, WorldReals(MIXTURE, tiny_corpus), cfg)
    assert corpus_info.reals == "corpus" and mixed_info.reals == MIXTURE
    assert mixed_path.parent != corpus_path.parent and mixed_path.parent.name.startswith("aligned-freq-lr-dimming-")
    assert mixed_info.training["train_reals"] == corpus_info.training["train_reals"] + 3
    assert spec.label == "aligned-freq-lr"  # the world's reals are its default: the label does not change
    # a world's default source is the corpus: the same checkpoint as the corpus passed directly
    assert trained_detector(spec, gen, WorldReals("corpus", tiny_corpus), cfg)[2] == corpus_path


def test_the_training_set_audit_reads_the_reals_training_reads(tmp_path, monkeypatch, tiny_corpus):
    world = load_world(str(_world(tmp_path, f'extends = "mini-smoke"\n[reals]\ntrain = "{MIXTURE}"\n')))
    assert world.reals.train == MIXTURE
    monkeypatch.setattr("fakebench.generators.create_generator", lambda name, **kw: DimmingAutoencoder())
    audited = recipe_source("aligned", "corpus", world)
    train, _ = source_reals(MIXTURE, world.reals.corpus, world.train.seed)
    assert sorted(f.where.rsplit("/", 1)[-1] for f in audited.files if f.label == 0) == \
        sorted(Path(r.file).name for r in train.records)
    assert MIXTURE in audited.note


def test_the_session_trains_a_worlds_detectors_on_its_mixture(tmp_path, monkeypatch):
    world = load_world(str(_world(tmp_path, f'extends = "mini-smoke"\n[reals]\ntrain = "{MIXTURE}"\n')))
    for where in ("fakebench.benchmark.session", "fakebench.generators"):
        monkeypatch.setattr(f"{where}.create_generator", lambda name, **kw: DimmingAutoencoder())
    session = BenchSession(world)
    spec = DetectorSpec("freq-lr", "aligned", world.train_generator)
    session.detector(spec)
    run_record = session.run_record()
    [entry] = run_record["detectors"]
    sidecar = session._sidecars[spec, 0]
    assert entry["label"] == "aligned-freq-lr" and sidecar["reals"] == MIXTURE
    assert run_record["settings"]["world"]["reals"]["train"] == MIXTURE
    [audit] = run_record["training_audit"]  # the set it trained on, audited from the same reals
    assert (audit["reals"], audit["source"], audit["n_real"]) == ("corpus", MIXTURE, sidecar["training"]["train_reals"])


def test_a_folder_source_is_relative_to_the_world_file_and_holds_out_validation(tmp_path):
    for i in range(40):
        write_image(tmp_path / "mine" / "my-reals" / f"{i:02d}.png", i)
    world = load_world(str(_world(tmp_path / "mine", '[reals]\ntrain = ["folder:my-reals", "procedural:2"]\n')))
    folder = (tmp_path / "mine" / "my-reals").resolve()
    assert world.reals.train == f"folder:{folder} + procedural:2"
    train, val = source_reals(f"folder:{folder}", seed=0)
    assert len(train) + len(val) == 40 and len(val) >= 1 and not set(_ids(train)) & set(_ids(val))
    mixed_train, _ = source_reals(world.reals.train)
    assert len(mixed_train) == len(train) + 2


def test_the_real_images_of_an_hf_dataset_are_a_source(tmp_path):
    pytest.importorskip("datasets")
    from tests.hf_datasets import tiny_dataset

    tiny_dataset(n_real=30).save_to_disk(str(tmp_path / "ds"))
    train, val = source_reals(f"hf:{tmp_path / 'ds'}")
    assert len(train) + len(val) == 30 and len(val) >= 1  # the fakes are not reals
    assert {train.label, val.label} == {0}


def test_fakebench_train_takes_the_same_source_texts(capsys):
    assert main(["train", "--recipe", "aligned", "--generator", "mini-sd", "--real", "corpus + pictures"]) == 2
    err = capsys.readouterr().err.strip()
    assert "unknown reals source 'pictures'" in err and "\n" not in err


def test_run_json_names_a_world_by_builtin_name_or_given_path_and_hashes_it(tmp_path, monkeypatch):
    session = BenchSession(load_world("mini-smoke"))
    world = session.run_record()["settings"]["world"]
    assert world["source"] == "builtin:mini-smoke" and len(world["sha256"]) == 64
    text = 'extends = "mini-smoke"\n[test]\nfakes = 2\n'
    for clone in ("a", "b"):  # two clones of one world file: same source as given, same hash
        _world(tmp_path / clone, text)
    monkeypatch.chdir(tmp_path / "a")
    a = load_world("w.toml")
    monkeypatch.chdir(tmp_path / "b")
    b = load_world("./w.toml")
    assert (a.source, b.source) == ("w.toml", "./w.toml") and a.sha256 == b.sha256 != world["sha256"]
    changed = load_world(str(_world(tmp_path / "c", text.replace("2", "3"))))
    assert changed.sha256 != a.sha256

    def run_record(w):
        return {"settings": {"world": {"source": w.source, "sha256": w.sha256}}}

    assert world_warnings(run_record(a), run_record(b)) == []
    [warning] = world_warnings(run_record(a), run_record(changed))
    assert "worlds differ" in warning and a.sha256[:12] in warning


def test_procedural_reals_are_drawn_like_the_worlds_photo_crops(tiny_corpus):
    """Mixed with 128-px crops (the lite world) procedural reals are 128 px too, so their size cannot tell
    them from the photos; the mini world's crops give the default procedural sizes (its keys unchanged)."""
    from dataclasses import replace

    from fakebench.data.corpus import CorpusConfig
    from fakebench.data.procedural import ProceduralConfig

    assert ProceduralConfig.like(CorpusConfig()) == DEFAULT_PROCEDURAL
    square = replace(tiny_corpus, min_side=96, max_side=96)
    train, val = source_reals("procedural:4", square, 0)
    assert {(r.width, r.height) for r in [*train.records, *val.records]} == {(96, 96)}
    default_train, _ = source_reals("procedural:4", CorpusConfig(), 0)
    assert {(r.width, r.height) for r in default_train.records} != {(96, 96)}
