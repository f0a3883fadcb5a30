"""Item errors, counted and explained: the distinct messages of a task, and the fail-fast rule.

A run whose items all fail must not look like a run that worked. Every task's results block
carries its distinct error messages with counts, most frequent first (``error_messages``);
the command exits with :data:`EXIT_ITEM_ERRORS` when any task has errors. And a run stops
early when the model fails on item after item (a dead server, a wrong URL, a broken
processor): the :class:`FailureWatch` raises :class:`TooManyErrors` after ``limit``
consecutive model errors, so 5,000 doomed requests are not retried for hours.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tvbench.data.record import ItemRecord

#: ``tvbench run`` exit status when it finished (or stopped) with item errors.
EXIT_ITEM_ERRORS = 3
#: Default of ``--max-consecutive-errors``.
DEFAULT_MAX_CONSECUTIVE_ERRORS = 16
#: Messages are grouped on their first characters (long HTTP bodies differ only in detail).
_MESSAGE_CHARS = 300


def error_counts(records: Iterable[ItemRecord]) -> list[tuple[str, int]]:
    """``(message, count)`` of the distinct item errors, most frequent first."""
    counts = Counter(r.error[:_MESSAGE_CHARS] for r in records if r.error)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def errors_block(records: Sequence[ItemRecord]) -> list[dict[str, Any]]:
    """The ``error_messages`` entry of a task's results block."""
    return [{"message": m, "count": n} for m, n in error_counts(records)]


def summary_lines(block: Mapping[str, Any], limit: int | None = 5) -> list[str]:
    """``12× HTTP 500: ...`` lines of a results block, at most ``limit`` and a remainder."""
    errors = list(block.get("error_messages") or [])
    shown = errors if limit is None else errors[:limit]
    lines = [f"{e['count']}× {e['message']}" for e in shown]
    if len(errors) > len(shown):
        rest = sum(e["count"] for e in errors[len(shown):])
        lines.append(f"… and {len(errors) - len(shown)} other messages ({rest} items)")
    return lines


class TooManyErrors(RuntimeError):
    """The model failed on ``limit`` items in a row; the run stops instead of going on."""


class FailureWatch:
    """Counts consecutive model errors of one task and stops the run at ``limit`` (0: never).

    Only items the model was asked about count: a broken dataset record costs no time and
    is reported with the other errors when the task ends.
    """

    def __init__(self, task: str, limit: int) -> None:
        self.task, self.limit = task, limit
        self.run: list[ItemRecord] = []
        self.answered = 0

    def observe(self, records: Iterable[ItemRecord]) -> None:
        for record in records:
            self.answered += 1
            if record.error:
                self.run.append(record)
            else:
                self.run.clear()
            if self.limit and len(self.run) >= self.limit:
                raise TooManyErrors(self.message())

    def message(self) -> str:
        what = (f"the first {len(self.run)} items" if self.answered == len(self.run)
                else f"{len(self.run)} items in a row")
        detail = "; ".join(f"{n}× {m}" for m, n in error_counts(self.run)[:3])
        return (f"task {self.task!r}: {what} the model was asked about failed ({detail}); "
                f"stopped early (--max-consecutive-errors {self.limit}; 0 turns this off)")
