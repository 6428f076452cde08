"""`[claims] backbones`: the claims read the backbone that learns the trace best on the validation photos."""
from fakebench.benchmark.world_files import load_world


def test_the_claims_backbone_is_chosen_by_validation_auc_before_judging(tmp_path, monkeypatch):
    """[claims] backbones: the aligned run with the best validation AUC becomes the backbone (ties: the first
    listed); before the choice the world's `backbone` holds (collection), after it run.json records both."""
    from fakebench.benchmark.session import BenchSession

    path = tmp_path / "w.toml"
    path.write_text('extends = "mini-smoke"\n[claims]\nbackbone = "resnet50"\nbackbones = ["resnet50", "small-cnn"]\n')
    session = BenchSession(load_world(str(path)))
    aucs = {"aligned-resnet50": 0.61, "aligned-small-cnn": 0.74}
    trained = []

    def fake_detector(spec, seed=0):
        trained.append((spec.label, seed))
        session._sidecars[spec, seed] = {"validation": {"auc": aucs[spec.label]}}
    monkeypatch.setattr(session, "detector", fake_detector)
    assert session.claim_roles()["backbone"] == "resnet50"  # collection: nothing trained yet
    session.choose_backbone()
    roles = session.claim_roles()
    assert roles["backbone"] == "small-cnn" and roles["backbone_choice"] == {"resnet50": 0.61, "small-cnn": 0.74}
    assert sorted(trained) == [("aligned-resnet50", 0), ("aligned-small-cnn", 0)]
    tied = BenchSession(load_world(str(path)))  # a tie: the first listed
    monkeypatch.setattr(tied, "detector", lambda spec, seed=0: tied._sidecars.__setitem__(
        (spec, seed), {"validation": {"auc": 0.7}}))
    tied.choose_backbone()
    assert tied.claim_roles()["backbone"] == "resnet50"
