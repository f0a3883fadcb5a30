"""From ``tvbench.toml`` plus command-line flags to a concrete run plan, checked up front.

Everything that can be wrong with a run — an unknown task or model, a bad task option or
flag, a model entry that cannot load, a language a task lacks, a missing data folder, a task
the adapter cannot serve — is found here, before any model loads and before anything is
written (see :mod:`tvbench.runs.checks`).
Settings are resolved here once, per model (a model entry's ``max_new_tokens`` applies unless
``--max-new-tokens`` overrides it); the runner takes them as they are.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tvbench.config import Config, RunDefaults
from tvbench.data.loading import DataSource, LocalDataset
from tvbench.models.registry import ModelEntry, capabilities, parse_model_arg
from tvbench.registry import UnknownNameError, import_task_folder
from tvbench.runs.checks import (
    PlanError,
    check_counts,
    check_distinct_models,
    check_model_entries,
    check_model_paths,
    check_scorable_languages,
    check_task_languages,
    resolve_languages,
)
from tvbench.runs.failures import DEFAULT_MAX_CONSECUTIVE_ERRORS
from tvbench.runs.runner import LANGUAGE_PRESETS, RunSettings, TaskPlan, check_capabilities
from tvbench.runs.subset import Subset
from tvbench.tasks.base import Task, TaskOptionError
from tvbench.tasks.registry import TASKS

__all__ = ["DATA_MODES", "ModelPlan", "Plan", "PlanError", "build_plan"]


#: ``--data`` / ``[run] data`` values that choose where every task reads from. "samples" is
#: the old name of "bundled", still accepted so older tvbench.toml files keep working.
DATA_MODES = {"bundled": "bundled", "samples": "bundled", "hub": "hub"}


@dataclass(frozen=True)
class ModelPlan:
    """One model of the run, with the settings resolved for it."""

    entry: ModelEntry
    settings: RunSettings


@dataclass(frozen=True)
class Plan:
    models: tuple[ModelPlan, ...]
    tasks: tuple[TaskPlan, ...]
    output: Path
    device: str
    dtype: str
    data_mode: str  # "bundled" | "hub" | "local" | "mixed"


def parse_assignments(values: Sequence[str], flag: str) -> dict[str, str]:
    out = {}
    for v in values:
        key, sep, value = v.partition("=")
        if not sep or not key or not value:
            raise PlanError(f"{flag} {v!r}: expected NAME=VALUE")
        out[key.strip()] = value.strip()
    return out


def parse_task_options(values: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``--task-opt textvqa.normaliser=evalai-clean`` → ``{"textvqa": {"normaliser": ...}}``."""
    out: dict[str, dict[str, Any]] = {}
    for key, raw in parse_assignments(values, "--task-opt").items():
        task, sep, opt = key.partition(".")
        if not sep:
            raise PlanError(f"--task-opt {key}={raw}: expected TASK.OPTION=VALUE")
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw  # a bare word is a string
        out.setdefault(task, {})[opt] = value
    return out


def resolve_tasks(config: Config, names: Sequence[str]) -> list[type[Task]]:
    for folder in config.task_paths:
        import_task_folder(folder)
    check_task_tables(config)
    return [TASKS.get(n) for n in names]


def check_task_tables(config: Config) -> None:
    """Every ``[tasks.NAME]`` names a known task and sets only options it declares, to one of
    their allowed values; the error names the file, key and line. Checked for every table,
    not just this run's tasks, as every other key of the file is."""
    for name, table in config.tasks.items():
        try:
            cls = TASKS.get(name)
        except UnknownNameError as exc:
            raise config.error(["tasks", name], str(exc)) from exc
        for key, value in table.items():
            if key == "data":  # where to read the task's data, not an option
                continue
            try:
                cls.check_option(key, value)
            except TaskOptionError as exc:
                raise config.error(["tasks", name, key], str(exc)) from exc


@dataclass(frozen=True)
class DataChoice:
    """Where tasks read from: ``--data`` over ``[tasks.NAME] data`` over ``[run] data``."""

    default_mode: str  # "bundled" | "hub"
    overrides: Mapping[str, str]  # task name → local path

    def source(self, config: Config, task: Task) -> DataSource:
        path = self.overrides.get(task.name) or config.tasks.get(task.name, {}).get("data")
        return _source(task, path, self.default_mode)


def data_choice(config: Config, data: Sequence[str]) -> DataChoice:
    """Read ``--data`` values (``bundled``, ``hub``, ``samples`` or ``TASK=PATH``)."""
    default_mode = DATA_MODES[config.run.data]
    overrides: dict[str, str] = {}
    for item in data:
        if item in DATA_MODES:
            default_mode = DATA_MODES[item]
        else:
            overrides.update(parse_assignments([item], "--data"))
    return DataChoice(default_mode, overrides)


