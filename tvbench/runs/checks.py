"""Checks made while planning, before any model loads and before anything is written.

A run that dies after an hour on a typo wastes the hour; one that leaves an empty
results.json behind also lies about having run. So every numeric flag, every model entry of
``tvbench.toml`` and every task × language combination is checked here, and an error names
the flag, or the file, key and line.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tvbench.config import Config, ConfigError
from tvbench.data.languages import LanguageError, canonical, resolve
from tvbench.models.registry import ModelEntry
from tvbench.runs.store import slug


class PlanError(ValueError):
    """A run request that cannot be carried out; the message names the flag or key."""


def check_counts(values: Mapping[str, tuple[int | None, int]]) -> None:
    """``{"--limit": (value, minimum)}``: each given value must be an int of at least its
    minimum (``--limit 0`` would silently run nothing, ``--limit -3`` everything)."""
    for flag, (value, low) in values.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise PlanError(f"{flag} must be an integer of at least {low}, got {value!r}")


def check_model_entries(config: Config) -> None:
    """Every ``[models.NAME]`` entry can be loaded as written, as far as can be known without
    loading it: a known family, what its backend needs, valid declared languages."""
    for name, entry in config.models.items():
        _check_entry(config, name, entry)


def _check_entry(config: Config, name: str, entry: ModelEntry) -> None:
    def fail(key: str, message: str) -> PlanError:
        located = config.error(["models", name, key], message)
        if located.line is None:  # a missing key: point at the entry's table instead
            header = config.error(["models", name], message).line
            located = ConfigError(config.path, f"models.{name}.{key}", message, header)
        return PlanError(str(located))

    if entry.backend == "openai":
        if not entry.base_url:
            raise fail("base_url", "backend 'openai' needs base_url (http://HOST:PORT/v1)")
    else:
        if not entry.family:
            raise fail("family", f"backend {entry.backend!r} needs a model family")
        from tvbench.models.families import FAMILIES

        if entry.family not in FAMILIES.names():
            from tvbench.registry import unknown_name_error

            raise fail("family", str(unknown_name_error("model family", entry.family,
                                                        FAMILIES.names())))
        if not entry.tiny and not entry.path:
            raise fail("path", "set path (a checkpoint folder or hub id), or tiny = true")
    for lang in entry.seen_languages or ():
        try:
            canonical(lang)
            resolve(lang)
        except LanguageError as exc:
            raise fail("seen_languages", f"{exc}; use BCP-47 codes such as 'de' or "
                       "'zh-Hans'") from None


def check_model_paths(entries: Iterable[ModelEntry]) -> None:
    """A local checkpoint folder of this run's models must exist (a hub id is checked by the
    hub probe, in :mod:`tvbench.runs.preflight`)."""
    for entry in entries:
        if entry.backend == "openai" or entry.tiny or not entry.path:
            continue
        path = Path(entry.path).expanduser()
        local = entry.path.startswith((".", "/", "~")) or (
            os.sep in entry.path and entry.path.count("/") != 1)
        if local and not path.exists():
            raise PlanError(f"model {entry.name!r}: checkpoint folder {entry.path!r} does not "
                            "exist")


def check_distinct_models(args: Sequence[str], entries: Sequence[ModelEntry]) -> None:
    """Two ``--model`` values that name one model (a family's name and its tiny checkpoint's)
    would run it twice into one folder, the second waiting on the first's lock; refuse."""
    seen: dict[str, str] = {}
    for arg, entry in zip(args, entries, strict=True):
        folder = slug(entry.name)
        if folder in seen:
            said = (f"--model {arg!r} is given twice" if seen[folder] == arg else
                    f"--model {seen[folder]!r} and --model {arg!r} are the same model")
            raise PlanError(f"{said} ({entry.name}, run folder {folder}/); name it once")
        seen[folder] = arg


def resolve_languages(languages: Iterable[str], flag: str = "--languages") -> list[str]:
    """Codes for ``--languages`` values (codes or dataset names); unknown ones are errors."""
    out = []
    for value in languages:
        try:
            out.append(resolve(value))
        except LanguageError as exc:
            raise PlanError(f"{flag}: {exc}") from None
    return out


def check_task_languages(tasks: Sequence[Any], languages: Sequence[str] | None,
                         flag: str = "--languages") -> None:
    """Each task must cover at least one of ``languages``: a task with none would fail only
    when its turn came, after the tasks before it had run to the end."""
    if not languages:
        return
    wanted = resolve_languages(languages, flag)
    lacking = [t for t in tasks if not set(wanted) & set(t.languages)]
    if not lacking:
        return
    detail = "; ".join(f"{t.name}: {', '.join(t.languages[:12])}"
                       + (" …" if len(t.languages) > 12 else "") for t in lacking)
    others = [t.name for t in tasks if t not in lacking]
    hint = (f"run the others only (--tasks {','.join(others)})" if others
            else "choose languages these tasks have")
    raise PlanError(f"{flag} {','.join(languages)}: "
                    f"{'task' if len(lacking) == 1 else 'tasks'} "
                    f"{', '.join(t.name for t in lacking)} "
                    f"{'has' if len(lacking) == 1 else 'have'} no data in "
                    f"{', '.join(wanted)} ({detail}); {hint}")


def check_scorable_languages(tasks: Sequence[Any], languages: Sequence[str],
                             flag: str = "--languages") -> None:
    """A language a task reads but its options cannot score (ALM-Bench's letter protocols
    outside the fork's country map) is refused here: scored, each of its items would be an
    error counted as 0, and the language would drag the macro mean down."""
    wanted = resolve_languages(languages, flag)
    for task in tasks:
        limit = task.scorable_languages()
        if limit is None:
            continue
        scorable, why = limit
        refused = [code for code in wanted if code in task.languages and code not in scorable]
        if refused:
            raise PlanError(
                f"{flag} {','.join(languages)}: {task.name} cannot score "
                f"{', '.join(refused)} ({why}; --task-opt {task.name}.OPTION=VALUE); it "
                f"scores {', '.join(sorted(scorable))}")
