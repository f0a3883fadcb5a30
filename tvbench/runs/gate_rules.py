"""What the regression gate tolerates: tolerances per task and language group, and the test.

The settings come from ``[gate]`` in tvbench.toml (validated in :mod:`tvbench.config`), and
command-line flags override them. A check fails only when its drop is larger than its
tolerance *and* significant under the paired bootstrap after the multiple-comparison
correction, so both halves live here: the tolerances (``max_drop``, ``min_score``, per task
and per group) and the test (``alpha``, ``resamples``, ``seed``, ``correction``,
``min_items``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tvbench.data.languages import GROUP_ATTRIBUTES, info, is_unseen
from tvbench.metrics.significance import METHOD_NAMES, METHODS, Method

#: The model-dependent groups: languages inside / outside the model's declared languages.
SEEN_GROUPS = ("seen", "unseen")


@dataclass(frozen=True)
class Tolerance:
    """How far a score may fall (points on its own scale) and the floor it must stay above."""

    max_drop: float = 1.0
    min_score: float | None = None


@dataclass(frozen=True)
class GateSettings:
    """Everything ``tvbench gate`` decides with; the defaults are the shipped ``[gate]``."""

    default: Tolerance = Tolerance()
    tasks: Mapping[str, Tolerance] = field(default_factory=dict)
    groups: Mapping[str, float] = field(default_factory=dict)  # group name → max_drop
    per_language: bool = True
    allow_errors: bool = False
    allow_batch_size_change: bool = False  # compare runs batched differently on a GPU too
    alpha: float = 0.05
    resamples: int = 10_000
    seed: int = 12345
    correction: Method = "bh"
    min_items: int = 10

    def task_rule(self, task: str) -> Tolerance:
        return self.tasks.get(task, self.default)

    def group_rule(self, task: str, group: str) -> Tolerance:
        """A group's own ``max_drop`` when set, else its task's tolerance."""
        rule = self.task_rule(task)
        if group in self.groups:
            return replace(rule, max_drop=self.groups[group])
        return rule

    @property
    def correction_name(self) -> str:
        return METHOD_NAMES[self.correction]

    def describe(self) -> str:
        """One line naming the test in force, for every output format."""
        scope = "across each task's language and group checks"
        return (f"paired bootstrap over shared items ({self.resamples} resamples, seed "
                f"{self.seed}); a regression is a drop beyond the tolerance with adjusted "
                f"p < {self.alpha:g}; correction: {self.correction_name} {scope}")


def settings_from_config(gate: Mapping[str, Any], **flags: Any) -> GateSettings:
    """``[gate]`` (already validated) with command-line ``flags`` (None = not given) on top."""
    values = {**gate, **{k: v for k, v in flags.items() if v is not None}}
    default = Tolerance(max_drop=float(values.get("max_drop", 1.0)),
                        min_score=_opt_float(values.get("min_score")))
    # A flag overrides the default only; per-task tables stay what the file says.
    tasks = {name: Tolerance(max_drop=float(body.get("max_drop", default.max_drop)),
                             min_score=_opt_float(body.get("min_score", default.min_score)))
             for name, body in gate.get("tasks", {}).items()}
    groups = {name: float(body["max_drop"]) for name, body in gate.get("groups", {}).items()
              if "max_drop" in body}
    correction = values.get("correction", "bh")
    if correction not in METHODS:
        raise ValueError(f"--correction: expected one of {', '.join(METHODS)}, got "
                         f"{correction!r}")
    out = GateSettings(
        default=default, tasks=tasks, groups=groups,
        per_language=bool(values.get("per_language", True)),
        allow_errors=bool(values.get("allow_errors", False)),
        allow_batch_size_change=bool(values.get("allow_batch_size_change", False)),
        alpha=float(values.get("alpha", 0.05)), resamples=int(values.get("resamples", 10_000)),
        seed=int(values.get("seed", 12345)), correction=correction,
        min_items=int(values.get("min_items", 10)))
    _check_ranges(out)
    return out


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _check_ranges(s: GateSettings) -> None:
    """Flags bypass the config checks, so the ranges are checked once more here."""
    if not 0 < s.alpha < 1:
        raise ValueError(f"--alpha: must lie between 0 and 1, got {s.alpha!r}")
    if s.resamples < 100:
        raise ValueError(f"--resamples: must be at least 100, got {s.resamples!r}")
    if s.min_items < 2:
        raise ValueError(f"--min-items: must be at least 2, got {s.min_items!r}")
    if s.default.max_drop < 0:
        raise ValueError(f"--max-drop: must not be negative, got {s.default.max_drop!r}")


def language_groups(langs: list[str], attributes: list[str],
                    seen: list[str] | None) -> tuple[dict[str, list[str]], list[str]]:
    """The groups worth a check of their own among a task's languages, and notes.

    Seen/unseen come from the candidate model's declared languages (none declared: unknown,
    said in a note, never guessed); the other groups from the task's declared attributes.
    A group is checked when it has at least two languages and is not the whole task (a
    one-language group repeats that language's check, the whole task repeats the headline).
    """
    groups: dict[str, list[str]] = {}
    notes: list[str] = []
    if seen is None and len(langs) >= 3:
        notes.append("seen/unseen groups: unknown (the candidate model declares no training "
                     "languages)")
    elif seen is not None:
        for lang in langs:
            groups.setdefault("unseen" if is_unseen(lang, seen) else "seen", []).append(lang)
    for attr in attributes:
        if attr not in GROUP_ATTRIBUTES:
            continue
        for lang in langs:
            value = getattr(info(lang), attr)
            if value and value != "unknown":
                groups.setdefault(f"{attr}:{value}", []).append(lang)
    kept = {name: sorted(members) for name, members in groups.items()
            if 2 <= len(members) < len(langs)}
    return dict(sorted(kept.items(), key=lambda kv: (_group_order(kv[0]), kv[0]))), notes


def _group_order(name: str) -> int:
    return 0 if name in SEEN_GROUPS else 1 + GROUP_ATTRIBUTES.index(name.partition(":")[0])