def build_plan(config: Config, *, models: Sequence[str] | None = None,
               tasks: Sequence[str] | None = None, data: Sequence[str] = (),
               task_options: Sequence[str] = (), languages: Sequence[str] | None = None,
               limit: int | None = None, batch_size: int | None = None,
               device: str | None = None, dtype: str | None = None,
               output: str | None = None, max_new_tokens: int | None = None,
               check_parity: int | None = None, retry_errors: bool = False,
               subset: int | None = None, seed: int | None = None,
               exclude_errors: bool | None = None, batch_tokens: int | None = None,
               compile: str | None = None, batch_invariant: bool = False,
               threads: int | None = None,
               max_consecutive_errors: int = DEFAULT_MAX_CONSECUTIVE_ERRORS) -> Plan:
    run = config.run
    check_counts({"--limit": (limit, 1), "--batch-size": (batch_size, 1),
                  "--max-new-tokens": (max_new_tokens, 1), "--check-parity": (check_parity, 0),
                  "--threads": (threads, 1),
                  "--max-consecutive-errors": (max_consecutive_errors, 0)})
    model_names = list(models) if models else list(run.models)
    task_names = list(tasks) if tasks else list(run.tasks)
    if not model_names:
        raise PlanError("no model: pass --model or set [run] models in tvbench.toml")
    if not task_names:
        raise PlanError("no task: pass --tasks or set [run] tasks in tvbench.toml")
    check_model_entries(config)
    entries = [parse_model_arg(m, config.models) for m in model_names]
    check_distinct_models(model_names, entries)
    if compile or batch_invariant:  # flags override the entries' own keys
        entries = [replace(e, compile=compile or e.compile,
                           batch_invariant=batch_invariant or e.batch_invariant)
                   for e in entries]
    check_model_paths(entries)
    classes = resolve_tasks(config, task_names)

    choice = data_choice(config, data)
    for name in choice.overrides:
        if name not in task_names:
            raise PlanError(f"--data {name}=...: task {name!r} is not in this run "
                            f"({', '.join(task_names)})")
    cli_opts = parse_task_options(task_options)
    for name in cli_opts:
        if name not in task_names:
            raise PlanError(f"--task-opt {name}.…: task {name!r} is not in this run")

    plans = []
    modes = set()
    for cls in classes:
        opts: dict[str, Any] = {k: v for k, v in config.tasks.get(cls.name, {}).items()
                                if k != "data"}
        opts.update(cli_opts.get(cls.name, {}))
        task = cls(**opts)
        source = choice.source(config, task)
        modes.add("bundled" if source == task.bundled_source() else
                  "hub" if not isinstance(source, LocalDataset) else "local")
        plans.append(TaskPlan(task, source))

    for entry in entries:
        check_capabilities(capabilities(entry), [p.task for p in plans], entry.name)
    flag = "--languages" if languages else "[run] languages"
    wanted = _languages(languages if languages else run.languages, flag)
    if not isinstance(wanted, str):  # a preset (paper, all) always gives every task some
        check_task_languages([p.task for p in plans], wanted, flag)
        check_scorable_languages([p.task for p in plans], wanted, flag)
    settings = RunSettings(
        batch_size=batch_size if batch_size is not None else run.batch_size,
        batch_tokens=batch_tokens if batch_tokens is not None else run.batch_tokens,
        limit=limit if limit is not None else run.limit,
        languages=wanted,
        check_parity=check_parity if check_parity is not None else run.check_parity,
        retry_errors=retry_errors, subset=_subset(run, subset, seed, limit),
        exclude_errors=exclude_errors if exclude_errors is not None else run.exclude_errors,
        threads=threads, max_consecutive_errors=max_consecutive_errors)
    if settings.batch_tokens is not None and settings.batch_tokens < 1:
        raise PlanError(f"--batch-tokens must be at least 1, got {settings.batch_tokens}")
    per_model = tuple(ModelPlan(entry, replace(settings, max_new_tokens=(
        max_new_tokens if max_new_tokens is not None else entry.max_new_tokens)))
        for entry in entries)
    return Plan(models=per_model, tasks=tuple(plans),
                output=Path(output or run.output), device=device or run.device,
                dtype=dtype or run.dtype,
                data_mode=modes.pop() if len(modes) == 1 else "mixed")


def _subset(run: RunDefaults, size: int | None, seed: int | None, limit: int | None
            ) -> Subset | None:
    """``--subset/--seed`` over ``[run] subset/seed``; a subset and a limit exclude each other
    (a limit takes the first items of the data, a subset a seeded sample of all of them)."""
    size = size if size is not None else run.subset
    if size is None:
        if seed is not None:
            raise PlanError("--seed chooses the items of a --subset; pass --subset N too")
        return None
    if (limit if limit is not None else run.limit) is not None:
        raise PlanError("--subset and --limit (or [run] limit) cannot be combined: a subset is "
                        "a seeded sample of every item, a limit the first N of the data")
    try:
        return Subset(size, seed if seed is not None else run.seed)
    except ValueError as exc:
        raise PlanError(str(exc)) from exc


def _languages(value: str | Sequence[str], flag: str = "--languages"
               ) -> str | tuple[str, ...]:
    """A preset name ("paper", "all") as it is, or language codes (dataset names such as
    "German" map to their codes; an unknown one is an error naming the flag)."""
    names = [value] if isinstance(value, str) else [v for v in value if v.strip()]
    if len(names) == 1 and names[0] in LANGUAGE_PRESETS:
        return names[0]
    presets = [n for n in names if n in LANGUAGE_PRESETS]
    if presets:
        raise PlanError(f"{flag} {','.join(names)}: {presets[0]!r} is a preset and "
                        "cannot be combined with language codes")
    return tuple(resolve_languages(names, flag))


def _source(task: Task, path: str | None, mode: str) -> DataSource:
    if path:
        p = Path(path).expanduser()
        if not p.exists():
            raise PlanError(f"data for task {task.name!r}: {str(p)!r} does not exist")
        return LocalDataset(p, split=task.hub.split)
    if mode == "bundled":
        return task.bundled_source()
    return task.hub
