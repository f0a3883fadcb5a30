"""``tvbench.toml``: the default run plan, the model registry, task settings and gate thresholds.

Validation is strict: an unknown key or a wrong type is an error that names the file, the
key and its line, with the nearest valid key when there is one. The file is looked for in
the working directory; the copy shipped inside the package is the fallback, so an installed
wheel runs the same offline default from any folder.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from tvbench.data.languages import GROUP_ATTRIBUTES, group_values
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
    batch_tokens: int | None = None
    output: str = "runs"
    device: str = "auto"
    dtype: str = "auto"
    limit: int | None = None
    #: "paper" (each task's paper set), "all", or a list of language codes.
    languages: str | tuple[str, ...] = "paper"
    check_parity: int = 0
    subset: int | None = None  # items per language of a fixed, seeded sample (CI budgets)
    seed: int = 0  # which sample ``subset`` takes
    exclude_errors: bool = False  # leave failed items out of scores (not the official rule)


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
    #: The TOML source, so checks made later (task options, at plan time) can name the line.
    text: str = field(default="", repr=False, compare=False)

    def error(self, keys: Sequence[str], message: str) -> ConfigError:
        """An error about the dotted key ``keys`` of this file, with its line when found."""
        return _located(self.path, self.text, keys, message)


def _located(path: str, text: str, keys: Sequence[str], message: str) -> ConfigError:
    return ConfigError(path, ".".join(keys), message, _line_of(text, keys))


class Key:
    """One allowed key of a table: its TOML type(s), the item type of a list, and a rule.

    ``rule`` returns None for a good value, else what is wrong with it (a sentence fragment).
    """

    def __init__(self, kinds: type | tuple[type, ...], *, items: type | None = None,
                 rule: Callable[[Any], str | None] | None = None) -> None:
        self.kinds = kinds if isinstance(kinds, tuple) else (kinds,)
        self.items, self.rule = items, rule

    def problem(self, value: Any) -> str | None:
        """What is wrong with ``value`` for this key, or None."""
        # bool is an int subclass, so ``true`` must not pass for an int key
        if not isinstance(value, self.kinds) or (isinstance(value, bool)
                                                 and bool not in self.kinds):
            want = " or ".join(k.__name__ for k in self.kinds)
            return f"expected {want}, got {value!r}"
        if self.items is not None and not all(isinstance(x, self.items) for x in value):
            return f"expected a list of {self.items.__name__}, got {value!r}"
        return self.rule(value) if self.rule is not None else None


def _at_least(low: int) -> Callable[[Any], str | None]:
    return lambda v: None if v >= low else f"must be at least {low}, got {v!r}"


def _positive(v: float) -> str | None:
    return None if v > 0 else f"must be greater than 0, got {v!r}"


def _fraction(v: float) -> str | None:
    return None if 0 < v <= 1 else f"must be in (0, 1], got {v!r}"


def _one_of(kind: str, choices: Sequence[str]) -> Callable[[Any], str | None]:
    return lambda v: None if v in choices else str(unknown_name_error(kind, v, choices))


def _data_mode(v: str) -> str | None:
    return None if v in ("bundled", "samples", "hub") else (
        f"expected 'bundled' or 'hub' ('samples' is read as 'bundled'), got {v!r}")


def _language_choice(v: Any) -> str | None:
    if isinstance(v, str) and v not in ("paper", "all"):
        return f"expected \"paper\", \"all\" or a list of language codes, got {v!r}"
    return None


def _http_url(v: str) -> str | None:
    return None if v.startswith(("http://", "https://")) else (
        f"expected an http:// or https:// URL, got {v!r}")


_STR, _BOOL, _TABLE = Key(str), Key(bool), Key(dict)
_STRINGS = Key(list, items=str)
_NUMBER = Key((int, float))

_TOP = {"run": _TABLE, "models": _TABLE, "tasks": _TABLE, "task_paths": _STRINGS,
        "comet": _TABLE, "judge": _TABLE, "gate": _TABLE}
_RUN = {
    "models": _STRINGS,
    "tasks": _STRINGS,
    "data": Key(str, rule=_data_mode),
    "batch_size": Key(int, rule=_at_least(1)),
    "batch_tokens": Key(int, rule=_at_least(1)),
    "output": _STR,
    "device": _STR,
    "dtype": _STR,
    "limit": Key(int, rule=_at_least(1)),
    "languages": Key((str, list), items=str, rule=_language_choice),
    "check_parity": Key(int, rule=_at_least(0)),
    "subset": Key(int, rule=_at_least(1)),
    "seed": Key(int, rule=_at_least(0)),
    "exclude_errors": _BOOL,
}
#: Every key a ``[models.NAME]`` entry may set: each ModelEntry field but ``name``.
MODEL_KEYS: dict[str, Key] = {
    "backend": Key(str, rule=_one_of("backend", BACKENDS)),
    "family": _STR,
    "path": _STR,
    "revision": _STR,
    "tiny": _BOOL,
    "seen_languages": _STRINGS,
    "dtype": _STR,  # backend-specific spellings (vLLM's "half"), so not a fixed list here
    "device_map": _STR,
    "attn_implementation": _STR,
    "trust_remote_code": _BOOL,
    "max_frames": Key(int, rule=_at_least(1)),
    "max_new_tokens": Key(int, rule=_at_least(1)),
    "processor_kwargs": _TABLE,
    "compile": _STR,
    "batch_invariant": _BOOL,
    # OpenAI-compatible HTTP backend
    "base_url": Key(str, rule=_http_url),
    "model": _STR,
    "api_key_env": _STR,
    "concurrency": Key(int, rule=_at_least(1)),
    "timeout": Key((int, float), rule=_positive),
    "max_retries": Key(int, rule=_at_least(0)),
    # vLLM backend
    "tensor_parallel_size": Key(int, rule=_at_least(1)),
    "gpu_memory_utilization": Key((int, float), rule=_fraction),
}
#: ``[tasks.NAME]``: ``data`` is checked here; the other keys are the task's options, checked
#: against the options it declares when a run is planned (``tvbench.runs.plan``).
_TASK_DATA = _STR
#: [comet] and [judge] value ranges are checked where they are used: a scorer that cannot be
#: set up is a "not scored" note, not a failed run.
_COMET = {"python": _STR, "model": _STR, "batch_size": Key(int), "gpus": Key(int),
          "timeout": _NUMBER}
_JUDGE = {"model": _STR, "max_retries": Key(int), "cache": _STR}
def _not_negative(v: float) -> str | None:
    return None if v >= 0 else f"must not be negative, got {v!r}"


def _open_fraction(v: float) -> str | None:
    return None if 0 < v < 1 else f"must lie between 0 and 1, got {v!r}"


def group_problem(name: str) -> str | None:
    """What is wrong with a ``[gate.groups.NAME]`` name: ``seen``, ``unseen``, or
    ``ATTRIBUTE:VALUE`` with a value some language in ``languages.json`` has."""
    if name in ("seen", "unseen"):
        return None
    attr, sep, value = name.partition(":")
    if not sep or attr not in GROUP_ATTRIBUTES:
        return (f"{unknown_name_error('language group', name, ('seen', 'unseen'))} Groups of "
                f"languages.json are written ATTRIBUTE:VALUE with ATTRIBUTE one of "
                f"{', '.join(GROUP_ATTRIBUTES)} (e.g. 'resource:low').")
    if value not in group_values()[attr]:
        return str(unknown_name_error(f"{attr} value", value, group_values()[attr]))
    return None


_DROP = Key((int, float), rule=_not_negative)
_GATE = {"max_drop": _DROP, "min_score": _NUMBER, "per_language": _BOOL,
         "allow_errors": _BOOL, "allow_batch_size_change": _BOOL,
         "alpha": Key((int, float), rule=_open_fraction),
         "resamples": Key(int, rule=_at_least(100)), "seed": Key(int, rule=_at_least(0)),
         "correction": Key(str, rule=_one_of("correction", ("bh", "holm", "none"))),
         "min_items": Key(int, rule=_at_least(2)), "tasks": _TABLE, "groups": _TABLE}
_GATE_TASK = {"max_drop": _DROP, "min_score": _NUMBER}
_GATE_GROUP = {"max_drop": _DROP}


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
        return _located(self.path, self.text, keys, message)

    def table(self, value: Any, keys: Sequence[str], allowed: Mapping[str, Key]
              ) -> dict[str, Any]:
        """A table whose keys are fixed: each must be allowed and its value pass its Key."""
        if not isinstance(value, dict):
            raise self.error(keys, f"expected a table, got {value!r}")
        for k, v in value.items():
            if k not in allowed:
                raise self.error([*keys, k], str(unknown_name_error("key", k, allowed)))
            problem = allowed[k].problem(v)
            if problem is not None:
                raise self.error([*keys, k], problem)
        return value

    def named_tables(self, value: Any, keys: Sequence[str], what: str
                     ) -> dict[str, dict[str, Any]]:
        """A table keyed by user-chosen names (models, tasks): every value is a table."""
        if not isinstance(value, dict):
            raise self.error(keys, f"expected a table of {what}, got {value!r}")
        for name, body in value.items():
            if not name.strip():
                raise self.error([*keys, name], f"a {what} name must not be empty")
            if not isinstance(body, dict):
                raise self.error([*keys, name], f"expected a table ([{'.'.join(keys)}.{name}]), "
                                 f"got {body!r}")
        return value


def parse(text: str, path: str = "tvbench.toml") -> Config:
    """Parse and validate TOML text; errors name ``path``, the key and the line."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ConfigError(path, "(syntax)", str(exc), int(m.group(1)) if m else None) from exc
    c = _Checker(path, text)
    c.table(raw, [], _TOP)
    run = c.table(raw.get("run", {}), ["run"], _RUN)
    if run.get("data") == "samples":  # the old name, kept so older files keep working
        run = {**run, "data": "bundled"}
    defaults = RunDefaults(**{k: tuple(v) if isinstance(v, list) else v for k, v in run.items()})
    models = {}
    for name, body in c.named_tables(raw.get("models", {}), ["models"], "model").items():
        body = c.table(body, ["models", name], MODEL_KEYS)
        if "seen_languages" in body:
            body = {**body, "seen_languages": tuple(body["seen_languages"])}
        models[name] = ModelEntry(name=name, **body)
    tasks = c.named_tables(raw.get("tasks", {}), ["tasks"], "task")
    for name, body in tasks.items():
        if "data" in body and (problem := _TASK_DATA.problem(body["data"])) is not None:
            raise c.error(["tasks", name, "data"], problem)
    base = Path(path).parent
    gate = c.table(raw.get("gate", {}), ["gate"], _GATE)
    for tname, body in c.named_tables(gate.get("tasks", {}), ["gate", "tasks"], "task").items():
        c.table(body, ["gate", "tasks", tname], _GATE_TASK)
    groups = c.named_tables(gate.get("groups", {}), ["gate", "groups"], "group")
    for gname, body in groups.items():
        if (problem := group_problem(gname)) is not None:
            raise c.error(["gate", "groups", gname], problem)
        c.table(body, ["gate", "groups", gname], _GATE_GROUP)
    return Config(path=path, run=defaults, models=models, tasks=tasks,
                  task_paths=tuple(base / p for p in raw.get("task_paths", [])),
                  comet=c.table(raw.get("comet", {}), ["comet"], _COMET),
                  judge=c.table(raw.get("judge", {}), ["judge"], _JUDGE), gate=gate, text=text)


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
