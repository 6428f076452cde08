import sys
import types
from importlib.metadata import EntryPoint

import pytest

import fakebench.detectors
import fakebench.generators
from fakebench.core import registry as registry_mod
from fakebench.core.errors import UnknownNameError
from fakebench.core.registry import Registry


def test_register_list_create_with_globs():
    reg: Registry[str] = Registry(kind="widget", entry_point_group="fakebench.test-none")

    @reg.register("alpha-1")
    def make_alpha(suffix="!"):
        return "alpha" + suffix

    reg.register("beta-1", lambda: "beta")
    assert reg.names() == ["alpha-1", "beta-1"]
    assert reg.names("alpha-*") == ["alpha-1"]
    assert reg.names(["*-1"]) == ["alpha-1", "beta-1"]
    assert reg.create("alpha-1", suffix="?") == "alpha?"
    with pytest.raises(ValueError, match="already registered"):
        reg.register("beta-1", lambda: "other")


def test_unknown_name_lists_known_names():
    with pytest.raises(UnknownNameError) as info:
        fakebench.generators.create_generator("sd-99")
    msg = str(info.value)
    assert "sd-99" in msg and "mini-sd" in msg and "mini-playground" in msg and "mini-othervae" in msg
    with pytest.raises(UnknownNameError, match="resnet50"):
        fakebench.detectors.create_detector("nope")


def test_builtin_registries_are_discoverable():
    assert fakebench.generators.list_generators("mini-*") == ["mini-othervae", "mini-playground", "mini-sd"]
    assert "resnet50" in fakebench.detectors.list_detectors()


def test_entry_point_plugins_load_and_broken_ones_are_skipped(monkeypatch, caplog):
    group = "fakebench.test-plugins"
    good = EntryPoint(name="good", value="fakebench.core.errors:FakebenchError", group=group)
    bad = EntryPoint(name="broken", value="no_such_module_xyz:factory", group=group)
    monkeypatch.setattr(registry_mod, "entry_points", lambda group: [good, bad])
    reg: Registry[object] = Registry(kind="detector", entry_point_group=group)
    with caplog.at_level("WARNING"):
        names = reg.names()
    assert names == ["good"]
    assert [f.name for f in reg.failures] == ["broken"]
    assert "no_such_module_xyz" in reg.failures[0].error
    assert "broken" in caplog.text


def test_a_declared_family_builds_each_member_from_its_entry(monkeypatch):
    module = types.ModuleType("fakebench_test_family")
    module.FACTORIES = {"one": lambda: "built one", "two": lambda: "built two"}
    monkeypatch.setitem(sys.modules, module.__name__, module)
    reg: Registry[str] = Registry(kind="widget", entry_point_group="fakebench.test-none")
    for name in module.FACTORIES:
        reg.declare(name, f"{module.__name__}:FACTORIES", info=name.upper(), by_name=True)
    assert reg.names() == ["one", "two"] and reg.info("two") == "TWO"
    assert reg.create("one") == "built one" and reg.create("two") == "built two"


def test_a_factory_registered_over_a_declared_builtin_replaces_its_metadata_too(monkeypatch):
    module = types.ModuleType("fakebench_test_builtin")
    module.build = lambda: "built-in"
    monkeypatch.setitem(sys.modules, module.__name__, module)
    reg: Registry[str] = Registry(kind="widget", entry_point_group="fakebench.test-none")
    reg.declare("w", f"{module.__name__}:build", info="declared")
    assert reg.info("w") == "declared" and reg.origin("w") == "plugin fakebench_test_builtin"
    with pytest.raises(ValueError, match="already registered"):
        reg.register("w", lambda: "mine")
    reg.register("w", lambda: "mine", overwrite=True)
    assert reg.info("w") is None and reg.create("w") == "mine"  # what a listing shows is built, not declared
