"""A name -> factory registry in the style of timm's `register_model` / `list_models`.

Built-ins are declared (`Registry.declare`): a name, where its factory lives ("module:attribute") and
the metadata a listing shows, so that naming and listing them imports no model (and no torch); the
factory's module is imported on first build, like timm's `list_models`. Other code registers a factory
(`register`, also a decorator); other packages register through a Python entry-point group, loaded
lazily on first lookup. What a factory builds passes the registry's `check` (the protocol of
its kind: `fakebench.detectors.base.as_detector`, `fakebench.generators.base.as_generator`) where it enters.
A plugin that
fails to import, whose factory raises, or whose product lacks what the protocol needs is logged with
one line (plugin, distribution, reason), recorded for the run's report and left out, never fatal.
"""
from __future__ import annotations

import fnmatch
import importlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from fakebench.core.errors import FakebenchError, ProtocolError, UnknownNameError

log = logging.getLogger(__name__)

T = TypeVar("T")

# Before the one import root, plugins wrote `from detectors import InputPolicy`: such an import now
# fails, and the plugin is left out with a line naming the import that replaces it.
OLD_ROOTS = ("generators", "detectors", "benchmark", "leaderboard")


def old_import_hint(exc: BaseException) -> str | None:
    """The one-line fix for a plugin that imports one of the old top-level names, else None."""
    if isinstance(exc, ModuleNotFoundError) and exc.name and exc.name.split(".")[0] in OLD_ROOTS:
        return (f"imports {exc.name!r}, which fakebench no longer installs: write `from fakebench import ...` "
                f"(the public surface) or `import fakebench.{exc.name}`")
    return None


@dataclass
class PluginFailure:
    """A plugin left out (it failed to load, to build, or to meet its protocol), kept for reporting."""

    group: str
    name: str
    error: str
    distribution: str = ""  # the installed distribution (or module) that provides it, when known

    def line(self) -> str:
        """One line for `fakebench list` and the pytest summary: plugin, distribution, reason."""
        source = f" from {self.distribution}" if self.distribution else ""
        return f"{self.group} {self.name!r}{source}: {self.error}"


@dataclass(frozen=True)
class Declared:
    """A built-in known by name before its module is imported: where its factory lives and what a listing
    shows of it (the kind's metadata, e.g. `fakebench.detectors.catalog.DetectorInfo`), read without building."""

    target: str  # "package.module:attribute", imported on first build
    info: Any = None
    # the attribute maps names to factories (one per spec of a family, e.g. the mini world's generators):
    # the factory is its entry under the declared name
    by_name: bool = False

    @property
    def module(self) -> str:
        return self.target.partition(":")[0]

    def load(self, name: str) -> Callable[..., Any]:
        """The factory of the built-in declared as `name`, its module imported."""
        module, _, attribute = self.target.partition(":")
        found = getattr(importlib.import_module(module), attribute)
        return found[name] if self.by_name else found


