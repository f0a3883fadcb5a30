"""Name → object registries for tasks and model adapters, with "did you mean" errors.

Built-in entries are stored as ``"module:attribute"`` strings and imported only when used,
so listing names never imports torch. Third-party packages add entries through the
``tvbench.tasks`` / ``tvbench.models`` entry-point groups; extra task folders named in
``tvbench.toml`` are imported by path and register with :func:`register_task`.

A name belongs to one object: registering a different object under a taken name, from any
of these paths, is an error naming both sources, whichever came first; registering the same
object again is a no-op.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")


class UnknownNameError(KeyError):
    """A task, model or family name that is not registered; the message lists near matches."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want the plain sentence
        return str(self.args[0])


def unknown_name_error(kind: str, name: str, known: Iterable[str]) -> UnknownNameError:
    names = sorted(known)
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return UnknownNameError(f"unknown {kind} {name!r}.{hint} Known: {', '.join(names)}.")


class DuplicateNameError(ValueError):
    """Two different objects claim one registry name; the message names both sources."""


def _target(obj: object) -> str | None:
    """``"module:qualname"`` of a class or function, comparable with a lazy spec string."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    return f"{module}:{qualname}" if module and qualname else None


class Registry(Generic[T]):
    """A lazily-importing registry of one kind of object."""

    def __init__(self, kind: str, group: str, builtins: Mapping[str, str]) -> None:
        self.kind = kind
        self.group = group
        self._specs: dict[str, str | T] = {}
        self._sources: dict[str, str] = {}
        self._entry_points_loaded = False
        for name, spec in builtins.items():
            self._put(name, spec, f"built-in {spec}")

    def add(self, name: str, obj: T | str, source: str | None = None) -> None:
        """Register ``obj`` (or a lazy ``"module:attribute"`` string) under ``name``."""
        if source is None:
            source = obj if isinstance(obj, str) else (_target(obj) or repr(obj))
        self._put(name, obj, source)

    def _put(self, name: str, obj: T | str, source: str) -> None:
        if name in self._specs:
            if self._same(self._specs[name], obj):
                return
            raise DuplicateNameError(
                f"{self.kind} {name!r} is registered twice: by {self._sources[name]} and by "
                f"{source}; rename one of them")
        self._specs[name] = obj
        self._sources[name] = source

    @staticmethod
    def _same(old: object, new: object) -> bool:
        if old is new:
            return True
        # A lazy string and the object it names are the same entry, also while the object's
        # module is still being imported (a decorator runs before the name is bound).
        old_key = old if isinstance(old, str) else _target(old)
        new_key = new if isinstance(new, str) else _target(new)
        return old_key is not None and old_key == new_key

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        from importlib.metadata import entry_points

        for ep in entry_points(group=self.group):
            dist = getattr(getattr(ep, "dist", None), "name", None)
            where = f" (package {dist})" if dist else ""
            self._put(ep.name, ep.value, f"entry point {ep.name} = {ep.value!r}{where}")

    def names(self) -> list[str]:
        self._load_entry_points()
        return sorted(self._specs)

    def get(self, name: str) -> T:
        self._load_entry_points()
        if name not in self._specs:
            raise unknown_name_error(self.kind, name, self._specs)
        spec = self._specs[name]
        if isinstance(spec, str):
            module, _, attr = spec.partition(":")
            obj: T = getattr(importlib.import_module(module), attr)
            self._specs[name] = obj
            return obj
        return spec


def import_task_folder(folder: str | Path) -> list[str]:
    """Import every ``*.py`` module in ``folder`` so its ``@register_task`` classes register.

    Returns the module names imported. A missing folder is an error naming it.
    """
    path = Path(folder)
    if not path.is_dir():
        raise FileNotFoundError(f"task folder {str(path)!r} (named in task_paths) does not exist")
    imported = []
    for file in sorted(path.glob("*.py")):
        if file.name.startswith("_"):
            continue
        mod_name = f"tvbench_extra_tasks.{path.name}.{file.stem}"
        if mod_name in sys.modules:
            continue
        spec = importlib.util.spec_from_file_location(mod_name, file)
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        spec.loader.exec_module(module)
        imported.append(mod_name)
    return imported
