"""Terminal output: rich progress bars for long steps, plain lines with ``--quiet``, tables.

Everything here is laid out to stay readable in an 80-column terminal: tables use borderless
boxes and columns sized to their longest word, a language table with more models than fit is
split into several, and a progress row is short enough that rich never has to fold a word.
Text that can come from a model or a dataset (notes, error messages) is made visible first,
so an ESC in a model's output cannot drive the terminal.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TaskID,
    TextColumn,
)
from rich.table import Table
from rich.text import Text

from tvbench.report.visible import visible

#: Parity mismatches listed by id before the rest are only counted.
PARITY_IDS_SHOWN = 20
#: Shown after a run of tiny checkpoints or bundled data: the way to a real number.
REAL_CHECKPOINT_HINT = "next, a real checkpoint: tvbench run --model towervision-2b --data hub"


def make_console(quiet: bool) -> Console:
    return Console(stderr=False, highlight=False, soft_wrap=False,
                   force_terminal=None if not quiet else False)


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _session_speed(task: Any) -> float | None:
    """Items per second over the items this run did itself (a resumed task's stored items
    took no time now, so counting them would promise an ETA far too short)."""
    elapsed = task.elapsed
    done_now = task.completed - task.fields.get("resumed", 0)
    if not elapsed or done_now <= 0:
        return None
    return done_now / elapsed


class _Rate(ProgressColumn):
    """Items per second of this run's own work, blank until the first batch is back."""

    def render(self, task: Any) -> Text:
        speed = _session_speed(task)
        return Text("" if speed is None else f"{speed:.1f} it/s", style="cyan")


class _Eta(ProgressColumn):
    """Time left while running ("eta –" until it can be estimated), time taken once done."""

    def render(self, task: Any) -> Text:
        if task.finished:
            return Text(f"took {_clock(task.finished_time or task.elapsed or 0)}")
        speed = _session_speed(task)
        if speed is None or task.total is None:
            return Text("eta –", style="dim")
        return Text(f"eta {_clock((task.total - task.completed) / speed)}")


class RunProgress:
    """Implements the runner's progress protocol with rich, or one line per task when quiet.

    One row per task under a line naming the model: "textvqa (0.0 [0.0, 0.0]) ━━━ 12/12
    40.1 it/s took 0:00:01". ``clock`` replaces the wall clock (tests).
    """

    def __init__(self, console: Console, quiet: bool, model: str,
                 clock: Callable[[], float] | None = None) -> None:
        self.console, self.quiet, self.model = console, quiet, model
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._name = ""
        self._clock = clock or time.perf_counter
        self._started = 0.0

    def __enter__(self) -> RunProgress:
        if not self.quiet:
            self.console.print(f"[bold]{escape(visible(self.model))}[/]")
            self._progress = Progress(
                SpinnerColumn(), TextColumn("{task.description}"), BarColumn(bar_width=12),
                MofNCompleteColumn(), _Rate(), _Eta(), console=self.console,
                transient=False, get_time=self._clock)
            self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)

    @property
    def progress(self) -> Progress | None:
        """The rich progress display (None when quiet)."""
        return self._progress

    def task_started(self, name: str, total: int, done: int) -> None:
        self._started = self._clock()
        self._name = name
        if self._progress is not None:
            self._task = self._progress.add_task(name, total=total, completed=done,
                                                 resumed=done)
        elif done:
            self.console.print(f"{self.model} · {name}: resuming, {done}/{total} items done")

    def advance(self, n: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, n)

    def phase(self, text: str) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=f"{self._name} ({text})")

    def task_finished(self, name: str, block: dict[str, Any]) -> None:
        self.phase(fmt_score(block))
        took = self._clock() - self._started
        if self.quiet:
            self.console.print(escape(f"{self.model} · {name}: {fmt_score(block)} "
                                      f"(n={block['n']}, errors={block['n_errors']}, "
                                      f"{took:.1f}s)"))

    def note(self, message: str) -> None:
        text = escape(visible(message))
        self.console.print(f"[yellow]note:[/] {text}" if not self.quiet else f"note: {text}")


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
    """One line per task note (why a metric was not scored), and one per model a server said
    answered when it is not the one asked for, for printing under the table."""
    notes = [visible(f"{task}: {note}") for task, b in results["tasks"].items()
             for note in b.get("notes", [])]
    model = results.get("model") or {}
    for served in model.get("served") or []:
        if served.get("model") and served["model"] != model.get("revision"):
            fingerprint = served.get("system_fingerprint")
            notes.append(visible(
                f"the server answered {served.get('replies')} request(s) as {served['model']}"
                + (f" (system_fingerprint {fingerprint})" if fingerprint else "")
                + f"; asked for {model.get('revision')}"))
    return notes


def plain_table() -> Table:
    """A borderless table: two spaces between columns is all the frame 80 columns allow."""
    return Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)


def titled(title: str, table: Table) -> Group:
    """``table`` under its title line (a table's own title would wrap at the table's width,
    which for a narrow table cuts the title into pieces)."""
    return Group(Text(title, style="bold"), table)


def _score(value: Any) -> str:
    return "n/s" if value is None else f"{value:.1f}"


def _ci(ci: Any) -> str:
    return f"{ci[0]:.1f}–{ci[1]:.1f}" if ci else ""


