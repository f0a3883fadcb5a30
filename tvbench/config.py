"""``tvbench.toml``: the default run plan, the model registry, task settings and gate thresholds.

Validation is strict: an unknown key or a wrong type is an error that names the file, the
key and its line, with the nearest valid key when there is one. The file is looked for in
the working directory; the copy shipped inside the package is the fallback, so an installed
wheel runs the same offline default from any folder.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from tvbench.models.registry import BACKENDS, ModelEntry
from tvbench.registry import unknown_name_error


class ConfigError(ValueError):
    """A problem in tvbench.toml, located by file, key and line."""

    def __init__(self, path: str, key: str, message: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: key {key!r}: {message}")
        self.path, self.key, self.line = path, key, line


@dataclass(frozen=True)
class RunDefaults:
    """The ``[run]`` table: what ``tvbench run`` does with no arguments."""

    models: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()
    data: str = "bundled"  # "bundled" (shipped synthetic sets) or "hub" (the real datasets)
    batch_size: int = 8
    output: str = "runs"
    device: str = "auto"
    dtype: str = "auto"
    limit: int | None = None
    languages: tuple[str, ...] | None = None
    check_parity: int = 0


@dataclass(frozen=True)
class Config:
    path: str
    run: RunDefaults = RunDefaults()
    models: Mapping[str, ModelEntry] = field(default_factory=dict)
    tasks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    task_paths: tuple[Path, ...] = ()
    comet: Mapping[str, Any] = field(default_factory=dict)
    judge: Mapping[str, Any] = field(default_factory=dict)
    gate: Mapping[str, Any] = field(default_factory=dict)


_TOP = {"run", "models", "tasks", "task_paths", "comet", "judge", "gate"}
_COMET = {"python": str, "model": str, "batch_size": int, "gpus": int, "timeout": (int, float)}
_JUDGE = {"model": str, "max_retries": int, "cache": str}
_GATE = {"max_drop": (int, float), "min_score": (int, float), "per_language": bool,
         "allow_errors": bool, "tasks": dict}
_GATE_TASK = {"max_drop": (int, float), "min_score": (int, float)}


def _line_of(text: str, keys: Sequence[str]) -> int | None:
    """Best-effort line number of a dotted key in TOML source (table headers and key = ...)."""
    *table, last = keys
    current: list[str] = []
    header_line = None
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        m = re.match(r"^\[+([^\]]+)\]+", line)
        if m:
            current = [p.strip().strip('"').strip("'") for p in
                       re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', m.group(1))]
            if current == list(keys):
                header_line = n
            continue
        km = re.match(r'^("[^"]*"|[A-Za-z0-9_-]+)\s*=', line)
        if km and current == table and km.group(1).strip('"') == last:
            return n
    return header_line


class _Checker:
    def __init__(self, path: str, text: str) -> None:
        self.path, self.text = path, text

    def error(self, keys: Sequence[str], message: str) -> ConfigError:
        return ConfigError(self.path, ".".join(keys), message, _line_of(self.text, keys))

    def table(self, value: Any, keys: Sequence[str], allowed: Mapping[str, Any] | set[str]
              ) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(keys, f"expected a table, got {type(value).__name__}")
        for k, v in value.items():
            if k not in allowed:
                raise self.error([*keys, k], str(unknown_name_error("key", k, allowed)))
            want = allowed[k] if isinstance(allowed, Mapping) else None
            if want is None:
                continue
            kinds = want if isinstance(want, tuple) else (want,)
            if not isinstance(v, kinds) or (isinstance(v, bool) and bool not in kinds):
                raise self.error([*keys, k], f"expected {_type_name(want)}, got {v!r}")
        return value


def _type_name(t: Any) -> str:
    if isinstance(t, tuple):
        return " or ".join(x.__name__ for x in t)
    return str(getattr(t, "__name__", t))


_RUN_TYPES: dict[str, Any] = {"models": list, "tasks": list, "data": str, "batch_size": int,
                              "output": str, "device": str,
                              "dtype": str, "limit": int, "languages": list,
                              "check_parity": int}
_MODEL_TYPES: dict[str, Any] = {f.name: None for f in fields(ModelEntry) if f.name != "name"}
_MODEL_TYPES.update({"backend": str, "family": str, "path": str, "revision": str, "tiny": bool,
                     "seen_languages": list, "dtype": str, "trust_remote_code": bool,
                     "max_frames": int, "max_new_tokens": int, "processor_kwargs": dict,
                     "base_url": str,
                     "model": str, "api_key_env": str, "concurrency": int,
                     "tensor_parallel_size": int})


def parse(text: str, path: str = "tvbench.toml") -> Config:
    """Parse and validate TOML text; errors name ``path``, the key and the line."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ConfigError(path, "(syntax)", str(exc), int(m.group(1)) if m else None) from exc
    c = _Checker(path, text)
    c.table(raw, [], _TOP)
    run = c.table(raw.get("run", {}), ["run"], _RUN_TYPES)
    if run.get("data", "bundled") not in ("bundled", "samples", "hub"):
        raise c.error(["run", "data"], "expected 'bundled' or 'hub' ('samples' is read as "
                      f"'bundled'), got {run['data']!r}")
    if run.get("data") == "samples":  # the old name, kept so older files keep working
        run = {**run, "data": "bundled"}
    defaults = RunDefaults(**{k: tuple(v) if isinstance(v, list) else v for k, v in run.items()})
    models = {}
    for name, body in c.table(raw.get("models", {}), ["models"], _AnyKeys()).items():
        body = c.table(body, ["models", name], _MODEL_TYPES)
        if body.get("backend", "hf") not in BACKENDS:
            raise c.error(["models", name, "backend"],
                          str(unknown_name_error("backend", body["backend"], BACKENDS)))
        if "seen_languages" in body:
            body = {**body, "seen_languages": tuple(body["seen_languages"])}
        models[name] = ModelEntry(name=name, **body)
    tasks = {}
    for name, body in c.table(raw.get("tasks", {}), ["tasks"], _AnyKeys()).items():
        tasks[name] = c.table(body, ["tasks", name], _AnyKeys())
    paths = raw.get("task_paths", [])
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise c.error(["task_paths"], "expected a list of folder paths")
    base = Path(path).parent
    gate = c.table(raw.get("gate", {}), ["gate"], _GATE)
    for tname, body in gate.get("tasks", {}).items():
        c.table(body, ["gate", "tasks", tname], _GATE_TASK)
    return Config(path=path, run=defaults, models=models, tasks=tasks,
                  task_paths=tuple(base / p for p in paths),
                  comet=c.table(raw.get("comet", {}), ["comet"], _COMET),
                  judge=c.table(raw.get("judge", {}), ["judge"], _JUDGE), gate=gate)


class _AnyKeys(dict):  # type: ignore[type-arg]
    """An 'allowed keys' mapping that allows every key (tables keyed by user names)."""

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: Any) -> Any:
        return None


def load(path: str | Path | None = None) -> Config:
    """Load ``path``, else ./tvbench.toml, else the packaged default."""
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(str(p), "(file)", "config file not found")
        return parse(p.read_text("utf-8"), str(p))
    local = Path("tvbench.toml")
    if local.is_file():
        return parse(local.read_text("utf-8"), str(local))
    text = resources.files("tvbench").joinpath("tvbench.toml").read_text("utf-8")
    return parse(text, "<packaged tvbench.toml>")
