"""A name -> factory registry in the style of timm's `register_model` / `list_models`.

Built-ins register with a decorator; other packages register through a Python entry-point group,
loaded lazily on first lookup. A plugin that fails to import is logged and skipped, never fatal.
"""
from __future__ import annotations

import fnmatch
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from fakebench.core.errors import UnknownNameError

log = logging.getLogger(__name__)

T = TypeVar("T")

BUILTIN_PACKAGES = ("fakebench", "generators", "detectors", "benchmark", "leaderboard")


@dataclass
class PluginFailure:
    """A plugin entry point that could not be loaded, kept for reporting."""

    group: str
    name: str
    error: str


@dataclass
class Registry(Generic[T]):
    """Maps names to factories (callables returning a T)."""

    kind: str
    entry_point_group: str
    _factories: dict[str, Callable[..., T]] = field(default_factory=dict)
    _entry_points_loaded: bool = False
    _distributions: dict[str, str] = field(default_factory=dict)  # entry-point name -> distribution
    failures: list[PluginFailure] = field(default_factory=list)

    def __post_init__(self) -> None:
        _ALL.append(self)

    def register(self, name: str, factory: Callable[..., T] | None = None, *, overwrite: bool = False):
        """Register `factory` under `name`; usable as ``@registry.register("name")``."""

        def decorator(fn: Callable[..., T]) -> Callable[..., T]:
            if not overwrite and name in self._factories and self._factories[name] is not fn:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._factories[name] = fn
            return fn

        return decorator(factory) if factory is not None else decorator

    def unregister(self, name: str) -> None:
        self._factories.pop(name, None)

    def load_entry_points(self) -> None:
        """Import every plugin of this group once; failures are logged and recorded, not raised."""
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for ep in entry_points(group=self.entry_point_group):
            if ep.name in self._factories:
                continue
            try:
                self._factories[ep.name] = ep.load()
                self._distributions[ep.name] = ep.dist.name if ep.dist else ep.value
            except Exception as exc:  # a broken plugin must not take the run down
                self.record_failure(ep.name, exc, where=ep.value)

    def record_failure(self, name: str, exc: BaseException, where: str = "") -> None:
        """Report a plugin that failed to load or to build, and forget it so the run goes on."""
        msg = f"{type(exc).__name__}: {exc}"
        self.failures.append(PluginFailure(self.entry_point_group, name, msg))
        self._factories.pop(name, None)
        log.warning("skipping %s plugin %r%s: %s", self.kind, name, f" ({where})" if where else "", msg)

    def origin(self, name: str) -> str:
        """"built-in", or "plugin <distribution or module>" for anything registered from outside."""
        if name in self._distributions:
            return f"plugin {self._distributions[name]}"
        factory = self.factory(name)
        factory = getattr(factory, "func", factory)  # a functools.partial names its function's module
        module = getattr(factory, "__module__", "") or ""
        return "built-in" if module.split(".")[0] in BUILTIN_PACKAGES else f"plugin {module}"

    def names(self, pattern: str | Iterable[str] | None = None) -> list[str]:
        """Sorted registered names, optionally filtered by glob pattern(s) like ``"mini-*"``."""
        self.load_entry_points()
        names = sorted(self._factories)
        if pattern is None:
            return names
        patterns = [pattern] if isinstance(pattern, str) else list(pattern)
        return [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns)]

    def factory(self, name: str) -> Callable[..., T]:
        self.load_entry_points()
        try:
            return self._factories[name]
        except KeyError:
            known = ", ".join(sorted(self._factories)) or "none"
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}; known {self.kind}s: {known}",
                fix=f"use one of the known names, or register yours with the "
                f"'{self.entry_point_group}' entry-point group",
            ) from None

    def create(self, name: str, **kwargs) -> T:
        return self.factory(name)(**kwargs)

    def __contains__(self, name: str) -> bool:
        self.load_entry_points()
        return name in self._factories


_ALL: list[Registry] = []


def plugin_failures() -> list[PluginFailure]:
    """Every plugin left out so far, by any registry: what a run reports at its end."""
    return [f for registry in _ALL for f in registry.failures]