def model_table(name: str, results: Mapping[str, Any]) -> Group:
    """One row per task (its headline metric), then one per secondary metric (indented)."""
    table = plain_table()
    for col in ("task", "metric", "score", "95% CI", "n", "errors"):
        table.add_column(col, justify="right" if col in ("score", "n", "errors") else "left",
                         no_wrap=True)
    for task, b in results["tasks"].items():
        table.add_row(task, b["metric"], _score(b["score"]), _ci(b.get("ci95")), str(b["n"]),
                      str(b["n_errors"]))
        for metric, sub in (b.get("metrics") or {}).items():
            table.add_row("", f"· {metric}", _score(sub.get("score")), _ci(sub.get("ci95")),
                          str(sub.get("n", "")), str(sub.get("n_errors", "")), style="dim")
    return titled(visible(name), table)


def parity_lines(results: Mapping[str, Any], requested: int,
                 tasks: Sequence[str] | None = None) -> list[str]:
    """What ``--check-parity N`` found, per task of this run (``tasks``; default all in
    ``results``): items re-run at batch size 1, the ids whose output differed from the
    batched run, and the divergence rate (for log-likelihood tasks, also the largest
    difference)."""
    from tvbench.runs.parity import divergence

    if not requested:
        return []
    lines = []
    for task in results["tasks"] if tasks is None else tasks:
        b = results["tasks"].get(task, {})
        parity = b.get("parity")
        if not isinstance(parity, Mapping):
            lines.append(f"{task}: not checked")
            continue
        checked, ids = int(parity.get("checked", 0)), list(parity.get("mismatches", []))
        if not checked:
            lines.append(f"{task}: nothing to check (no item without an error)")
            continue
        head = (f"{task}: {checked} item(s) re-run at batch size 1 against batch size "
                f"{parity.get('batch_size', '?')}: ")
        if not ids:
            worst = parity.get("max_abs_diff")
            lines.append(head + "all identical" + (
                f" (largest log-likelihood difference {worst:.2g} nats)"
                if isinstance(worst, int | float) else ""))
            continue
        shown = ", ".join(visible(str(i)) for i in ids[:PARITY_IDS_SHOWN])
        more = len(ids) - PARITY_IDS_SHOWN
        lines.append(head + f"{len(ids)} mismatch(es): {shown}"
                     + (f" … and {more} more (results.json: tasks.{task}.parity)"
                        if more > 0 else "") + f"; {divergence(parity)}")
    return lines


def remarks(notes: Sequence[str], parity: Sequence[str] = ()) -> Table:
    """Notes and parity results under a model's table, wrapped with a hanging indent."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="yellow", no_wrap=True)
    grid.add_column()
    for label, lines in (("note", notes), ("parity", parity)):
        for line in lines:
            grid.add_row(f" {label}", Text(visible(line)))
    return grid


def _chunks(widths: Sequence[int], first: int, width: int) -> list[list[int]]:
    """Model columns (of these text ``widths``) split into groups that fit ``width`` beside
    the language column."""
    groups: list[list[int]] = [[]]
    used = first
    for i, text_width in enumerate(widths):
        need = max(text_width, len("100.0*")) + 2
        if groups[-1] and used + need > width:
            groups.append([])
            used = first
        groups[-1].append(i)
        used += need
    return groups


def language_tables(task: str, runs: Sequence[tuple[str, Mapping[str, Any]]],
                    width: int = 80) -> list[Group]:
    """Languages × models for one task, as several tables when the models do not fit
    ``width`` side by side; ``*`` marks a language unseen in training."""
    langs = sorted({lang for _, r in runs for lang in r["tasks"].get(task, {})
                    .get("languages", {})})
    names = [visible(name) for name, _ in runs]
    cells = [[_language_cell(r["tasks"].get(task, {}).get("languages", {}).get(lang))
              for lang in langs] for _, r in runs]
    first = max([len("lang"), *map(len, langs)]) + 2
    groups = _chunks([max([len(n), *map(len, c)]) for n, c in zip(names, cells, strict=True)],
                     first, width)
    tables = []
    for group in groups:
        span = (f"s {group[0] + 1}–{group[-1] + 1}" if len(group) > 1 else f" {group[0] + 1}")
        part = f", model{span} of {len(names)}" if len(groups) > 1 else ""
        table = plain_table()
        table.add_column("lang", no_wrap=True)
        for i in group:
            table.add_column(names[i], justify="right", no_wrap=True)
        for row, lang in enumerate(langs):
            table.add_row(lang, *(cells[i][row] for i in group))
        tables.append(titled(f"{task} by language (* = unseen; k err = k failed items, counted "
                             f"as 0 unless --exclude-errors{part})", table))
    return tables


def _language_cell(cell: Mapping[str, Any] | None) -> str:
    """A language's score, ``*`` when unseen in training, and its failed items."""
    if cell is None:
        return ""
    errors = cell.get("n_errors")
    return (_score(cell["score"]) + ("*" if cell.get("unseen") else "")
            + (f" ({errors} err)" if isinstance(errors, int) and errors else ""))


def next_step_hint(tiny: bool, bundled: bool) -> str | None:
    """The one-line way to a real evaluation, after a run of tiny models or bundled data."""
    return REAL_CHECKPOINT_HINT if tiny or bundled else None


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
    print(f"tvbench: error: {visible(message)}", file=sys.stderr)
