"""Terminal output: rich progress bars for long steps, plain lines with ``--quiet``, tables."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table


def make_console(quiet: bool) -> Console:
    return Console(stderr=False, highlight=False, soft_wrap=False,
                   force_terminal=None if not quiet else False)


class _Rate(TextColumn):
    """items/s for the current bar."""

    def __init__(self) -> None:
        super().__init__("")

    def render(self, task: Any) -> Any:
        speed = task.finished_speed or task.speed
        from rich.text import Text

        return Text(f"{speed:.1f} items/s" if speed else "", style="cyan")


class RunProgress:
    """Implements the runner's progress protocol with rich, or one line per task when quiet."""

    def __init__(self, console: Console, quiet: bool, model: str) -> None:
        self.console, self.quiet, self.model = console, quiet, model
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._started = 0.0

    def __enter__(self) -> RunProgress:
        if not self.quiet:
            self._progress = Progress(
                SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                MofNCompleteColumn(), _Rate(), TimeElapsedColumn(), console=self.console,
                transient=False)
            self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)

    def task_started(self, name: str, total: int, done: int) -> None:
        self._started = time.perf_counter()
        if self._progress is not None:
            self._task = self._progress.add_task(f"{self.model} · {name}", total=total,
                                                 completed=done)
        elif done:
            self.console.print(f"{self.model} · {name}: resuming, {done}/{total} items done")

    def advance(self, n: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, n)

    def phase(self, text: str) -> None:
        if self._progress is not None and self._task is not None:
            desc = self._progress.tasks[-1].description.split(" (")[0]
            self._progress.update(self._task, description=f"{desc} ({text})")

    def task_finished(self, name: str, block: dict[str, Any]) -> None:
        self.phase(fmt_score(block))
        took = time.perf_counter() - self._started
        if self.quiet:
            self.console.print(escape(f"{self.model} · {name}: {fmt_score(block)} "
                                      f"(n={block['n']}, errors={block['n_errors']}, "
                                      f"{took:.1f}s)"))

    def note(self, message: str) -> None:
        self.console.print(f"[yellow]note:[/] {escape(message)}" if not self.quiet else
                           f"note: {escape(message)}")


@contextmanager
def step(console: Console, quiet: bool, message: str) -> Iterator[None]:
    """A spinner for a step without a known length (loading a model, scoring)."""
    if quiet:
        yield
        return
    with console.status(message):
        yield


def fmt_score(block: Mapping[str, Any]) -> str:
    score = block.get("score")
    if score is None:
        return "n/s"
    ci = block.get("ci95")
    return f"{score:.1f}" + (f" [{ci[0]:.1f}, {ci[1]:.1f}]" if ci else "")


def model_notes(results: Mapping[str, Any]) -> list[str]:
    """One line per task note (why a metric was not scored), for printing under the table."""
    return [f"{task}: {note}" for task, b in results["tasks"].items()
            for note in b.get("notes", [])]


def model_table(name: str, results: Mapping[str, Any]) -> Table:
    table = Table(title=f"{name}", title_justify="left")
    for col in ("task", "metric", "score", "95% CI", "n", "errors", "status"):
        table.add_column(col, justify="right" if col in ("score", "n", "errors") else "left")
    for task, b in results["tasks"].items():
        ci = b.get("ci95")
        table.add_row(task, b["metric"], "n/s" if b["score"] is None else f"{b['score']:.1f}",
                      f"{ci[0]:.1f}–{ci[1]:.1f}" if ci else "", str(b["n"]),
                      str(b["n_errors"]), escape(b["status"].split(":")[0]))
    return table


def language_table(task: str, runs: Sequence[tuple[str, Mapping[str, Any]]]) -> Table:
    """Languages × models for one task; ``*`` marks a language unseen in training."""
    langs = sorted({lang for _, r in runs for lang in r["tasks"].get(task, {})
                    .get("languages", {})})
    table = Table(title=f"{task} by language (* = unseen in training; k err = k failed items, "
                  "counted as 0 unless --exclude-errors)", title_justify="left")
    table.add_column("lang")
    for name, _ in runs:
        table.add_column(name, justify="right")
    for lang in langs:
        row = [lang]
        for _, r in runs:
            cell = r["tasks"].get(task, {}).get("languages", {}).get(lang)
            if cell is None:
                row.append("")
                continue
            text = "n/s" if cell["score"] is None else f"{cell['score']:.1f}"
            text += "*" if cell.get("unseen") else ""
            errors = cell.get("n_errors")
            row.append(text + (f" ({errors} err)" if isinstance(errors, int) and errors
                               else ""))
        table.add_row(*row)
    return table


def error_lines(runs: Sequence[tuple[str, Mapping[str, Any]]], tasks: Sequence[str]
                ) -> list[str]:
    """The item errors of ``tasks`` in each run: a count line per task, then its distinct
    messages with counts, most frequent first."""
    from tvbench.runs.failures import summary_lines

    out = []
    for name, results in runs:
        for task in tasks:
            block = results["tasks"].get(task) or {}
            if block.get("n_errors"):
                out.append(f"{name} · {task}: {block['n_errors']} of {block['n']} items "
                           "ended in an error:")
                out += [f"  {line}" for line in summary_lines(block)]
    return out


def error(message: str) -> None:
    print(f"tvbench: error: {message}", file=sys.stderr)