@dataclass
class Registry(Generic[T]):
    """Maps names to factories (callables returning a T)."""

    kind: str
    entry_point_group: str
    # the protocol check: takes what a factory built, returns it as a T (adapting a duck-typed
    # product) or raises ProtocolError naming what it lacks
    check: Callable[[Any], T] | None = None
    _factories: dict[str, Callable[..., T]] = field(default_factory=dict)
    _declared: dict[str, Declared] = field(default_factory=dict)  # built-ins, imported on first build
    _entry_points_loaded: bool = False
    _distributions: dict[str, str] = field(default_factory=dict)  # entry-point name -> distribution
    failures: list[PluginFailure] = field(default_factory=list)

    def __post_init__(self) -> None:
        _ALL.append(self)

    def register(self, name: str, factory: Callable[..., T] | None = None, *, overwrite: bool = False):
        """Register `factory` under `name`; usable as ``@registry.register("name")``."""

        def decorator(fn: Callable[..., T]) -> Callable[..., T]:
            taken = name in self._declared or name in self._factories
            if not overwrite and taken and self._factories.get(name) is not fn:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._declared.pop(name, None)  # a factory registered over a built-in replaces it, metadata too
            self._factories[name] = fn
            return fn

        return decorator(factory) if factory is not None else decorator

    def declare(self, name: str, target: str, info: Any = None, *, by_name: bool = False) -> None:
        """Declare a built-in: its factory is `target` ("module:attribute"), imported on first build;
        `info` is what a listing shows of it without building it. `by_name`: the attribute is a mapping
        name -> factory, and the factory is its entry for `name`."""
        if name in self._declared or name in self._factories:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._declared[name] = Declared(target, info, by_name)

    def info(self, name: str) -> Any:
        """The metadata a built-in was declared with; None for a factory registered or plugged in (whose
        metadata is known only by building it)."""
        declared = self._declared.get(name)
        return declared.info if declared is not None else None

    def unregister(self, name: str) -> None:
        self._factories.pop(name, None)
        self._declared.pop(name, None)

    def load_entry_points(self) -> None:
        """Import every plugin of this group once; failures are logged and recorded, not raised."""
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for ep in entry_points(group=self.entry_point_group):
            if ep.name in self._factories or ep.name in self._declared:
                continue
            self._distributions[ep.name] = ep.dist.name if ep.dist else ep.value
            try:
                self._factories[ep.name] = ep.load()
            except Exception as exc:  # a broken plugin must not take the run down
                self.record_failure(ep.name, exc)

    def record_failure(self, name: str, exc: BaseException) -> None:
        """Report a plugin that failed to load, to build or to meet its protocol, and forget it so the
        run goes on. Recorded once per name, however many callers meet the failure."""
        if any(f.name == name for f in self.failures):
            self._factories.pop(name, None)
            return
        msg = (str(exc) if isinstance(exc, FakebenchError)
               else old_import_hint(exc) or f"{type(exc).__name__}: {exc}")
        source = self._distributions.get(name) or (self.origin(name).removeprefix("plugin ")
                                                   if name in self._factories else "")
        failure = PluginFailure(self.entry_point_group, name, msg, source)
        self.failures.append(failure)
        self._factories.pop(name, None)
        log.warning("leaving out %s plugin %s", self.kind, failure.line())

    def origin(self, name: str) -> str:
        """"built-in", or "plugin <distribution or module>" for anything registered from outside."""
        if name in self._distributions:
            return f"plugin {self._distributions[name]}"
        if name in self._declared:
            module = self._declared[name].module
        else:
            factory = self.factory(name)
            factory = getattr(factory, "func", factory)  # a functools.partial names its function's module
            module = getattr(factory, "__module__", "") or ""
        return "built-in" if module.split(".")[0] == "fakebench" else f"plugin {module}"

    def names(self, pattern: str | Iterable[str] | None = None) -> list[str]:
        """Sorted registered names, optionally filtered by glob pattern(s) like ``"mini-*"``."""
        self.load_entry_points()
        names = sorted(self._factories.keys() | self._declared.keys())
        if pattern is None:
            return names
        patterns = [pattern] if isinstance(pattern, str) else list(pattern)
        return [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns)]

    def factory(self, name: str) -> Callable[..., T]:
        self.load_entry_points()
        if name not in self._factories and name in self._declared:
            self._factories[name] = self._declared[name].load(name)
        try:
            return self._factories[name]
        except KeyError:
            known = ", ".join(sorted(self._factories.keys() | self._declared.keys())) or "none"
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}; known {self.kind}s: {known}",
                fix=f"use one of the known names, or register yours with the "
                f"'{self.entry_point_group}' entry-point group",
            ) from None

    def create(self, name: str, **kwargs) -> T:
        """Build `name` and check it against the protocol. A plugin whose product fails the check is
        recorded and left out (see `plugin_failures`); the ProtocolError still reaches the caller."""
        product = self.factory(name)(**kwargs)
        if self.check is None:
            return product
        try:
            return self.check(product)
        except ProtocolError as exc:
            origin = self.origin(name)
            if origin != "built-in":
                self.record_failure(name, exc)
            raise ProtocolError(f"{self.kind} {name!r} ({origin}) {exc.message}", fix=exc.fix) from None

    def __contains__(self, name: str) -> bool:
        self.load_entry_points()
        return name in self._factories or name in self._declared


_ALL: list[Registry] = []


def plugin_failures() -> list[PluginFailure]:
    """Every plugin left out so far, by any registry: what a run reports at its end."""
    return [f for registry in _ALL for f in registry.failures]
